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
2. **Answer-page saves** (the set-up the issue measured before: ``--connections``
   clients re-posting the Citizens page for ``--sessions`` open sessions):
   saves per second, p50/p99.
3. **The bare save floor**: the same gunicorn settings serving
   ``benchmarks.load.floor`` (one view: one upsert of a page of answers in one
   transaction), ``--connections`` clients: requests per second, p50/p99.

It prints the ratio of phase 2 to phase 3. The load generator is Python
threads on the same two cores as the server (no wrk on this machine), so
absolute figures are lower bounds of what the server can do; the ratio uses
the same generator for both.
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
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path
from typing import Any

from benchmarks._util import header
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

        # 2. answer-page saves
        citizens = next(p for p in pages if p.slug == "citizens")
        sessions = []
        for token in tokens[: args.sessions]:
            browser = Browser(harness.port)
            browser.request("GET", f"/r/{token}/")
            browser.request("GET", "/survey/questions/citizens/")
            browser.close()
            sessions.append(browser)
        saves = Timings()

        def repost(n: int, deadline: float) -> None:
            rng = random.Random(n)
            mine = sessions[n :: args.connections]
            i = 0
            while time.monotonic() < deadline and mine:
                browser = mine[i % len(mine)]
                i += 1
                data = page_answers(citizens, rng)
                url = "/survey/questions/citizens/"
                with contextlib.suppress(UnavailableError):
                    _expect(saves, "answer page POST", browser, "POST", url, 302, data)
                browser.close()

        elapsed_saves = _run_for(args.duration, args.connections, repost)
        platform_rate = len(saves.seconds["answer page POST"]) / elapsed_saves
        print(
            f"\n2. Answer-page saves: {args.connections} connections re-posting the Citizens "
            f"page for {args.sessions} sessions, {elapsed_saves:.1f} s"
        )
        _print_table(saves, elapsed_saves)

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
        bare = Timings()

        def floor_save(n: int, deadline: float) -> None:
            rng = random.Random(n)
            browser = Browser(port)
            i = 0
            while time.monotonic() < deadline:
                data = {f"i{k:02d}": str(rng.randint(1, 5)) for k in range(len(citizens.items))}
                row = (n + i * args.connections) % args.sessions
                i += 1
                with contextlib.suppress(UnavailableError):
                    _expect(bare, "floor save", browser, "POST", f"/save/{row}/", 204, data)

        elapsed_floor = _run_for(args.duration, args.connections, floor_save)
        floor_rate = len(bare.seconds["floor save"]) / elapsed_floor
        print(f"\n3. The bare save floor: {args.connections} connections, {elapsed_floor:.1f} s")
        _print_table(bare, elapsed_floor)
        print(
            f"\nAnswer-page saves: {platform_rate:,.0f}/s against the floor's {floor_rate:,.0f}/s: "
            f"{platform_rate / floor_rate:.0%} of the floor (target >= 40%); "
            f"p99 {_pct(saves.seconds['answer page POST'], 0.99):.0f} ms (target <= 150 ms)"
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
