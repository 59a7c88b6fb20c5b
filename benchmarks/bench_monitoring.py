"""The live monitoring figures of one wave, aggregated in the database.

    .venv/bin/python -m benchmarks.bench_monitoring [--responses 50000] [--repeat 3]
        [--database-url postgres://postgres@127.0.0.1:5432/postgres]

Creates a throw-away database (SQLite in a temporary directory by default; with
``--database-url`` a new PostgreSQL database ``collabready_bench_mon_<pid>`` on
that server, dropped at the end), migrates it, bulk-loads ``--responses``
synthetic submitted responses (``collabready.synth`` + ``services.bulk``) and
times :func:`collabready.web.surveys.selectors.monitoring.wave_monitoring`,
best of ``--repeat``: first with the submissions just made (every reading counts
afresh), then with the same submissions a day earlier (the first reading stores the
:class:`~collabready.web.surveys.models.MonitoringSnapshot`; later readings count
only what came after it). Same-run baseline: the Python way of the same breakdown
(fetch every response's profile bytes and count them in a loop), which the
selector replaces. Prints both and the ratio; asserts nothing about time.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import shutil
import tempfile
import time
from collections import Counter
from collections.abc import Iterator

from benchmarks._util import best_of, header


@contextlib.contextmanager
def _database(url: str | None) -> Iterator[None]:
    tmp = tempfile.mkdtemp(prefix="collabready-bench-mon-")
    os.environ["COLLABREADY_DATA_DIR"] = tmp
    os.environ["DJANGO_SETTINGS_MODULE"] = "collabready.web.settings.base"
    name = None
    if url:
        import psycopg

        name = f"collabready_bench_mon_{os.getpid()}"
        with psycopg.connect(url, autocommit=True) as admin:
            admin.execute(f'CREATE DATABASE "{name}"')
        os.environ["DATABASE_URL"] = url.rsplit("/", 1)[0] + f"/{name}"
    try:
        yield
    finally:
        if url and name:
            from django.db import connections

            connections.close_all()
            with psycopg.connect(url, autocommit=True) as admin:
                admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        shutil.rmtree(tmp, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--responses", type=int, default=50_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--database-url", default=None)
    parser.add_argument(
        "--queries", action="store_true", help="also print each query's time (one more run)"
    )
    args = parser.parse_args()
    if not 1 <= args.responses <= 2_000_000:
        parser.error("--responses: between 1 and 2,000,000")
    header(f"monitoring of one wave with {args.responses:,} responses")
    with _database(args.database_url):
        import django

        django.setup()
        from django.conf import settings
        from django.core.management import call_command
        from django.db import connection
        from django.db.models import F
        from django.utils import timezone

        from collabready.analysis import codec as codes
        from collabready.instrument import load_instrument
        from collabready.synth import generate_wave
        from collabready.web.surveys.models import MonitoringSnapshot, Response, Wave
        from collabready.web.surveys.selectors.counts import monitoring_forget
        from collabready.web.surveys.selectors.monitoring import wave_monitoring
        from collabready.web.surveys.services.bulk import responses_bulk_load
        from collabready.web.surveys.services.responses import response_new

        t0 = time.perf_counter()
        call_command("migrate", verbosity=0)
        cri = load_instrument()
        now = timezone.now()
        wave = Wave.objects.create(
            slug="bench",
            name="Bench",
            instrument_key=cri.key,
            opens_at=now - timezone.timedelta(days=30),
            closes_at=now + timezone.timedelta(days=30),
            privacy_notice="-",
        )
        synthetic = generate_wave(respondents=args.responses, seed=7, instrument=cri)
        responses_bulk_load(wave=wave, responses=synthetic.responses)
        print(f"set-up ({connection.vendor}): {time.perf_counter() - t0:.1f} s")

        def show_queries() -> None:
            timings: list[tuple[float, str]] = []

            def timer(execute, sql, params, many, context):  # type: ignore[no-untyped-def]
                t = time.perf_counter()
                try:
                    return execute(sql, params, many, context)
                finally:
                    timings.append((time.perf_counter() - t, sql))

            with connection.execute_wrapper(timer):
                wave_monitoring(wave=wave)
            for seconds, sql in timings:
                print(f"  {seconds * 1000:7.1f} ms  {sql[:110]}")

        # the submissions were just made, within the snapshot's grace period: every
        # reading counts every response afresh
        best, figures = best_of(lambda: wave_monitoring(wave=wave), repeat=args.repeat)
        print(
            f"wave_monitoring, counting afresh: {best * 1000:,.0f} ms (best of {args.repeat}); "
            f"{figures.submitted:,} submitted, {len(figures.breakdowns)} breakdowns, "
            f"{len(figures.days)} days"
        )
        if args.queries:
            show_queries()
        # the same submissions a day earlier: the first reading stores the snapshot, the
        # next ones add what came after it (here: nothing but one new start)
        day = timezone.timedelta(days=1)
        Response.objects.filter(wave=wave).update(
            started_at=F("started_at") - day, submitted_at=F("submitted_at") - day
        )
        monitoring_forget(wave_id=wave.pk)
        t0 = time.perf_counter()
        wave_monitoring(wave=wave)
        build = time.perf_counter() - t0
        extra = response_new(wave=wave, instrument=cri)
        extra.version, extra.started_at, extra.last_page = 1, timezone.now(), "citizens"
        extra.save()
        kept, with_snapshot = best_of(lambda: wave_monitoring(wave=wave), repeat=args.repeat)
        MonitoringSnapshot.objects.filter(wave=wave).delete()
        settings.COLLABREADY_MONITORING_SNAPSHOT_AFTER = 10**9
        afresh = wave_monitoring(wave=wave)
        settings.COLLABREADY_MONITORING_SNAPSHOT_AFTER = 10_000
        print(
            f"wave_monitoring, first reading (stores the snapshot): {build * 1000:,.0f} ms; "
            f"then with the snapshot: {kept * 1000:,.1f} ms (best of {args.repeat}); "
            f"figures equal to counting afresh: {with_snapshot == afresh}"
        )
        if args.queries:
            wave_monitoring(wave=wave)  # the snapshot again
            show_queries()

        def python_loop() -> dict[str, Counter[int]]:
            out: dict[str, Counter[int]] = {q.id: Counter() for q in cri.profile}
            rows = Response.objects.filter(wave=wave, is_test=False).values_list(
                "profile", flat=True
            )
            for profile in rows.iterator(chunk_size=20_000):
                for q, code in codes.profile_decode(bytes(profile), cri).items():
                    out[q][code] += 1
            return out

        base, counted = best_of(python_loop, repeat=args.repeat)
        sector = next(b for b in figures.breakdowns if b.variable == "sector")
        question = cri.profile_question("sector")
        agree = all(
            counted["sector"][question.choice_by_value(g.key).code] == g.started
            for g in sector.groups
            if g.key
        )
        print(
            f"baseline (profile bytes counted in a Python loop, breakdowns only): "
            f"{base * 1000:,.0f} ms; selector / baseline = {best / base:.2f}; "
            f"sector counts agree: {agree}"
        )
        connection.close()


if __name__ == "__main__":
    main()
