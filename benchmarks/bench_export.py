"""Exports of a wave of 1,000,000 responses from PostgreSQL: Parquet and SPSS, time and memory.

    .venv/bin/python -m benchmarks.bench_export [--responses 1000000]
        [--formats parquet,sav] [--time-limit 1800] [--compare-src DIR]

Targets: Parquet at most 10 s, SPSS ``.sav`` at most 30 s, peak memory at most
1.5 GB; the same-run baseline is the time to read the wave into the response
matrix (``selectors.responses.wave_responses``, the loader every export and
report reads through).

Needs PostgreSQL 15 on 127.0.0.1:5432 (trust authentication, user ``postgres``).
The set-up is the one of :mod:`benchmarks.bench_readiness` (its functions are
reused): a database ``collabready_bench_<pid>``, ``migrate``, a wave of the
bundled CRI, ``--responses`` complete synthetic responses bulk-loaded with one
COPY, ``VACUUM ANALYZE``. Everything is removed at the end, also after an error,
Ctrl-C or the time limit.

Each measurement is a **separate process**, so that its peak memory (the
child's maximum resident set size, from ``os.wait4``) is its own and not the
set-up's. Linux keeps ``ru_maxrss`` across fork and exec, so the commands are
started by a small launcher process that this script starts before its set-up
(not by this script, whose peak after the set-up is over a gigabyte):

- **baseline**: Django set up, then ``wave_responses(wave=...)`` (the matrix);
- **each format**: the real command, ``collabready export --wave bench
  --format F -o FILE`` (load, build the export table, write), timed from start
  to exit.

With ``--compare-src DIR`` (the ``src`` folder of another checkout, for example
``git archive main src | tar -x -C /tmp/main``), each format is also exported by
that code (``PYTHONPATH=DIR``), on the same database in the same run, and both
files are read back and compared: the figure to trust on a shared machine,
where the load moves the absolute times from one run to the next.

The figures are printed, never asserted (tests never assert on time).
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

from benchmarks._util import header
from benchmarks.bench_readiness import (
    PG_HOST,
    PG_PORT,
    Resources,
    TimeLimitError,
    load_wave,
)

TARGETS = {"parquet": 10.0, "sav": 30.0}
TARGET_PEAK_MB = 1536
MAX_RESPONSES = 2_000_000
FORMATS = ("parquet", "sav", "dta", "csv", "xlsx")

_BASELINE = """
import time, django
django.setup()
from collabready.web.surveys.models import Wave
from collabready.web.surveys.selectors.responses import wave_responses
wave = Wave.objects.get(slug="bench")
t0 = time.perf_counter()
matrix = wave_responses(wave=wave)
print(f"{time.perf_counter() - t0:.3f} {len(matrix)}")
"""


def set_up(responses: int, res: Resources) -> None:
    """Create the database and load ``responses`` submitted responses with one COPY."""
    from django.db import connection

    load_wave(res, responses, name="bench_export")
    connection.close()


#: Runs each measured command and reports its wall time and peak RSS. Linux keeps a
#: process's ``ru_maxrss`` across fork and exec, so a command started by this
#: script, after the set-up has held a million synthetic responses, would report
#: at least this script's own peak; started by this small process, started
#: before the set-up, the peak is the command's own.
_LAUNCHER = r"""
import json, os, subprocess, sys, time
for line in sys.stdin:
    job = json.loads(line)
    t0 = time.perf_counter()
    child = subprocess.Popen(
        job["argv"], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env=job["env"]
    )
    output = child.stdout.read().decode(errors="replace")
    _, status, usage = os.wait4(child.pid, 0)
    reply = {
        "elapsed": time.perf_counter() - t0,
        "peak_mb": usage.ru_maxrss // 1024,
        "code": os.waitstatus_to_exitcode(status),
        "output": output,
    }
    print(json.dumps(reply), flush=True)
"""


class Launcher:
    """The small process that starts every measured command (see :data:`_LAUNCHER`)."""

    def __init__(self) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-c", _LAUNCHER],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )

    def run(self, argv: list[str], src: str | None = None) -> tuple[float, int, str]:
        """Run ``argv`` (with ``src`` first on the path, if given); its wall time (s), its
        peak RSS (MB) and its output."""
        env = os.environ.copy()
        if src is not None:
            env["PYTHONPATH"] = os.pathsep.join([src, *filter(None, [env.get("PYTHONPATH")])])
        assert self.process.stdin is not None
        assert self.process.stdout is not None
        self.process.stdin.write(json.dumps({"argv": argv, "env": env}) + "\n")
        self.process.stdin.flush()
        reply = json.loads(self.process.stdout.readline())
        if reply["code"] != 0:
            raise SystemExit(f"{' '.join(argv)} failed ({reply['code']}):\n{reply['output']}")
        return float(reply["elapsed"]), int(reply["peak_mb"]), str(reply["output"])

    def close(self) -> None:
        if self.process.stdin is not None:
            self.process.stdin.close()
        self.process.wait(timeout=30)


def same_contents(a: Path, b: Path, fmt: str) -> bool:
    """Whether two exports hold the same rows, columns and labels."""
    if fmt == "parquet":
        import polars as pl
        import pyarrow.parquet as pq

        meta_a, meta_b = pq.read_schema(a).metadata, pq.read_schema(b).metadata
        return meta_a == meta_b and pl.read_parquet(a).equals(pl.read_parquet(b))
    if fmt == "sav":
        import pyreadstat

        (fa, ma), (fb, mb) = pyreadstat.read_sav(str(a)), pyreadstat.read_sav(str(b))
        labels = ("column_names_to_labels", "variable_value_labels", "missing_ranges")
        return fa.equals(fb) and all(getattr(ma, k) == getattr(mb, k) for k in labels)
    return a.read_bytes() == b.read_bytes()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--responses", type=int, default=1_000_000)
    parser.add_argument("--formats", default="parquet,sav", help="comma-separated")
    parser.add_argument("--time-limit", type=int, default=1800, help="seconds, then stop")
    parser.add_argument(
        "--compare-src", help="the src folder of another checkout, timed in the same run"
    )
    args = parser.parse_args()
    if not 1_000 <= args.responses <= MAX_RESPONSES:
        parser.error(f"--responses must be 1,000 to {MAX_RESPONSES:,}")
    formats = [f.strip() for f in args.formats.split(",") if f.strip()]
    if not formats or any(f not in FORMATS for f in formats):
        parser.error(f"--formats: some of {', '.join(FORMATS)}")
    if not 60 <= args.time_limit <= 4 * 3600:
        parser.error("--time-limit must be 60 s to 4 h")
    if args.compare_src is not None and not (Path(args.compare_src) / "collabready").is_dir():
        parser.error(f"--compare-src {args.compare_src}: no collabready package in it")

    def stop(signum: int, _frame: Any) -> None:
        if signum == signal.SIGALRM:
            raise TimeLimitError(f"stopped at the time limit of {args.time_limit} s")
        raise SystemExit(128 + signum)

    signal.signal(signal.SIGALRM, stop)
    signal.signal(signal.SIGTERM, stop)
    signal.alarm(args.time_limit)
    header(
        f"exports of a wave of {args.responses:,} responses "
        f"(PostgreSQL at {PG_HOST}:{PG_PORT}), each run in its own process"
    )
    launcher = Launcher()  # before the set-up, so that it stays small
    run_child = launcher.run
    res = Resources()
    try:
        set_up(args.responses, res)
        assert res.data_dir is not None
        os.environ["COLLABREADY_EXPORT_ID_KEY"] = "benchmark key, thrown away after the run"
        base, base_mb, out = run_child([sys.executable, "-c", _BASELINE])
        load_s, loaded = out.split()[-2:]
        print(
            f"baseline, read the wave into the matrix ({int(loaded):,} responses): "
            f"{float(load_s):.2f} s (process {base:.2f} s, peak {base_mb:,} MB)"
        )
        cli = [sys.executable, "-c", "from collabready.cli import main; main()"]
        columns = ("wall time", "target", "vs load", "peak RSS", "file")
        print(f"{'format':<8} " + " ".join(f"{c:>10}" for c in columns))
        for fmt in formats:
            target = res.data_dir / f"bench.{fmt}"
            argv = [*cli, "export", "--wave", "bench", "--format", fmt, "-o", str(target)]
            wall, peak, _ = run_child(argv)
            size = target.stat().st_size / 1e6
            goal = f"{TARGETS[fmt]:.0f} s" if fmt in TARGETS else "–"
            verdict = "" if fmt not in TARGETS else (" ok" if wall <= TARGETS[fmt] else " OVER")
            memory = " ok" if peak <= TARGET_PEAK_MB else " OVER"
            print(
                f"{fmt:<8} {wall:>8.2f} s {goal:>8} {wall / float(load_s):>7.1f}x "
                f"{peak:>7,} MB {size:>7.1f} MB{verdict}{memory}",
                flush=True,
            )
            if args.compare_src is not None:
                other = res.data_dir / f"other.{fmt}"
                argv[-1] = str(other)
                then, then_peak, _ = run_child(argv, src=args.compare_src)
                print(
                    f"  same run, the code in {args.compare_src}: {then:.2f} s, peak "
                    f"{then_peak:,} MB ({then / wall:.2f}x this code's time); "
                    f"the two files read back equal: {same_contents(target, other, fmt)}",
                    flush=True,
                )
                other.unlink()
            target.unlink()
    except TimeLimitError as exc:
        print(f"error: {exc}", file=sys.stderr)
        raise SystemExit(3) from None
    finally:
        launcher.close()
        res.close()


if __name__ == "__main__":
    main()
