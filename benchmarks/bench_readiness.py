"""The readiness profile page and its PDF with 1,000,000 responses in the wave, on PostgreSQL.

    .venv/bin/python -m benchmarks.bench_readiness [--responses 1000000] [--pages 200]
        [--pdfs 20] [--warmup 5] [--sector public] [--repeat 3] [--in-process 30]
        [--time-limit 1800]

Targets: ``GET /survey/profile/`` at most 200 ms at p95; ``GET /survey/profile.pdf``
at most 1.5 s (at p95).

Needs PostgreSQL 15 on 127.0.0.1:5432 (trust authentication, user ``postgres``);
nothing else is ever connected to. Everything the script creates (a database
``collabready_bench_<pid>``, a data directory, the server process) is removed at
the end, also after an error, Ctrl-C or the time limit.

1. **Set-up**, each step timed and printed: create the database; ``migrate``; a
   wave of the bundled CRI; ``--responses`` synthetic *submitted* responses
   (``collabready.synth``, complete ones only) bulk-loaded with one COPY
   (psycopg ``cursor.copy``) in the layout ``services.bulk`` stores (answer and
   profile bytes in the codec of ``collabready.analysis.codec``; sector and
   ``organisation_ref`` from the synthetic data, so every organisation is
   verified; distinct submission times); ``VACUUM ANALYZE``; one invited
   respondent (invitation, submitted response with one synthetic respondent's
   answers in ``--sector``, personal-link token).
2. **The background task**: ``services.peers.peer_snapshot_refresh`` for the
   respondent's sector, ``--repeat`` times (the first creates the stored
   snapshot), with its parts.
3. **Same-run baseline**, the old page's per-request work: load and score the
   sector (``wave_responses(wave=, sector=)`` + ``prepare``), best of
   ``--repeat``; printed as a ratio to the page's p50 and p95.
4. **A real server**: ``collabready-manage runserver --noreload --nothreading``
   on a free port of 127.0.0.1 (gunicorn is not a dependency; one thread, so
   its database connection is kept between requests as a sync worker keeps
   it). A cookie-keeping ``urllib`` session opens the personal link
   ``/r/<token>/``; the stored snapshot is deleted and the first page request
   takes it synchronously (printed alone); then ``--warmup`` requests of each
   page, ``--pages`` of ``/survey/profile/`` and ``--pdfs`` of
   ``/survey/profile.pdf``, one at a time: p50/p95/p99 of the time to the last
   byte, as the client sees it.
5. **Where the time goes**: the same two views in this process (Django's test
   client on the same database, no HTTP), ``--in-process`` requests each; the
   median time of each function the view calls (the module-level names wrapped
   with a timer; "rest" is what the listed parts do not cover: middleware,
   the session read, URL resolution).
"""

from __future__ import annotations

import argparse
import contextlib
import http.cookiejar
import importlib
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

import numpy as np

from benchmarks._util import header

#: The only server this script connects to.
PG_HOST, PG_PORT, PG_USER = "127.0.0.1", 5432, "postgres"
ADMIN_DSN = f"host={PG_HOST} port={PG_PORT} user={PG_USER} dbname=postgres connect_timeout=10"
TARGET_PAGE_P95 = 0.200
TARGET_PDF = 1.5
#: Bounds on the options (the machine is shared).
MAX_RESPONSES = 2_000_000
MAX_REQUESTS = 2_000
SEED = 2026


class TimeLimitError(Exception):
    """The run took longer than --time-limit."""


def clock() -> float:
    return time.perf_counter()


@contextlib.contextmanager
def step(name: str) -> Iterator[None]:
    t0 = clock()
    yield
    print(f"  {name:<58} {clock() - t0:8.2f} s", flush=True)


# --------------------------------------------------------------------------- resources


@dataclass
class Resources:
    """What the run created, removed by :meth:`close` whatever happened."""

    database: str | None = None
    data_dir: Path | None = None
    server: subprocess.Popen[bytes] | None = None
    server_log: Path | None = None
    django_ready: bool = False

    def close(self) -> None:
        if self.server is not None and self.server.poll() is None:
            self.server.terminate()
            try:
                self.server.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.server.kill()
                self.server.wait(timeout=15)
            print(f"cleanup: server (pid {self.server.pid}) stopped")
        if self.django_ready:
            from django.db import connections

            connections.close_all()
        if self.database is not None:
            drop_database(self.database)
            print(f"cleanup: database {self.database} dropped")
        if self.data_dir is not None:
            shutil.rmtree(self.data_dir, ignore_errors=True)
            print(f"cleanup: {self.data_dir} removed")


def create_database(name: str) -> None:
    import psycopg
    from psycopg import sql

    with psycopg.connect(ADMIN_DSN, autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))


def drop_database(name: str) -> None:
    import psycopg
    from psycopg import sql

    with psycopg.connect(ADMIN_DSN, autocommit=True) as conn:
        conn.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
        )


def settings_env(database: str, data_dir: Path) -> dict[str, str]:
    """The environment of the platform's settings (web/settings/base.py) for this run."""
    return {
        "DJANGO_SETTINGS_MODULE": "collabready.web.settings.base",
        "DATABASE_URL": f"postgres://{PG_USER}@{PG_HOST}:{PG_PORT}/{database}",
        "COLLABREADY_DATA_DIR": str(data_dir),
        "COLLABREADY_SECRET_KEY": secrets.token_urlsafe(50),
        "COLLABREADY_LOG_LEVEL": "WARNING",
        "COLLABREADY_DEBUG": "0",
    }


# --------------------------------------------------------------------------- timed parts


@dataclass(frozen=True)
class Part:
    """A function a view calls, found as ``owner.attr`` (owner: ``module`` or
    ``module:Class``), with the parts it calls in turn."""

    label: str
    owner: str
    attr: str
    children: tuple[Part, ...] = ()


def resolve(owner: str) -> Any:
    module, _, cls = owner.partition(":")
    found = importlib.import_module(module)
    return getattr(found, cls) if cls else found


def walk(parts: tuple[Part, ...]) -> Iterator[Part]:
    for part in parts:
        yield part
        yield from walk(part.children)


@contextlib.contextmanager
def timed_parts(parts: tuple[Part, ...], times: dict[str, float]) -> Iterator[None]:
    """Wrap every part's function with a timer adding to ``times[label]``."""
    saved = []

    def wrap(label: str, fn: Callable[..., Any]) -> Callable[..., Any]:
        def timed(*args: Any, **kwargs: Any) -> Any:
            t0 = clock()
            try:
                return fn(*args, **kwargs)
            finally:
                times[label] = times.get(label, 0.0) + clock() - t0

        return timed

    for part in walk(parts):
        owner = resolve(part.owner)
        fn = owner.__dict__[part.attr] if isinstance(owner, type) else getattr(owner, part.attr)
        saved.append((owner, part.attr, fn))
        setattr(owner, part.attr, wrap(part.label, fn))
    try:
        yield
    finally:
        for owner, attr, fn in reversed(saved):
            setattr(owner, attr, fn)


def print_tree(
    total: list[float],
    samples: list[dict[str, float]],
    parts: tuple[Part, ...],
    indent: str,
    rest: str = "rest",
) -> None:
    """Medians of each part over the samples, with each level's unexplained rest."""

    def median(values: list[float]) -> float:
        return float(np.median(values)) * 1000

    def level(children: tuple[Part, ...], totals: list[float], pad: str, rest: str) -> None:
        for part in children:
            values = [s.get(part.label, 0.0) for s in samples]
            print(f"{pad}{part.label:<{44 - len(pad)}} {median(values):8.1f} ms")
            if part.children:
                level(part.children, values, pad + "  ", "rest")
        left = [
            t - sum(s.get(p.label, 0.0) for p in children)
            for t, s in zip(totals, samples, strict=True)
        ]
        print(f"{pad}{'(' + rest + ')':<{44 - len(pad)}} {median(left):8.1f} ms")

    print(f"{indent}{'total':<{44 - len(indent)}} {median(total):8.1f} ms")
    level(parts, total, indent + "  ", rest)


# --------------------------------------------------------------------------- set-up


@dataclass
class Loaded:
    wave_id: int
    response_id: int
    token: str
    sector_rows: int


def synthetic_submitted(n: int, instrument: Any) -> Any:
    """``n`` complete synthetic responses (a polars frame), organisation ids kept distinct."""
    import polars as pl

    from collabready.synth import generate_wave

    parts, have, offset = [], 0, 0
    for attempt in range(5):
        need = n - have
        frame = generate_wave(
            respondents=int(need / 0.88) + 1_000, seed=SEED + attempt, instrument=instrument
        ).responses.filter(pl.col("complete"))
        frame = frame.head(need).with_columns(pl.col("organisation_id") + offset)
        parts.append(frame)
        have += frame.height
        offset = int(frame.get_column("organisation_id").max() or 0) + 1
        if have >= n:
            return pl.concat(parts)
    raise SystemExit(f"could not draw {n:,} complete synthetic responses")


@dataclass
class Rows:
    answers: np.ndarray
    profile: np.ndarray
    sector: list[str]
    organisation: list[str]
    open_answers: list[str]


def stored_rows(frame: Any, instrument: Any) -> Rows:
    """The synthetic frame in the stored layout of ``services.bulk.responses_bulk_load``."""
    import polars as pl

    from collabready.analysis.codec import PROFILE_MISSING
    from collabready.instrument import MISSING

    answers = np.ascontiguousarray(
        frame.select(list(instrument.item_ids)).fill_null(MISSING).to_numpy().astype(np.int8)
    )
    profile = np.full((frame.height, len(instrument.profile)), PROFILE_MISSING, dtype=np.int8)
    for j, question in enumerate(instrument.profile):
        if question.id in frame.columns:
            mapping = {c.value: c.code for c in question.choices}
            profile[:, j] = (
                frame.get_column(question.id)
                .replace_strict(mapping, default=PROFILE_MISSING, return_dtype=pl.Int8)
                .to_numpy()
            )
    open_ids = [q.id for q in instrument.open_questions if q.id in frame.columns]
    open_json = (
        frame.select(pl.struct([pl.col(q).fill_null("") for q in open_ids]).struct.json_encode())
        .to_series()
        .to_list()
        if open_ids
        else ["{}"] * frame.height
    )
    return Rows(
        answers=answers,
        profile=np.ascontiguousarray(profile),
        sector=frame.get_column("sector").fill_null("").to_list(),
        organisation=frame.get_column("organisation_id").cast(pl.Utf8).fill_null("").to_list(),
        open_answers=open_json,
    )


def _as_is(text: str) -> str:
    """The JSON text as it is (it is already encoded)."""
    return text


def copy_responses(dsn: str, wave_id: int, rows: Rows) -> int:
    """One COPY of every row into the response table; returns the rows written."""
    import psycopg
    from django.utils import timezone
    from psycopg.types.json import Jsonb

    from collabready.web.surveys.models import Response

    meta = Response._meta
    columns = [
        meta.get_field(name).column
        for name in (
            "wave",
            "answers",
            "profile",
            "open_answers",
            "sector",
            "organisation_ref",
            "language",
            "last_page",
            "version",
            "synthetic",
            "is_test",
            "started_at",
            "updated_at",
            "submitted_at",
        )
    ]
    types = [
        "int8",
        "bytea",
        "bytea",
        "jsonb",
        "varchar",
        "varchar",
        "varchar",
        "varchar",
        "int4",
        "bool",
        "bool",
        "timestamptz",
        "timestamptz",
        "timestamptz",
    ]
    n = rows.answers.shape[0]
    # distinct submission times, one millisecond apart, all before now
    first = timezone.now() - timedelta(milliseconds=n) - timedelta(hours=1)
    answers, profile = rows.answers.tobytes(), rows.profile.tobytes()
    a_width, p_width = rows.answers.shape[1], rows.profile.shape[1]
    statement = f"COPY {meta.db_table} ({', '.join(columns)}) FROM STDIN (FORMAT BINARY)"
    with psycopg.connect(dsn) as conn, conn.cursor() as cur:
        with cur.copy(statement) as copy:
            copy.set_types(types)
            for i in range(n):
                submitted = first + timedelta(milliseconds=i)
                copy.write_row(
                    (
                        wave_id,
                        answers[i * a_width : (i + 1) * a_width],
                        profile[i * p_width : (i + 1) * p_width],
                        Jsonb(rows.open_answers[i], dumps=_as_is),
                        rows.sector[i],
                        rows.organisation[i],
                        "en",
                        "open",
                        1,
                        True,
                        False,
                        submitted - timedelta(minutes=20),
                        submitted,
                        submitted,
                    )
                )
        conn.commit()
    return n


@dataclass
class LoadedWave:
    """A synthetic wave loaded by :func:`load_wave`: the wave, its instrument, its rows."""

    wave: Any
    instrument: Any
    rows: Rows


def load_wave(
    res: Resources, responses: int, *, name: str = "bench", env: dict[str, str] | None = None
) -> LoadedWave:
    """Create the database ``collabready_<name>_<pid>``, migrate, create a wave of the
    bundled CRI and load ``responses`` synthetic submitted responses with one COPY,
    each step timed and printed (the set-up every PostgreSQL benchmark shares)."""
    import django

    res.database = f"collabready_{name}_{os.getpid()}"
    res.data_dir = Path(tempfile.mkdtemp(prefix=f"collabready-{name}-"))
    (res.data_dir / "static").mkdir()  # STATIC_ROOT (whitenoise warns when it is absent)
    os.environ.update({**settings_env(res.database, res.data_dir), **(env or {})})
    print(f"set-up ({responses:,} responses; database {res.database} on {PG_HOST}):")
    with step("create the database"):
        create_database(res.database)
    django.setup()
    res.django_ready = True
    from django.core.management import call_command
    from django.db import connection
    from django.utils import timezone

    from collabready.web.surveys.instruments import instrument_latest
    from collabready.web.surveys.models import Response
    from collabready.web.surveys.services.waves import wave_create

    with step("migrate"):
        call_command("migrate", interactive=False, verbosity=0)
    instrument = instrument_latest()
    with step(f"create a wave of {instrument.key}"):
        now = timezone.now()
        wave = wave_create(
            slug="bench",
            name="Benchmark wave",
            instrument_key=instrument.key,
            opens_at=now - timedelta(days=30),
            closes_at=now + timedelta(days=30),
            privacy_notice="A benchmark wave of synthetic responses.",
        )
    with step(f"generate {responses:,} complete synthetic responses"):
        frame = synthetic_submitted(responses, instrument)
    with step("to the stored layout (answer and profile bytes)"):
        rows = stored_rows(frame, instrument)
    del frame
    dsn = f"host={PG_HOST} port={PG_PORT} user={PG_USER} dbname={res.database}"
    with step(f"COPY {responses:,} submitted responses"):
        copy_responses(dsn, wave.pk, rows)
    with step("VACUUM ANALYZE the response table"), connection.cursor() as cur:
        cur.execute(f"VACUUM ANALYZE {Response._meta.db_table}")
    return LoadedWave(wave, instrument, rows)


def set_up(args: argparse.Namespace, res: Resources) -> Loaded:
    """Step 1 of the module docstring."""
    loaded = load_wave(res, args.responses)
    wave, instrument, rows = loaded.wave, loaded.instrument, loaded.rows
    from django.utils import timezone

    from collabready.web.surveys.models import AccessToken, Invitation, Response
    from collabready.web.surveys.services.responses import response_new
    from collabready.web.surveys.services.tokens import token_issue

    mine = rows.sector.index(args.sector) if args.sector in rows.sector else -1
    if mine < 0:
        raise SystemExit(f"no synthetic response in sector {args.sector!r}")
    with step(f"one invited respondent in sector {args.sector!r}, with a token"):
        invitation = Invitation.objects.create(
            wave=wave,
            email="bench.leader@example.org",
            name="Bench Leader",
            organisation="Bench Borough Council",
            sector=args.sector,
        )
        response = response_new(wave=wave, instrument=instrument, invitation=invitation)
        response.answers = rows.answers[mine].tobytes()
        response.profile = rows.profile[mine].tobytes()
        response.version = 1
        response.last_page = "open"
        response.started_at = response.submitted_at = timezone.now()
        response.save()
        token = token_issue(response=response, purpose=AccessToken.Purpose.INVITATION)
    sector_rows = Response.objects.filter(wave=wave, sector=args.sector).count()
    total = Response.objects.filter(wave=wave, submitted_at__isnull=False).count()
    print(f"  {total:,} submitted responses in the wave, {sector_rows:,} in {args.sector!r}")
    return Loaded(wave.pk, response.pk, token, sector_rows)


# --------------------------------------------------------------------------- in-process work

SNAPSHOT_PARTS = (
    Part(
        "wave_responses (verified, by submission)",
        "collabready.web.surveys.selectors.responses",
        "wave_responses",
        (
            Part("from_rows", "collabready.web.surveys.selectors.responses", "from_rows"),
            Part(
                "organisation_numbers",
                "collabready.web.surveys.selectors.responses",
                "organisation_numbers",
            ),
        ),
    ),
    Part("prepare (score)", "collabready.web.surveys.services.peers", "prepare"),
    Part("peer_snapshot", "collabready.web.surveys.services.peers", "peer_snapshot"),
)

BASELINE_PARTS = (
    Part("from_rows", "collabready.web.surveys.selectors.responses", "from_rows"),
    Part(
        "organisation_numbers",
        "collabready.web.surveys.selectors.responses",
        "organisation_numbers",
    ),
)


def time_snapshot(loaded: Loaded, sector: str, repeat: int) -> float:
    """Step 2: the background task's cost."""
    from collabready.web.surveys.services.peers import peer_snapshot_refresh

    print(f"peer_snapshot_refresh(sector={sector!r}) at {loaded.sector_rows:,} responses:")
    runs, samples = [], []
    row = None
    for i in range(repeat):
        times: dict[str, float] = {}
        with timed_parts(SNAPSHOT_PARTS, times):
            t0 = clock()
            row = peer_snapshot_refresh(wave_id=loaded.wave_id, sector=sector)
            took = clock() - t0
        runs.append(took)
        samples.append(times)
        print(f"  run {i + 1}: {took:6.2f} s" + ("  (creates the stored row)" if i == 0 else ""))
    assert row is not None
    best = int(np.argmin(runs))
    print(
        f"  best {runs[best]:.2f} s: {row.organisations:,} organisations in the snapshot "
        f"(step {row.step}), {row.submitted:,} submitted; the stored row holds "
        f"{len(bytes(row.index)) / 2**20:.1f} MiB of index values; its parts:"
    )
    print_tree([runs[best]], [samples[best]], SNAPSHOT_PARTS, "    ")
    return runs[best]


def time_baseline(loaded: Loaded, sector: str, repeat: int) -> float:
    """Step 3: what the old page did on every request, best of ``repeat``."""
    from collabready.analysis.data import prepare
    from collabready.web.surveys.models import Wave
    from collabready.web.surveys.selectors import responses as selectors

    wave = Wave.objects.get(pk=loaded.wave_id)
    runs, samples, n = [], [], 0
    for _ in range(repeat):
        times: dict[str, float] = {}
        with timed_parts(BASELINE_PARTS, times):
            t0 = clock()
            matrix = selectors.wave_responses(wave=wave, sector=sector)
            t1 = clock()
            data = prepare(matrix)
            t2 = clock()
        times["prepare (score)"] = t2 - t1
        times["wave_responses"] = t1 - t0
        runs.append(t2 - t0)
        samples.append(times)
        n = len(data)
        del matrix, data
    best = int(np.argmin(runs))
    parts = (Part("wave_responses", "", "", BASELINE_PARTS), Part("prepare (score)", "", ""))
    print(
        f"same-run baseline, the old page's per-request work: wave_responses(sector={sector!r}) "
        f"+ prepare on {n:,} responses, best of {repeat}: {runs[best]:.2f} s"
    )
    print_tree([runs[best]], [samples[best]], parts, "    ")
    return runs[best]


# --------------------------------------------------------------------------- the server


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((PG_HOST, 0))
        return int(s.getsockname()[1])


def start_server(res: Resources, port: int, probe: str = "/survey/") -> str:
    """Start ``runserver`` on ``port``; its address once ``probe`` answers."""
    assert res.data_dir is not None
    res.server_log = res.data_dir / "server.log"
    log = res.server_log.open("wb")
    res.server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "collabready.web.manage",
            "runserver",
            "--noreload",
            "--nothreading",
            f"127.0.0.1:{port}",
        ],
        env=os.environ.copy(),
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    base = f"http://127.0.0.1:{port}"
    deadline = clock() + 60
    while clock() < deadline:
        if res.server.poll() is not None:
            raise SystemExit(f"the server exited: {res.server_log.read_text()[-2000:]}")
        try:
            with urllib.request.urlopen(base + probe, timeout=5):
                pass
            return base
        except urllib.error.HTTPError:
            return base  # any HTTP answer means it is serving (403: no session)
        except OSError:
            time.sleep(0.2)
    raise SystemExit("the server did not answer within 60 s")


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


@dataclass
class Session:
    base: str
    opener: urllib.request.OpenerDirector = field(
        default_factory=lambda: urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()), _NoRedirect()
        )
    )

    def get(self, path: str, *, timeout: float = 120) -> tuple[float, int, str, bytes]:
        """(seconds to the last byte, status, content type, body)."""
        t0 = clock()
        try:
            with self.opener.open(self.base + path, timeout=timeout) as got:
                body = got.read()
                status, kind = got.status, got.headers.get("Content-Type", "")
        except urllib.error.HTTPError as exc:
            body, status, kind = exc.read(), exc.code, exc.headers.get("Content-Type", "")
        return clock() - t0, status, kind, body


def check_page(status: int, kind: str, body: bytes) -> None:
    if status != 200 or not kind.startswith("text/html") or b'id="peers-basis"' not in body:
        raise SystemExit(f"/survey/profile/: unexpected answer {status} {kind}: {body[:300]!r}")


def check_pdf(status: int, kind: str, body: bytes) -> None:
    if status != 200 or kind != "application/pdf" or not body.startswith(b"%PDF-"):
        raise SystemExit(f"/survey/profile.pdf: unexpected answer {status} {kind}: {body[:300]!r}")


def summary(name: str, samples: list[float], target: float, what: str) -> dict[str, float]:
    a = np.asarray(samples) * 1000
    p50, p95, p99 = (float(v) for v in np.percentile(a, [50, 95, 99]))
    verdict = "met" if p95 <= target * 1000 else "NOT met"
    print(
        f"  {name:<22} n={a.size:<4} min {a.min():7.1f}  p50 {p50:7.1f}  p95 {p95:7.1f}  "
        f"p99 {p99:7.1f}  max {a.max():7.1f} ms  ({what} <= {target * 1000:.0f} ms: {verdict})"
    )
    return {"p50": p50 / 1000, "p95": p95 / 1000, "p99": p99 / 1000}


def over_http(args: argparse.Namespace, res: Resources, loaded: Loaded) -> dict[str, Any]:
    """Step 4."""
    from collabready.web.surveys.models import PeerSnapshot

    with step("start runserver --noreload --nothreading"):
        base = start_server(res, free_port())
    print(f"over HTTP ({base}, one request at a time):")
    session = Session(base)
    took, status, _, _ = session.get(f"/r/{loaded.token}/")
    if status != 302:
        raise SystemExit(f"the personal link answered {status}, not a redirect")
    print(f"  personal link /r/<token>/: {took * 1000:.1f} ms (302 to the profile)")
    PeerSnapshot.objects.filter(wave_id=loaded.wave_id, sector=args.sector).delete()
    took, *answer = session.get("/survey/profile/")
    check_page(*answer)
    first = took
    print(
        f"  first /survey/profile/ (no stored snapshot: taken in the request; cold server): "
        f"{took:.2f} s"
    )
    for _ in range(args.warmup):
        check_page(*session.get("/survey/profile/")[1:])
        check_pdf(*session.get("/survey/profile.pdf")[1:])
    pages, pdfs, size = [], [], 0
    for _ in range(args.pages):
        took, *answer = session.get("/survey/profile/")
        check_page(*answer)
        pages.append(took)
    for _ in range(args.pdfs):
        took, *answer = session.get("/survey/profile.pdf")
        check_pdf(*answer)
        pdfs.append(took)
        size = len(answer[2])
    print(f"  after {args.warmup} warm-up requests of each (PDF {size / 1024:.0f} KiB):")
    page = summary("/survey/profile/", pages, TARGET_PAGE_P95, "p95")
    pdf = summary("/survey/profile.pdf", pdfs, TARGET_PDF, "p95")
    return {"first": first, "page": page, "pdf": pdf}


# --------------------------------------------------------------------------- in-process views

PROFILE = "collabready.web.surveys.views_readiness"
SELECTOR = "collabready.web.surveys.selectors.readiness"
READINESS_PARTS = (
    Part(
        "snapshot_get (stored row)",
        SELECTOR,
        "snapshot_get",
        (Part("snapshot_from_row (decode)", SELECTOR, "snapshot_from_row"),),
    ),
    Part("score_matrix (own answers)", SELECTOR, "score_matrix"),
    Part(
        "readiness_profile",
        SELECTOR,
        "readiness_profile",
        (Part("peer_benchmark", "collabready.analysis.readiness", "peer_benchmark"),),
    ),
)
PAGE_PARTS = (
    Part("response_state", PROFILE, "response_state"),
    Part("response_readiness", PROFILE, "response_readiness", READINESS_PARTS),
    Part("profile_chart", PROFILE, "profile_chart"),
    Part("render (template)", PROFILE, "render"),
)
PDF_PARTS = (
    Part("response_state", PROFILE, "response_state"),
    Part(
        "readiness_pdf",
        "collabready.web.reports.readiness_pdf",
        "readiness_pdf",
        (
            Part(
                "response_readiness",
                "collabready.web.reports.readiness_pdf",
                "response_readiness",
                READINESS_PARTS,
            ),
            Part(
                "readiness_report",
                "collabready.reporting.readiness",
                "readiness_report",
                (
                    Part(
                        "estimate_chart (SVG)", "collabready.reporting.readiness", "estimate_chart"
                    ),
                ),
            ),
            Part(
                "render_pdf",
                "collabready.reporting.render",
                "render_pdf",
                (
                    Part("render_html", "collabready.reporting.render", "render_html"),
                    Part("weasyprint HTML.render (layout)", "weasyprint:HTML", "render"),
                    Part("Document.write_pdf", "weasyprint.document:Document", "write_pdf"),
                ),
            ),
        ),
    ),
)


def in_process(args: argparse.Namespace, loaded: Loaded) -> None:
    """Step 5."""
    from django.test import Client

    client = Client(SERVER_NAME="127.0.0.1")
    if client.get(f"/r/{loaded.token}/").status_code != 302:
        raise SystemExit("in-process: the personal link did not open the response")
    for path, parts, check in (
        ("/survey/profile/", PAGE_PARTS, check_page),
        ("/survey/profile.pdf", PDF_PARTS, check_pdf),
    ):
        for _ in range(2):
            client.get(path)
        totals, samples = [], []
        for _ in range(args.in_process):
            times: dict[str, float] = {}
            with timed_parts(parts, times):
                t0 = clock()
                got = client.get(path)
                totals.append(clock() - t0)
            check(got.status_code, got.headers.get("Content-Type", ""), got.content)
            samples.append(times)
        print(f"  {path}: median of {args.in_process} in-process requests")
        print_tree(totals, samples, parts, "    ", "rest: middleware, session, URL resolution")


# --------------------------------------------------------------------------- main


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--responses", type=int, default=1_000_000)
    parser.add_argument("--pages", type=int, default=200, help="timed page requests")
    parser.add_argument("--pdfs", type=int, default=20, help="timed PDF requests")
    parser.add_argument("--warmup", type=int, default=5, help="warm-up requests of each")
    parser.add_argument("--sector", default="public", help="the respondent's sector")
    parser.add_argument("--repeat", type=int, default=3, help="runs of the in-process timings")
    parser.add_argument("--in-process", type=int, default=30, help="requests of each view")
    parser.add_argument("--time-limit", type=int, default=1800, help="seconds, then stop")
    args = parser.parse_args()
    if not 1_000 <= args.responses <= MAX_RESPONSES:
        parser.error(f"--responses must be 1,000 to {MAX_RESPONSES:,}")
    for name in ("pages", "pdfs", "warmup", "repeat", "in_process"):
        if not 1 <= getattr(args, name) <= MAX_REQUESTS:
            parser.error(f"--{name.replace('_', '-')} must be 1 to {MAX_REQUESTS:,}")
    if not 60 <= args.time_limit <= 4 * 3600:
        parser.error("--time-limit must be 60 s to 4 h")

    def stop(signum: int, _frame: Any) -> None:
        if signum == signal.SIGALRM:
            raise TimeLimitError(f"stopped at the time limit of {args.time_limit} s")
        raise SystemExit(128 + signum)

    signal.signal(signal.SIGALRM, stop)
    signal.signal(signal.SIGTERM, stop)
    signal.alarm(args.time_limit)
    header(
        f"readiness profile page and PDF with {args.responses:,} responses in the wave "
        f"(PostgreSQL at {PG_HOST}:{PG_PORT})"
    )
    res = Resources()
    started = clock()
    try:
        loaded = set_up(args, res)
        t_snapshot = time_snapshot(loaded, args.sector, args.repeat)
        t_base = time_baseline(loaded, args.sector, args.repeat)
        http = over_http(args, res, loaded)
        page = http["page"]
        print(
            f"speed ratio, old per-request load + score / page: {t_base:.2f} s / "
            f"{page['p50'] * 1000:.1f} ms = {t_base / page['p50']:.0f}x at p50, "
            f"{t_base / page['p95']:.0f}x at p95"
        )
        print(
            f"  the background refresh ({t_snapshot:.2f} s) is what the first request of a "
            f"sector without a stored snapshot waits for (that request: {http['first']:.2f} s)"
        )
        print("where the time goes (in-process, Django test client, same database):")
        in_process(args, loaded)
    except TimeLimitError as exc:
        print(f"error: {exc}", file=sys.stderr)
        raise SystemExit(3) from None
    except BaseException:
        if res.server_log is not None and res.server_log.exists():
            print("server log (last 3000 characters):", file=sys.stderr)
            print(res.server_log.read_text(errors="replace")[-3000:], file=sys.stderr)
        raise
    finally:
        signal.alarm(0)
        res.close()
        print(f"total {clock() - started:.0f} s; load average at the end {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
