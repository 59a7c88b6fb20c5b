"""Shared pieces of the load and crash scripts: a throw-away database, the production
server (``collabready serve --production``) on 127.0.0.1, invitations, and a
respondent client that walks the real survey over HTTP.

Everything talks to 127.0.0.1 only. The database ``collabready_load_<pid>`` and
the data directory are removed at the end (``Harness.close``).
"""

from __future__ import annotations

import http.client
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.parse
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import psycopg

BIN = Path(sys.executable).parent
PG_ADMIN = "postgres://postgres@127.0.0.1:5432/postgres"
_CSRF = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
_VERSION = re.compile(r'name="version" value="(\d+)"')


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Harness:
    """A database, a data directory and (while running) a gunicorn server."""

    workers: int = 2
    threads: int = 1
    name: str = field(default_factory=lambda: f"collabready_load_{os.getpid()}")
    data_dir: Path = field(default_factory=lambda: Path(tempfile.mkdtemp(prefix="cr-load-")))
    port: int = field(default_factory=free_port)
    server: subprocess.Popen[bytes] | None = None
    log_path: Path | None = None

    @property
    def database_url(self) -> str:
        return f"postgres://postgres@127.0.0.1:5432/{self.name}"

    @property
    def env(self) -> dict[str, str]:
        return {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "collabready.web.settings.production",
            "COLLABREADY_SECRET_KEY": self._secret,
            "COLLABREADY_ALLOWED_HOSTS": "127.0.0.1",
            "DATABASE_URL": self.database_url,
            "COLLABREADY_DATA_DIR": str(self.data_dir),
            "COLLABREADY_SSL_REDIRECT": "0",  # plain HTTP on 127.0.0.1
            "COLLABREADY_SECURE_COOKIES": "0",
            "COLLABREADY_LOG_LEVEL": "WARNING",
            "COLLABREADY_TOKEN_MAX_FAILURES": "1000000",
        }

    def __post_init__(self) -> None:
        self._secret = secrets.token_urlsafe(50)

    def create_database(self) -> None:
        with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{self.name}"')
            conn.execute(f'CREATE DATABASE "{self.name}"')
        for key, value in self.env.items():
            os.environ[key] = value
        import django

        django.setup()
        from django.core.management import call_command

        call_command("migrate", interactive=False, verbosity=0)

    def start(self) -> None:
        """Start ``collabready serve --production`` and wait until /healthz answers."""
        assert self.server is None
        self.log_path = self.data_dir / "server.log"
        log = self.log_path.open("ab")
        self.server = subprocess.Popen(
            [
                BIN / "collabready",
                *("serve", "--production", "--port", str(self.port)),
                *("--workers", str(self.workers), "--threads", str(self.threads)),
            ],
            env=self.env,
            stdout=log,
            stderr=log,
            start_new_session=True,
        )
        # a worker's first request imports the whole application: on a saturated
        # machine that alone has taken over 20 s
        deadline = time.monotonic() + 300
        while time.monotonic() < deadline:
            if self.server.poll() is not None:
                raise RuntimeError(f"the server stopped; see {self.log_path}")
            try:
                conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=5)
                conn.request("GET", "/healthz")
                if conn.getresponse().status == 200:
                    return
            except OSError:
                pass
            time.sleep(0.2)
        raise RuntimeError("the server did not answer /healthz within 300 s")

    def worker_pids(self) -> list[int]:
        assert self.server is not None
        path = Path(f"/proc/{self.server.pid}/task/{self.server.pid}/children")
        return [int(p) for p in path.read_text().split()]

    def kill_worker(self) -> int:
        """``kill -9`` one gunicorn worker; the master starts another."""
        pid = self.worker_pids()[0]
        os.kill(pid, signal.SIGKILL)
        return pid

    def kill_server(self) -> None:
        """``kill -9`` the whole server: the master and every worker at once."""
        assert self.server is not None
        os.killpg(self.server.pid, signal.SIGKILL)
        self.server.wait(timeout=30)
        self.server = None

    def stop(self) -> None:
        if self.server is not None:
            with _Suppress():
                os.killpg(self.server.pid, signal.SIGTERM)
                self.server.wait(timeout=30)
            with _Suppress():
                os.killpg(self.server.pid, signal.SIGKILL)
            self.server = None

    def close(self) -> None:
        self.stop()
        from django.db import connections

        connections.close_all()
        with _Suppress(), psycopg.connect(PG_ADMIN, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)')
        shutil.rmtree(self.data_dir, ignore_errors=True)


class _Suppress:
    def __enter__(self) -> None:
        return None

    def __exit__(self, *exc: object) -> bool:
        return True


def make_invitations(count: int) -> tuple[Any, list[str]]:
    """An open wave of the bundled CRI with ``count`` invitations: their tokens."""
    from datetime import timedelta

    from django.db import transaction
    from django.utils import timezone

    from collabready.web.surveys.instruments import instrument_latest
    from collabready.web.surveys.models import AccessToken, Invitation, Wave
    from collabready.web.surveys.services.responses import response_new
    from collabready.web.surveys.services.tokens import token_issue

    instrument = instrument_latest()
    now = timezone.now()
    tokens = []
    with transaction.atomic():
        wave = Wave.objects.create(
            slug="load",
            name="Load test wave",
            instrument_key=instrument.key,
            opens_at=now - timedelta(days=1),
            closes_at=now + timedelta(days=30),
            privacy_notice="Load test.",
        )
        for n in range(count):
            invitation = Invitation.objects.create(
                wave=wave,
                email=f"r{n}@example.org",
                name="R",
                organisation=f"Org {n}",
                sector="public",
            )
            response = response_new(wave=wave, instrument=instrument, invitation=invitation)
            response.save()
            tokens.append(token_issue(response=response, purpose=AccessToken.Purpose.INVITATION))
    return instrument, tokens


def page_answers(page: Any, rng: Any) -> dict[str, str]:
    """A complete answer to one page (codes as posted by the form)."""
    data: dict[str, str] = {}
    for question in page.questions:
        data[question.id] = str(rng.choice(question.choices).code)
    for item in page.items:
        data[item.id] = str(rng.randint(1, 5))
    for oq in page.open_questions:
        data[oq.id] = "More time together."
    if page.open_questions:
        data["action"] = "continue"
    return data


class UnavailableError(Exception):
    """No usable answer (connection refused or reset, timeout, a 5xx): try again."""

    def __init__(self, what: str, status: int | None = None) -> None:
        super().__init__(what)
        self.status = status


@dataclass
class Reply:
    status: int
    headers: dict[str, str]
    body: str
    seconds: float


class Browser:
    """One respondent's browser: cookies, CSRF token, one keep-alive connection."""

    def __init__(self, port: int, *, timeout: float = 15.0) -> None:
        self.port = port
        self.timeout = timeout
        self.cookies: dict[str, str] = {}
        self.csrf: str | None = None
        self.conn: http.client.HTTPConnection | None = None

    def _connection(self) -> http.client.HTTPConnection:
        if self.conn is None:
            self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=self.timeout)
        return self.conn

    def request(self, method: str, path: str, data: dict[str, str] | None = None) -> Reply:
        headers = {"Host": "127.0.0.1"}
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        body = None
        if data is not None:
            form = {**data, "csrfmiddlewaretoken": self.csrf or ""}
            body = urllib.parse.urlencode(form)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        started = time.perf_counter()
        try:
            conn = self._connection()
            conn.request(method, path, body=body, headers=headers)
            got = conn.getresponse()
            text = got.read().decode("utf-8", "replace")
        except (OSError, http.client.HTTPException) as exc:
            self.close()
            raise UnavailableError(type(exc).__name__) from None
        seconds = time.perf_counter() - started
        for name, value in got.getheaders():
            if name.lower() == "set-cookie":
                key, _, rest = value.partition("=")
                self.cookies[key.strip()] = rest.split(";", 1)[0]
        if got.getheader("Connection", "").lower() == "close":
            self.close()
        match = _CSRF.search(text)
        if match:
            self.csrf = match.group(1)
        reply = Reply(got.status, {k.lower(): v for k, v in got.getheaders()}, text, seconds)
        if got.status == 503:
            styled = "Sorry, the service is unavailable" in text and "retry-after" in reply.headers
            raise UnavailableError("HTTP 503" if styled else "HTTP 503 (bare)", 503)
        if got.status >= 500:
            raise UnavailableError(f"HTTP {got.status}", got.status)
        return reply

    def close(self) -> None:
        if self.conn is not None:
            self.conn.close()
            self.conn = None


def version_on(body: str) -> str | None:
    match = _VERSION.search(body)
    return match.group(1) if match else None
