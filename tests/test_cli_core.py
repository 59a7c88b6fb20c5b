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
        # usage errors, caught before any command runs
        (("synth", "-n", "abc", "-o", "/tmp/x.parquet"), "Invalid value for '--respondents'"),
        (("score", "--bogus"), "No such option: --bogus"),
        (("no-such-command",), "No such command 'no-such-command'"),
        (("analyse",), "Missing argument"),
        # user input that looks like Rich markup is shown as typed, not interpreted
        (("score", "/tmp/[/bold]x.parquet", "-o", "/tmp/s.parquet"), "/tmp/[/bold]x.parquet"),
        (("score", "[red]x.parquet", "-o", "/tmp/s.parquet"), "[red]x.parquet: no such file"),
    ],
)
def test_user_errors_are_one_clear_message_without_traceback(args, message):
    r = run(*args)
    assert r.returncode == 2, r.stderr
    lines = [line for line in (r.stdout + r.stderr).splitlines() if line.strip()]
    assert len(lines) == 1, lines
    assert lines[0].startswith("Error: ")
    assert message in lines[0]


def test_help_is_not_an_error():
    r = run()
    assert r.returncode == 0
    assert "Usage:" in r.stdout
    assert "synth" in r.stdout
    assert run("synth", "--help").returncode == 0


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


def test_synth_checks_every_output_before_writing_anything(tmp_path: Path):
    wave = tmp_path / "w.parquet"
    r = run("synth", "-n", "50", "-o", str(wave), "--margins", str(tmp_path / "m.parquet"))
    assert r.returncode == 2
    assert "unknown file type '.parquet'; use .csv" in r.stderr
    assert not wave.exists()
    assert list(tmp_path.iterdir()) == []


def test_score_per_organisation(tmp_path: Path):
    wave, out = tmp_path / "w.parquet", tmp_path / "orgs.csv"
    assert run("synth", "-n", "400", "--seed", "2", "-o", str(wave)).returncode == 0
    r = run("score", str(wave), "-o", str(out), "--organisations")
    assert r.returncode == 0, r.stderr
    orgs = pl.read_csv(out)
    responses = pl.read_parquet(wave)
    assert orgs.height == responses["organisation_id"].n_unique()
    assert orgs["respondents"].sum() == 400
    one = orgs.filter(pl.col("respondents") == 1).row(0, named=True)
    assert 0 <= one["index"] <= 100
