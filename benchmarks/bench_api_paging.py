"""Paging through every response of a 1,000,000-response wave through the REST API.

    .venv/bin/python -m benchmarks.bench_api_paging [--responses 1000000] [--limit 1000]
        [--offset-probes 5] [--time-limit 1800]

Needs PostgreSQL 15 on 127.0.0.1:5432 (trust authentication, user ``postgres``);
nothing else is ever connected to. Everything the script creates (a database
``collabready_bench_api_<pid>``, a data directory, the server process) is removed
at the end, also after an error, Ctrl-C or the time limit.

1. **Set-up** as ``bench_readiness`` does it (its helpers): create the database,
   ``migrate``, a wave of the bundled CRI, ``--responses`` complete synthetic
   submitted responses bulk-loaded with one COPY, ``VACUUM ANALYZE``; a
   researcher with an API token (the rate limit raised for the run).
2. **A real server**: ``collabready-manage runserver --noreload --nothreading`` on a
   free port of 127.0.0.1. One client follows ``next_cursor`` from the first page
   to the last with ``limit=--limit`` (``GET /api/waves/{id}/responses``), one
   request at a time, checking that every response comes exactly once, in id
   order. Printed: the total time, responses per second, MB received, and
   p50/p95/max of the time per page (to the last byte, as the client sees it).
   Every request is also authenticated, rate-counted and audited as in production.
3. **Same-run baselines**, in this process on the same database:
   - the bare read of the same rows and columns in the same pages (keyset
     ``id > last ORDER BY id LIMIT n``), with no HTTP, JSON or Django view: what
     the API adds on top of the database;
   - ``--offset-probes`` pages read with ``OFFSET`` at the end of the wave, against
     the keyset read of the same page: why the API's pages are cursors (an
     offset page near the end reads and skips every row before it).
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import signal
import sys
import urllib.error
import urllib.request
from typing import Any

import numpy as np

from benchmarks._util import header
from benchmarks.bench_readiness import (
    PG_HOST,
    PG_PORT,
    Resources,
    TimeLimitError,
    clock,
    free_port,
    load_wave,
    start_server,
    step,
)

MAX_RESPONSES = 2_000_000


def set_up(args: argparse.Namespace, res: Resources) -> tuple[int, str]:
    """Step 1: the wave's id and a researcher's API token."""
    wave = load_wave(
        res, args.responses, name="bench_api", env={"COLLABREADY_API_RATE": "1000000"}
    ).wave
    from django.contrib.auth.models import User

    from collabready.web.access.services import api_token_create, role_set

    user = User.objects.create_user(username="bench-researcher", password=secrets.token_hex(16))
    role_set(user=user, role="researcher")
    token = api_token_create(user=user, name="bench").secret
    return wave.pk, token


def page_through(base: str, wave_id: int, token: str, limit: int) -> dict[str, Any]:
    """Step 2: follow the cursor to the end; every response once, in order."""
    times: list[float] = []
    received = 0
    seen = 0
    last_id = 0
    cursor: str | None = None
    started = clock()
    while True:
        query = f"?limit={limit}" + (f"&cursor={cursor}" if cursor else "")
        request = urllib.request.Request(
            f"{base}/api/waves/{wave_id}/responses{query}",
            headers={"Authorization": f"Bearer {token}"},
        )
        t0 = clock()
        with urllib.request.urlopen(request, timeout=120) as got:
            body = got.read()
            status = got.status
        times.append(clock() - t0)
        if status != 200:
            raise SystemExit(f"page {len(times)}: status {status}: {body[:300]!r}")
        page = json.loads(body)
        received += len(body)
        for item in page["items"]:
            if item["id"] <= last_id:
                raise SystemExit(f"response {item['id']} came after {last_id}: not in id order")
            last_id = item["id"]
        seen += len(page["items"])
        cursor = page["next_cursor"]
        if cursor is None:
            break
    return {
        "total": clock() - started,
        "pages": len(times),
        "seen": seen,
        "mb": received / 1e6,
        "times": np.asarray(times),
    }


def bare_read(wave_id: int, limit: int) -> tuple[float, int]:
    """Step 3a: the same pages straight from the database (no HTTP, JSON or view)."""
    from collabready.web.surveys.models import Response

    rows = Response.objects.filter(wave_id=wave_id, submitted_at__isnull=False)
    columns = ("pk", "wave_id", "submitted_at", "sector", "language", "answers", "profile")
    started, last, n = clock(), 0, 0
    while True:
        page = list(rows.filter(pk__gt=last).order_by("pk").values_list(*columns)[:limit])
        if not page:
            break
        n += len(page)
        last = page[-1][0]
    return clock() - started, n


def offset_probes(wave_id: int, limit: int, probes: int, total: int) -> tuple[float, float]:
    """Step 3b: median seconds of an OFFSET page near the end, and of the keyset page."""
    from collabready.web.surveys.models import Response

    rows = Response.objects.filter(wave_id=wave_id, submitted_at__isnull=False).order_by("pk")
    start = max(0, total - limit)
    boundary = rows.values_list("pk", flat=True)[start - 1] if start else 0
    offset_t, keyset_t = [], []
    for _ in range(probes):
        t0 = clock()
        list(rows.values_list("pk", "answers", "profile")[start : start + limit])
        offset_t.append(clock() - t0)
        t0 = clock()
        list(rows.filter(pk__gt=boundary).values_list("pk", "answers", "profile")[:limit])
        keyset_t.append(clock() - t0)
    return float(np.median(offset_t)), float(np.median(keyset_t))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--responses", type=int, default=1_000_000)
    parser.add_argument("--limit", type=int, default=1000, help="responses per page (max 1000)")
    parser.add_argument("--offset-probes", type=int, default=5)
    parser.add_argument("--time-limit", type=int, default=1800, help="seconds, then stop")
    args = parser.parse_args()
    if not 1_000 <= args.responses <= MAX_RESPONSES:
        parser.error(f"--responses must be 1,000 to {MAX_RESPONSES:,}")
    if not 1 <= args.limit <= 1000:
        parser.error("--limit must be 1 to 1000 (the API's maximum)")
    if not 1 <= args.offset_probes <= 50:
        parser.error("--offset-probes must be 1 to 50")
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
        f"paging {args.responses:,} responses through the REST API, {args.limit} a page "
        f"(PostgreSQL at {PG_HOST}:{PG_PORT})"
    )
    res = Resources()
    started = clock()
    try:
        wave_id, token = set_up(args, res)
        with step("start runserver --noreload --nothreading"):
            base = start_server(res, free_port(), probe="/api/openapi.json")
        print(f"over HTTP ({base}, one request at a time):")
        run = page_through(base, wave_id, token, args.limit)
        if run["seen"] != args.responses:
            raise SystemExit(f"saw {run['seen']:,} responses, not {args.responses:,}")
        ms = run["times"] * 1000
        p50, p95 = (float(v) for v in np.percentile(ms, [50, 95]))
        print(
            f"  {run['seen']:,} responses in {run['pages']:,} pages, each once and in id order: "
            f"{run['total']:.1f} s ({run['seen'] / run['total']:,.0f} responses/s, "
            f"{run['mb']:.0f} MB received)"
        )
        print(f"  per page: p50 {p50:.1f} ms, p95 {p95:.1f} ms, max {ms.max():.1f} ms")
        print("same-run baselines (in process, same database):")
        bare, n = bare_read(wave_id, args.limit)
        print(
            f"  bare keyset read of the same {n:,} rows: {bare:.1f} s; "
            f"the API takes {run['total'] / bare:.1f}x (HTTP, auth, audit, decoding, JSON)"
        )
        offset, keyset = offset_probes(wave_id, args.limit, args.offset_probes, n)
        print(
            f"  the last page by OFFSET: {offset * 1000:.1f} ms; by cursor (keyset): "
            f"{keyset * 1000:.1f} ms ({offset / keyset:.0f}x)"
        )
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
