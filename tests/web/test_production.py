"""Production serving: `collabready serve --production` (gunicorn), `collabready worker`,
/healthz, JSON log lines with a request id and never a token."""

from __future__ import annotations

import io
import json
import logging
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.db import connection
from django.test import Client, override_settings

from collabready.instrument import Instrument
from collabready.web.logs import JsonFormatter, RequestIdFilter, redact
from collabready.web.surveys.models import Wave
from tests.web.conftest import Invited, invite

BIN = Path(sys.executable).parent
ROOT = Path(__file__).resolve().parents[2]


def _env(tmp_path: Path, **extra: str) -> dict[str, str]:
    return {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(tmp_path),
        "COLLABREADY_DATA_DIR": str(tmp_path / "data"),
        **extra,
    }


def test_serve_production_refuses_to_start_without_its_secrets(tmp_path: Path) -> None:
    run = subprocess.run(
        [BIN / "collabready", "serve", "--production"],
        env=_env(tmp_path),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert run.returncode == 2
    assert "Traceback" not in run.stderr
    assert run.stderr.startswith("Error: cannot start in production:")
    for missing in ["COLLABREADY_SECRET_KEY", "COLLABREADY_ALLOWED_HOSTS", "DATABASE_URL"]:
        assert f"{missing} is not set" in run.stderr
    assert not (tmp_path / "data" / "secret_key").exists()


def test_serve_production_says_what_is_wrong_with_each_setting(tmp_path: Path) -> None:
    run = subprocess.run(
        [BIN / "collabready", "serve", "--production"],
        env=_env(
            tmp_path,
            COLLABREADY_SECRET_KEY="short",
            COLLABREADY_ALLOWED_HOSTS="survey.example.org",
            DATABASE_URL="sqlite:///x.db",
        ),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert run.returncode == 2
    assert "Traceback" not in run.stderr
    assert "COLLABREADY_SECRET_KEY has 5 characters" in run.stderr
    assert "DATABASE_URL is a sqlite URL" in run.stderr


def test_worker_refuses_the_in_process_backend(tmp_path: Path) -> None:
    run = subprocess.run(
        [BIN / "collabready", "worker"],
        env=_env(tmp_path, COLLABREADY_TASK_BACKEND="thread"),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert run.returncode == 2
    assert "COLLABREADY_TASK_BACKEND=database" in run.stderr
    assert "Traceback" not in run.stderr


# -- logs ----------------------------------------------------------------------------------


@pytest.fixture
def json_log() -> Iterator[io.StringIO]:
    """The root logger writing JSON lines into a buffer, as production does."""
    out = io.StringIO()
    handler = logging.StreamHandler(out)
    handler.setFormatter(JsonFormatter())
    handler.addFilter(RequestIdFilter())
    root = logging.getLogger()
    old_level = root.level
    root.addHandler(handler)
    root.setLevel(logging.INFO)
    try:
        yield out
    finally:
        root.removeHandler(handler)
        root.setLevel(old_level)


def test_log_lines_are_json_with_a_request_id_and_never_a_token(
    json_log: io.StringIO, invited: Invited
) -> None:
    browser = Client()
    entered = browser.get(f"/r/{invited.token}/")
    assert entered.status_code == 302
    wrong = "Zz" + invited.token[2:]
    assert browser.get(f"/r/{wrong}/").status_code == 404
    assert browser.get(f"/cy/r/{invited.token}/").status_code == 302
    output = json_log.getvalue()
    assert invited.token not in output
    assert wrong not in output
    assert invited.token[5:30] not in output
    lines = [json.loads(line) for line in output.splitlines()]
    requests = [line for line in lines if line["logger"] == "collabready.request"]
    assert [r["status"] for r in requests] == [302, 404, 302]
    assert all(r["path"] in {"/r/[redacted]/", "/cy/r/[redacted]/"} for r in requests)
    assert requests[0]["request_id"] == entered.headers["X-Request-ID"]
    assert len({r["request_id"] for r in requests}) == 3
    # Django's own "Not Found: /r/<token>/" line is there, redacted, with the request id
    not_found = [line for line in lines if line["logger"] == "django.request"]
    assert not_found
    assert not_found[0]["message"] == "Not Found: /r/[redacted]/"
    assert not_found[0]["request_id"] == requests[1]["request_id"]


def test_a_traceback_mentioning_a_token_is_redacted(json_log: io.StringIO) -> None:
    token = secrets.token_urlsafe(32)
    try:
        raise ValueError(f"no response for {token}")
    except ValueError:
        logging.getLogger("collabready.test").exception("failed at /r/%s/", token)
    output = json_log.getvalue()
    assert token not in output
    assert json.loads(output)["message"] == "failed at /r/[redacted]/"
    assert redact(f"code {token}.") == "code [redacted]."


@override_settings(COLLABREADY_REQUEST_ID_HEADER="X-Request-ID")
def test_the_proxys_request_id_is_kept(db: None, json_log: io.StringIO) -> None:
    got = Client().get("/healthz", HTTP_X_REQUEST_ID="lb-1234")
    assert got.headers["X-Request-ID"] == "lb-1234"
    assert '"request_id": "lb-1234"' in json_log.getvalue()
    forged = Client().get("/healthz", HTTP_X_REQUEST_ID="bad id\n{json}")
    assert forged.headers["X-Request-ID"] != "bad id\n{json}"


def test_healthz_answers_json(db: None) -> None:
    got = Client().get("/healthz")
    assert got.status_code == 200
    assert got.json() == {"status": "ok", "database": "ok"}


# -- gunicorn against PostgreSQL ---------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _database_url() -> str:
    s = connection.settings_dict
    return f"postgres://{s['USER']}@{s['HOST']}:{s['PORT']}/{s['NAME']}"


def _get(url: str) -> tuple[int, dict[str, str], bytes]:
    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args: object, **kwargs: object) -> None:
            return None

    opener = urllib.request.build_opener(NoRedirect)
    try:
        with opener.open(url, timeout=30) as got:
            return got.status, dict(got.headers), got.read()
    except urllib.error.HTTPError as exc:
        return exc.code, dict(exc.headers), exc.read()


def _wait_healthy(base: str, process: subprocess.Popen[str]) -> None:
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        assert process.poll() is None, "the server stopped"
        try:
            if _get(f"{base}/healthz")[0] == 200:
                return
        except OSError:
            pass
        time.sleep(0.3)
    raise AssertionError("the server did not answer /healthz")


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_serve_production_runs_gunicorn_on_postgres(tmp_path: Path, instrument: Instrument) -> None:
    from datetime import timedelta

    from django.utils import timezone

    now = timezone.now()
    wave = Wave.objects.create(
        slug="prod",
        name="Production wave",
        instrument_key=instrument.key,
        opens_at=now - timedelta(days=1),
        closes_at=now + timedelta(days=5),
        privacy_notice="p",
    )
    invited = invite(wave, instrument, "a@example.org")
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    process = subprocess.Popen(
        [BIN / "collabready", "serve", "--production", "--port", str(port), "--workers", "2"],
        env=_env(
            tmp_path,
            COLLABREADY_SECRET_KEY=secrets.token_urlsafe(50),
            COLLABREADY_ALLOWED_HOSTS="127.0.0.1",
            DATABASE_URL=_database_url(),
            COLLABREADY_SSL_REDIRECT="0",
        ),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=tmp_path,
    )
    try:
        _wait_healthy(base, process)
        status, headers, body = _get(f"{base}/healthz")
        assert json.loads(body) == {"status": "ok", "database": "ok"}
        assert headers["Server"] == "gunicorn"
        status, headers, _ = _get(f"{base}/r/{invited.token}/")
        assert status == 302
        assert headers["Location"] == "/survey/"
        assert _get(f"{base}/r/{'x' * 43}/")[0] == 404
        # WhiteNoise serves the collected static files, with hashed names, compressed
        status, _, page = _get(f"{base}/")
        css = next(part for part in page.decode().split('"') if part.endswith(".css"))
        assert css.startswith("/static/build/app.")
        assert css != "/static/build/app.css"
        request = urllib.request.Request(base + css, headers={"Accept-Encoding": "gzip"})
        with urllib.request.urlopen(request, timeout=30) as got:
            assert got.headers["Content-Encoding"] == "gzip"
            assert "immutable" in got.headers["Cache-Control"]
    finally:
        process.send_signal(signal.SIGTERM)
        out, err = process.communicate(timeout=60)
    logged = out + err
    assert invited.token not in logged
    lines = [json.loads(line) for line in err.splitlines() if line.startswith("{")]
    paths = [line.get("path") for line in lines if line["logger"] == "collabready.request"]
    assert "/r/[redacted]/" in paths
    assert any(line["logger"] == "gunicorn.error" for line in lines)
    assert all(line.startswith("{") for line in err.splitlines() if line.strip()), err[:2000]


def test_static_files_are_collected_again_only_when_a_source_changed(tmp_path: Path) -> None:
    from collabready.commands.serve import static_up_to_date

    source = tmp_path / "app.css"
    source.write_text("a")
    collected = tmp_path / "static"
    collected.mkdir()
    assert not static_up_to_date(sources=[source], collected=collected)  # never collected
    manifest = collected / "staticfiles.json"
    manifest.write_text("{}")
    os.utime(source, (1_000, 1_000))
    assert static_up_to_date(sources=[source], collected=collected)
    os.utime(source, None)  # edited after the collection
    os.utime(manifest, (1_000, 1_000))
    assert not static_up_to_date(sources=[source], collected=collected)


@pytest.mark.postgres
@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_a_respondent_alternating_between_two_app_servers_loses_nothing(tmp_path: Path) -> None:
    """Two `serve --production` on two ports, one PostgreSQL: every request of one
    journey goes to the other server than the last, and every answer is kept."""
    import random
    from datetime import timedelta

    from benchmarks.load._harness import Browser, page_answers, version_on
    from django.utils import timezone

    from collabready.analysis import codec as codes
    from collabready.web.surveys.instruments import instrument_latest
    from collabready.web.surveys.journey import journey_pages
    from collabready.web.surveys.models import Response

    cri = instrument_latest()
    now = timezone.now()
    wave = Wave.objects.create(
        slug="two",
        name="Two servers",
        instrument_key=cri.key,
        opens_at=now - timedelta(days=1),
        closes_at=now + timedelta(days=5),
        privacy_notice="p",
    )
    invited = invite(wave, cri, "two@example.org")
    secret = secrets.token_urlsafe(50)  # shared: a session signed by one is valid on the other
    ports = [_free_port(), _free_port()]
    servers = [
        subprocess.Popen(
            [BIN / "collabready", "serve", "--production", "--port", str(port), "--workers", "1"],
            env=_env(
                tmp_path / str(port),
                COLLABREADY_SECRET_KEY=secret,
                COLLABREADY_ALLOWED_HOSTS="127.0.0.1",
                DATABASE_URL=_database_url(),
                COLLABREADY_SSL_REDIRECT="0",
                COLLABREADY_SECURE_COOKIES="0",
            ),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        for port in ports
    ]
    try:
        for port, server in zip(ports, servers, strict=True):
            _wait_healthy(f"http://127.0.0.1:{port}", server)
        browser = Browser(ports[0])
        turn = 0

        def request(method: str, path: str, data: dict[str, str] | None = None) -> Any:
            nonlocal turn
            browser.close()
            browser.port = ports[turn % 2]
            turn += 1
            return browser.request(method, path, data)

        assert request("GET", f"/r/{invited.token}/").status == 302
        rng = random.Random(1)
        posted: dict[str, int] = {}
        for page in journey_pages(cri):
            url = f"/survey/questions/{page.slug}/"
            assert request("GET", url).status == 200
            data = page_answers(page, rng)
            assert request("POST", url, data).status == 302, page.slug
            posted.update({i.id: int(data[i.id]) for i in page.items})
        check = request("GET", "/survey/check-your-answers/")
        version = version_on(check.body) or ""
        done = request("POST", "/survey/check-your-answers/", {"version": version})
        assert done.headers["location"].endswith("/survey/confirmation/")
        assert request("GET", "/survey/profile/").status == 200
        assert turn > 20
    finally:
        for server in servers:
            server.send_signal(signal.SIGTERM)
        for server in servers:
            server.wait(timeout=60)
    response = Response.objects.get(pk=invited.response.pk)
    assert response.submitted_at is not None
    saved = codes.answers_decode(bytes(response.answers), cri)
    assert {k: saved.get(k) for k in posted} == posted
