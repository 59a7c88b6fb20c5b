"""Load test: full respondent journeys, answer-page saves, and the bare save floor, in one run.

    .venv/bin/python -m benchmarks.load.journeys [--users 16] [--connections 32]
        [--sessions 200] [--duration 15] [--workers 4]

Against gunicorn (``collabready serve --production``, ``--workers`` sync
workers) and PostgreSQL 15 on 127.0.0.1 only, in a throw-away database that is
dropped at the end. Three timed phases, ``--duration`` seconds each:

1. **Journeys**: ``--users`` respondents, each walking the survey again and
   again with a new personal link: open the link; every question page, fetched
   and posted with answers; half-way, "save and come back later", then the
   link again in a new browser (resume); check your answers; submit; the
   readiness profile. Journeys and requests per second, and p50/p95/p99 per
   request type.
2. **Answer-page saves** (the set-up the issue measured before: wrk with
   ``--connections`` connections re-posting the Citizens page for ``--sessions``
   open sessions, two answer sets each): saves per second, p50/p95/p99, and a
   check that the responses' versions advanced by at least the number of saves
   acknowledged (every 302 was a real save).
3. **The bare save floor**: the same gunicorn settings serving
   ``benchmarks.load.floor`` (one view: one upsert of a page of answers in one
   transaction), wrk with ``--connections`` connections: requests per second,
   p50/p95/p99.

It prints the ratio of phase 2 to phase 3. Phase 1 is driven by Python threads
(a journey needs cookies, CSRF tokens and page parsing); phases 2 and 3 by
``wrk`` (benchmarks/load/_wrk.py; ``scripts/setup --test`` installs it), an
event loop in C that leaves the server the CPU a Python generator on the same
two cores would take. Any reply other than the expected status counts as an
error.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import random
import subprocess
import sys
import threading
import time
import urllib.parse
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path
from typing import Any

from benchmarks._util import header
from benchmarks.load import _wrk as wrk
from benchmarks.load._harness import (
    BIN,
    Browser,
    Harness,
    UnavailableError,
    free_port,
    make_invitations,
    page_answers,
    version_on,
)
from benchmarks.load._wrk import Request

ROOT = Path(__file__).resolve().parents[2]


class Timings:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.seconds: dict[str, list[float]] = defaultdict(list)
        self.errors: dict[str, int] = defaultdict(int)
        self.journeys = 0

    def add(self, kind: str, seconds: float) -> None:
        with self.lock:
            self.seconds[kind].append(seconds)

    def error(self, kind: str) -> None:
        with self.lock:
            self.errors[kind] += 1

    @property
    def requests(self) -> int:
        return sum(len(v) for v in self.seconds.values())


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000


def _expect(  # noqa: PLR0917
    timings: Timings,
    kind: str,
    browser: Browser,
    method: str,
    path: str,
    status: int,
    data: dict[str, str] | None = None,
) -> Any:
    try:
        got = browser.request(method, path, data)
    except UnavailableError as exc:
        timings.error(f"{kind} ({exc})")
        raise
    timings.add(kind, got.seconds)
    if got.status != status:
        timings.error(f"{kind} (HTTP {got.status})")
        raise UnavailableError(f"{kind}: HTTP {got.status}")
    return got


def _journey(port: int, token: str, pages: Any, rng: random.Random, timings: Timings) -> None:
    browser = Browser(port)
    _expect(timings, "open link", browser, "GET", f"/r/{token}/", 302)
    _expect(timings, "start page", browser, "GET", "/survey/", 200)
    half = len(pages) // 2
    for n, page in enumerate(pages):
        url = f"/survey/questions/{page.slug}/"
        _expect(timings, "question page GET", browser, "GET", url, 200)
        data = page_answers(page, rng)
        if n == half:
            data["action"] = "later"
            _expect(timings, "answer page POST", browser, "POST", url, 302, data)
            _expect(timings, "saved page", browser, "GET", "/survey/saved/", 200)
            browser.close()
            browser = Browser(port)  # a new browser: resume from the personal link
            _expect(timings, "open link", browser, "GET", f"/r/{token}/", 302)
            _expect(timings, "start page", browser, "GET", "/survey/", 200)
            _expect(timings, "question page GET", browser, "GET", url, 200)
            data.pop("action")
        _expect(timings, "answer page POST", browser, "POST", url, 302, data)
    check = _expect(timings, "check page", browser, "GET", "/survey/check-your-answers/", 200)
    version = version_on(check.body) or ""
    submit = {"version": version}
    _expect(timings, "submit", browser, "POST", "/survey/check-your-answers/", 302, submit)
    _expect(timings, "profile", browser, "GET", "/survey/profile/", 200)
    browser.close()
    with timings.lock:
        timings.journeys += 1


def _run_for(seconds: float, threads: int, work: Callable[[int, float], None]) -> float:
    """Run ``work(thread_number, deadline)`` on ``threads`` threads; the elapsed time."""
    started = time.perf_counter()
    deadline = time.monotonic() + seconds
    pool = [threading.Thread(target=work, args=(n, deadline)) for n in range(threads)]
    for t in pool:
        t.start()
    for t in pool:
        t.join()
    return time.perf_counter() - started


def _print_table(timings: Timings, elapsed: float) -> None:
    print(f"  {'request type':24}{'count':>8}{'p50 ms':>9}{'p95 ms':>9}{'p99 ms':>9}{'errors':>8}")
    for kind, values in sorted(timings.seconds.items()):
        failed = sum(n for what, n in timings.errors.items() if what.startswith(kind + " ("))
        print(
            f"  {kind:24}{len(values):>8,}{_pct(values, 0.5):>9.0f}{_pct(values, 0.95):>9.0f}"
            f"{_pct(values, 0.99):>9.0f}{failed:>8}"
        )
    for what, n in sorted(timings.errors.items()):
        print(f"    error: {what} × {n}")
    errors = sum(timings.errors.values())
    print(
        f"  {timings.requests:,} requests in {elapsed:.1f} s: {timings.requests / elapsed:,.0f} "
        f"requests/s; error rate {errors / max(1, timings.requests + errors):.2%}"
    )


def _versions() -> int:
    """The sum of every response's version: each saved page adds one."""
    from django.db.models import Sum

    from collabready.web.surveys.models import Response

    return int(Response.objects.aggregate(v=Sum("version"))["v"] or 0)


def _post(path: str, body: str, cookie: str | None = None) -> Request:
    headers = {"Host": "127.0.0.1", "Content-Type": "application/x-www-form-urlencoded"}
    if cookie:
        headers["Cookie"] = cookie
    return Request("POST", path, headers, body)


def _print_wrk(kind: str, got: wrk.Result) -> None:
    print(f"  {'request type':24}{'count':>8}{'p50 ms':>9}{'p95 ms':>9}{'p99 ms':>9}{'errors':>8}")
    print(
        f"  {kind:24}{got.requests:>8,}{got.p50_ms:>9.0f}{got.p95_ms:>9.0f}"
        f"{got.p99_ms:>9.0f}{got.errors:>8}"
    )
    if got.detail:
        print(f"    error: {got.detail}")
    print(
        f"  {got.requests:,} requests in {got.seconds:.1f} s: {got.rate:,.0f} requests/s; "
        f"error rate {got.errors / max(1, got.requests):.2%}; max {got.max_ms:.0f} ms"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--users", type=int, default=16)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--sessions", type=int, default=200)
    parser.add_argument("--duration", type=float, default=15.0)
    parser.add_argument("--workers", type=int, default=4)
    args = parser.parse_args(argv)
    header("Load: respondent journeys, answer-page saves, the bare save floor")
    harness = Harness(workers=args.workers)
    floor: subprocess.Popen[bytes] | None = None
    try:
        harness.create_database()
        from collabready.web.surveys.journey import journey_pages

        instrument, tokens = make_invitations(args.sessions + 3000)
        pages = journey_pages(instrument)
        harness.start()
        rng = random.Random(2026)
        print(f"# gunicorn: {args.workers} sync workers; PostgreSQL database {harness.name}")

        # warm-up, not counted: every worker imports its views on its first requests
        warm = Timings()
        warm_tokens = tokens[-args.workers * 2 :]
        del tokens[-args.workers * 2 :]

        def warm_up(n: int, deadline: float) -> None:
            del deadline
            with contextlib.suppress(UnavailableError):
                _journey(harness.port, warm_tokens[n], pages, random.Random(n), warm)

        warmed = _run_for(0, len(warm_tokens), warm_up)
        print(f"# warm-up: {warm.journeys} journeys in {warmed:.1f} s, not counted")

        # 1. journeys
        journey_tokens = tokens[args.sessions :]
        timings = Timings()
        lock = threading.Lock()

        def walk(n: int, deadline: float) -> None:
            rng = random.Random(n)
            while time.monotonic() < deadline:
                with lock:
                    if not journey_tokens:
                        return
                    token = journey_tokens.pop()
                with contextlib.suppress(UnavailableError):
                    _journey(harness.port, token, pages, rng, timings)

        elapsed = _run_for(args.duration, args.users, walk)
        print(f"\n1. Journeys: {args.users} respondents for {elapsed:.1f} s")
        print(
            f"  {timings.journeys} journeys completed: {timings.journeys / elapsed:.2f} journeys/s"
        )
        _print_table(timings, elapsed)

        # 2. answer-page saves, driven by wrk: prepared sessions, two answer sets each
        citizens = next(p for p in pages if p.slug == "citizens")
        url = "/survey/questions/citizens/"
        variants: list[list[Request]] = [[], []]
        for token in tokens[: args.sessions]:
            browser = Browser(harness.port)
            browser.request("GET", f"/r/{token}/")
            browser.request("GET", url)
            browser.close()
            cookie = "; ".join(f"{k}={v}" for k, v in browser.cookies.items())
            for variant in variants:
                form = {**page_answers(citizens, rng), "csrfmiddlewaretoken": browser.csrf or ""}
                variant.append(_post(url, urllib.parse.urlencode(form), cookie))
        versions_before = _versions()
        saves = wrk.run(
            harness.port,
            variants[0] + variants[1],
            expected=302,
            connections=args.connections,
            seconds=args.duration,
        )
        print(
            f"\n2. Answer-page saves: wrk, {args.connections} connections re-posting the "
            f"Citizens page for {args.sessions} sessions, {saves.seconds:.1f} s"
        )
        _print_wrk("answer page POST", saves)
        advanced = _versions() - versions_before
        acknowledged = saves.requests - saves.errors
        print(
            f"  saves acknowledged {acknowledged:,}; response versions advanced {advanced:,} "
            f"(in-flight requests at the end may add up to {args.connections})"
        )
        if advanced < acknowledged:
            print("  ERROR: fewer saves in the database than acknowledged")
            return 1

        # 3. the floor, same gunicorn settings
        from django.db import connection

        from benchmarks.load.floor import CREATE

        with connection.cursor() as cursor:
            cursor.execute(CREATE)
        port = free_port()
        env = {
            **harness.env,
            "DJANGO_SETTINGS_MODULE": "benchmarks.load.floor",
            "PYTHONPATH": str(ROOT),
        }
        floor = subprocess.Popen(
            [
                BIN / "gunicorn",
                "benchmarks.load.floor:application",
                "--bind",
                f"127.0.0.1:{port}",
                "--workers",
                str(args.workers),
                "--no-control-socket",
            ],
            env=env,
            cwd=ROOT,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                Browser(port).request("POST", "/save/0/", {"a": "1"})
                break
            except UnavailableError:
                time.sleep(0.2)
        bodies = [
            _post(
                f"/save/{row}/",
                urllib.parse.urlencode(
                    {f"i{k:02d}": str(rng.randint(1, 5)) for k in range(len(citizens.items))}
                ),
            )
            for row in range(args.sessions * 2)
        ]
        bare = wrk.run(
            port, bodies, expected=204, connections=args.connections, seconds=args.duration
        )
        conns = args.connections
        print(f"\n3. The bare save floor: wrk, {conns} connections, {bare.seconds:.1f} s")
        _print_wrk("floor save", bare)
        print(
            f"\nAnswer-page saves: {saves.rate:,.0f}/s against the floor's {bare.rate:,.0f}/s: "
            f"{saves.rate / bare.rate:.0%} of the floor (target >= 40%); "
            f"p99 {saves.p99_ms:.0f} ms (target <= 150 ms); errors {saves.errors + bare.errors}"
        )
        load = os.getloadavg()
        print(f"# load average at the end {load[0]:.2f}")
        return 0
    finally:
        if floor is not None:
            floor.terminate()
            floor.wait(timeout=30)
        harness.close()


if __name__ == "__main__":
    sys.exit(main())
