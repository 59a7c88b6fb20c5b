"""A small load against the production server with a gunicorn worker killed mid-load:
nothing acknowledged is lost (benchmarks/load/crash.py; the full run also kills the
whole server and restarts PostgreSQL, which the suite never does)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.postgres
@pytest.mark.slow
def test_a_worker_killed_under_load_loses_nothing() -> None:
    run = subprocess.run(
        [
            *(sys.executable, "-m", "benchmarks.load.crash", "--sessions", "4"),
            *("--chaos", "worker", "--settle", "3", "--time-limit", "120", "--json"),
        ],
        cwd=ROOT,
        env={k: v for k, v in os.environ.items() if not k.startswith("DJANGO_")},
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert "kill -9 gunicorn worker" in run.stdout, run.stdout + run.stderr
    counts = json.loads(run.stdout.strip().splitlines()[-1])
    assert counts["pages_acknowledged"] > 0
    assert counts["submissions_acknowledged"] > 0
    assert counts["pages_lost"] == 0
    assert counts["submissions_lost"] == 0
    assert counts["duplicated"] == 0
    assert counts["half_written"] == 0
    assert counts["bare_500"] == 0
    assert counts["unexpected"] == 0
    assert run.returncode == 0, run.stdout + run.stderr
