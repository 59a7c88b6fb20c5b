"""``collabready export`` and ``collabready codebook`` run as a user would (a subprocess)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import polars as pl
import pyreadstat
import pytest

CLI = [sys.executable, "-c", "from collabready.cli import main; main()"]


def run(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*CLI, *args], capture_output=True, text=True, timeout=120, check=False, cwd=cwd
    )


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> Path:
    d = tmp_path_factory.mktemp("export")
    r = run("synth", "-n", "500", "--seed", "5", "-o", "w.parquet", "--margins", "m.csv", cwd=d)
    assert r.returncode == 0, r.stderr
    return d


def test_export_dta_with_scores_and_weights(files: Path):
    r = run(
        "export",
        "--data",
        "w.parquet",
        "--format",
        "dta",
        "-o",
        "w.dta",
        "--scores",
        "--weights",
        "--margins",
        "m.csv",
        "--id-key",
        "a secret of the wave",
        cwd=files,
    )
    assert r.returncode == 0, r.stderr
    assert "Warning: Stata variable labels hold 80 characters" in r.stdout
    assert "cit_com_1" in r.stdout
    df, _ = pyreadstat.read_dta(files / "w.dta")
    complete = int(pl.read_parquet(files / "w.parquet").get_column("complete").sum())
    assert 0 < complete < 500
    assert len(df) == complete  # partial responses only with --partial
    assert {"index", "level", "weight"} <= set(df.columns)
    assert df["weight"].min() > 0


def test_codebook_command(files: Path):
    r = run("codebook", "-o", "cb.json", cwd=files)
    assert r.returncode == 0, r.stderr
    assert json.loads((files / "cb.json").read_text())["instrument"]["id"] == "cri"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("export", "--data", "w.parquet", "--format", "xls", "-o", "x.xls"), "unknown format"),
        (("export", "--data", "w.parquet", "--format", "sav", "-o", "x.dta"), "writes a .sav"),
        (("export", "--data", "none.parquet", "--format", "csv", "-o", "x.csv"), "no such file"),
        (
            ("export", "--data", "w.parquet", "--format", "csv", "-o", "nodir/x.csv"),
            "nodir: no such directory",
        ),
        (("export", "--format", "csv", "-o", "x.csv"), "give either --wave NAME or --data FILE"),
        (
            ("export", "--data", "w.parquet", "--format", "csv", "-o", "x.csv", "--weights"),
            "--margins",
        ),
        (
            ("export", "--data", "w.parquet", "--format", "csv", "-o", "x.csv", "--language", "fr"),
            "--language fr",
        ),
        (
            (
                "export",
                "--data",
                "w.parquet",
                "--format",
                "csv",
                "-o",
                "x.csv",
                "--id-key",
                "short",
            ),
            "--id-key",
        ),
        (
            ("export", "--data", "w.parquet", "--format", "parquet", "-o", "w.parquet"),
            "is the --data file",
        ),
        (("codebook", "-o", "cb.pdf"), "unknown file type '.pdf'"),
    ],
)
def test_user_errors_are_one_line_and_write_nothing(
    files: Path, args: tuple[str, ...], message: str
):
    before = set(files.iterdir())
    r = run(*args, cwd=files)
    assert r.returncode == 2, r.stdout
    assert message in r.stderr
    assert len(r.stderr.strip().splitlines()) == 1
    assert "Traceback" not in r.stderr
    assert set(files.iterdir()) == before
