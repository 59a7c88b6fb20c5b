"""Scale: one wave of 1,000,000 responses in PostgreSQL, loaded, shown and reported.

    .venv/bin/python -m benchmarks.bench_scale [--responses 1000000] [--repeat 3]
        [--pages 50] [--no-report] [--time-limit 3600]

Targets (issue 13, "Scale"): loading the wave into the analysis matrix at most
5 s; the back office's wave pages at most 500 ms at p95; the national report
generates, with its time reported.

Needs PostgreSQL 15 on 127.0.0.1:5432 (trust authentication, user
``postgres``); everything the run creates is removed at the end, also after an
error, Ctrl-C or the time limit (the set-up and clean-up are those of
:mod:`benchmarks.bench_readiness`: a database ``collabready_bench_<pid>``,
``migrate``, a wave of the bundled CRI, ``--responses`` synthetic submitted
responses bulk-loaded with one COPY, ``VACUUM ANALYZE``).

1. **Load**: :func:`collabready.web.surveys.selectors.responses.wave_responses`
   for the whole wave (every submitted response), best of ``--repeat``, with its
   parts: the database round trip (PostgreSQL joins every row's bytes in one
   ``string_agg``), the organisation numbers, ``from_rows``. Same-run
   baseline: the row-by-row path (the ORM's ``values_list`` iterator, one
   Python tuple per row; what SQLite uses), once.
2. **Back-office pages**: every wave page of the back office that exists
   (``waves/<id>/`` and, where present, ``monitoring/``), ``--pages``
   requests each through Django's test client on the same database, signed in
   as staff; p50/p95/p99, and the first request's time apart (the first reading
   of the wave's counts stores its monitoring snapshot, see docs/web.md).
3. **The national report**: the wave's margins stored (the shipped synthetic
   margins), then :func:`collabready.web.reports.build.build_wave_report` (load,
   score, rake, estimates, disclosure control, findings, charts) and
   :func:`collabready.reporting.render.render_pdf`, once, with each step's time.
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
from typing import Any

import numpy as np

from benchmarks._util import header
from benchmarks.bench_readiness import (
    MAX_RESPONSES,
    Part,
    Resources,
    TimeLimitError,
    clock,
    print_tree,
    set_up,
    timed_parts,
)

TARGET_LOAD = 5.0
TARGET_PAGE_P95 = 0.500
LOAD_PARTS = (
    Part("database round trip", "collabready.web.surveys.selectors.responses", "_rows_postgresql"),
    Part(
        "organisation_numbers",
        "collabready.web.surveys.selectors.responses",
        "organisation_numbers",
    ),
    Part("from_rows", "collabready.web.surveys.selectors.responses", "from_rows"),
)


def time_load(wave_id: int, repeat: int) -> float:
    """Step 1."""
    from collabready.web.surveys.models import Wave
    from collabready.web.surveys.selectors import responses as selectors

    wave = Wave.objects.get(pk=wave_id)
    runs, samples, n = [], [], 0
    for _ in range(repeat):
        times: dict[str, float] = {}
        with timed_parts(LOAD_PARTS, times):
            t0 = clock()
            matrix = selectors.wave_responses(wave=wave)
            runs.append(clock() - t0)
        samples.append(times)
        n = len(matrix)
    best = int(np.argmin(runs))
    verdict = "met" if runs[best] <= TARGET_LOAD else "NOT met"
    print(f"wave_responses(wave) at {n:,} responses, best of {repeat}: {runs[best]:.2f} s")
    listed = ", ".join(f"{r:.2f} s" for r in runs)
    print(f"  runs: {listed} (target <= {TARGET_LOAD:.0f} s: {verdict})")
    print_tree([runs[best]], [samples[best]], LOAD_PARTS, "  ")
    saved = selectors._joins_rows_in_database
    selectors._joins_rows_in_database = lambda: False
    try:
        t0 = clock()
        baseline = selectors.wave_responses(wave=wave)
        took = clock() - t0
    finally:
        selectors._joins_rows_in_database = saved
    same = np.array_equal(baseline.codes, matrix.codes) and np.array_equal(
        baseline.organisation, matrix.organisation
    )
    print(
        f"  same-run baseline, the row-by-row path: {took:.2f} s "
        f"({took / runs[best]:.1f}x the database path; same matrix: {same})"
    )
    if not same:
        raise SystemExit("the two load paths disagree")
    return runs[best]


def time_pages(wave_id: int, pages: int) -> None:
    """Step 2."""
    from django.contrib.auth.models import User
    from django.test import Client
    from django.urls import NoReverseMatch, reverse

    staff = User.objects.create_user("bench-staff", password="x", is_staff=True, is_superuser=True)
    client = Client(SERVER_NAME="127.0.0.1")
    client.force_login(staff)
    print(f"back-office wave pages (Django test client, same database), {pages} requests each:")
    for name in ("wave_detail", "monitoring", "wave_monitoring"):
        try:
            url = reverse(f"backoffice:{name}", args=[wave_id])
        except NoReverseMatch:
            continue
        t0 = clock()
        first = client.get(url)
        opened = clock() - t0
        if first.status_code != 200:
            raise SystemExit(f"{url}: answered {first.status_code}")
        took = []
        for _ in range(pages):
            t0 = clock()
            client.get(url)
            took.append(clock() - t0)
        a = np.asarray(took) * 1000
        p50, p95, p99 = (float(v) for v in np.percentile(a, [50, 95, 99]))
        verdict = "met" if p95 <= TARGET_PAGE_P95 * 1000 else "NOT met"
        print(
            f"  {url:<36} p50 {p50:7.1f}  p95 {p95:7.1f}  p99 {p99:7.1f} ms  "
            f"(p95 <= {TARGET_PAGE_P95 * 1000:.0f} ms: {verdict}); "
            f"first request {opened * 1000:,.0f} ms"
        )


def time_report(wave_id: int) -> None:
    """Step 3."""
    from collabready.reporting.render import render_pdf
    from collabready.synth import data_path
    from collabready.web.reports.build import build_wave_report
    from collabready.web.reports.services import margins_save
    from collabready.web.surveys.models import Wave

    wave = Wave.objects.get(pk=wave_id)
    margins = data_path("margins.csv")
    margins_save(wave=wave, data=margins.read_bytes(), filename=margins.name)
    marks: list[tuple[str, float]] = []
    t0 = clock()
    report = build_wave_report(
        wave=wave, kind="national", step=lambda name: marks.append((name, clock()))
    )
    built = clock()
    pdf = render_pdf(report)
    done = clock()
    print(f"national report of {wave.name!r}: {done - t0:.1f} s in all")
    edges = [*marks, ("render_pdf", built)]
    for (name, start), (_, end) in zip(edges, [*edges[1:], ("", done)], strict=True):
        print(f"  {name:<20} {end - start:7.2f} s")
    print(f"  the PDF: {len(pdf) / 1024:.0f} KiB")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--responses", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--pages", type=int, default=50)
    parser.add_argument("--no-report", action="store_true", help="skip the national report")
    parser.add_argument("--sector", default="public", help="sector of the invited respondent")
    parser.add_argument("--time-limit", type=int, default=3600, help="seconds, then stop")
    args = parser.parse_args()
    if not 1_000 <= args.responses <= MAX_RESPONSES:
        parser.error(f"--responses must be 1,000 to {MAX_RESPONSES:,}")
    if not 1 <= args.repeat <= 10 or not 1 <= args.pages <= 1000:
        parser.error("--repeat must be 1 to 10 and --pages 1 to 1000")

    def stop(signum: int, _frame: Any) -> None:
        if signum == signal.SIGALRM:
            raise TimeLimitError(f"stopped at the time limit of {args.time_limit} s")
        raise SystemExit(128 + signum)

    signal.signal(signal.SIGALRM, stop)
    signal.signal(signal.SIGTERM, stop)
    signal.alarm(args.time_limit)
    header(f"one wave of {args.responses:,} responses in PostgreSQL: load, pages, report")
    res = Resources()
    started = clock()
    try:
        loaded = set_up(args, res)
        time_load(loaded.wave_id, args.repeat)
        time_pages(loaded.wave_id, args.pages)
        if not args.no_report:
            time_report(loaded.wave_id)
    except TimeLimitError as exc:
        print(f"error: {exc}", file=sys.stderr)
        raise SystemExit(3) from None
    finally:
        res.close()
        print(f"total {clock() - started:.0f} s; load average at the end {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
