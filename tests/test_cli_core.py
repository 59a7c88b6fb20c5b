"""The synth and score commands, run as a user would (a real subprocess)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import polars as pl
import pytest

CLI = [sys.executable, "-c", "from collabready.cli import main; main()"]


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*CLI, *args], capture_output=True, text=True, timeout=300, check=False)


def test_synth_then_score(tmp_path: Path):
    wave = tmp_path / "w.parquet"
    margins = tmp_path / "m.csv"
    scores = tmp_path / "s.csv"
    r = run(
        "synth", "--respondents", "3000", "--seed", "4", "-o", str(wave), "--margins", str(margins)
    )
    assert r.returncode == 0, r.stderr
    assert "Wrote 3,000 respondents" in r.stdout
    assert pl.read_parquet(wave).height == 3000
    m = pl.read_csv(margins)
    assert m.columns == ["variable", "level", "population_total"]
    r = run("score", str(wave), "-o", str(scores))
    assert r.returncode == 0, r.stderr
    s = pl.read_csv(scores)
    assert s.height == 3000
    assert {"respondent_id", "sector", "citizens", "index", "gap", "level"} <= set(s.columns)
    assert "citizens_com_1" not in s.columns
    vals = s["index"].drop_nulls()
    assert vals.min() >= 0
    assert vals.max() <= 100


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("score", "/nonexistent/w.parquet", "-o", "/tmp/s.parquet"), "no such file"),
        (("synth", "-n", "10", "-o", "/tmp/x.txt"), "unknown file type '.txt'"),
        (("synth", "-n", "10", "-o", "/nonexistent-dir/x.parquet"), "no such directory"),
        (("synth", "-n", "0", "-o", "/tmp/x.parquet"), "respondents"),
        (("synth", "--instrument-version", "9.9.9", "-o", "/tmp/x.parquet"), "9.9.9"),
    ],
)
def test_user_errors_are_one_clear_message_without_traceback(args, message):
    r = run(*args)
    assert r.returncode != 0
    out = r.stdout + r.stderr
    assert message in out
    assert "Traceback" not in out


def test_score_rejects_a_corrupt_file_and_a_file_without_items(tmp_path: Path):
    bad = tmp_path / "bad.parquet"
    bad.write_bytes(b"not parquet at all")
    r = run("score", str(bad), "-o", str(tmp_path / "s.parquet"))
    assert r.returncode == 2
    assert "not a readable Parquet file" in r.stderr
    assert "Traceback" not in r.stderr
    noitems = tmp_path / "noitems.csv"
    noitems.write_text("respondent_id,sector\n1,public\n")
    r = run("score", str(noitems), "-o", str(tmp_path / "s.parquet"))
    assert r.returncode == 2
    assert "missing 80 item column(s)" in r.stderr
    assert not (tmp_path / "s.parquet").exists()
