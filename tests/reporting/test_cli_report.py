"""``collabready report``, run as a user would (a real subprocess)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import polars as pl
import pytest
from pypdf import PdfReader

CLI = [sys.executable, "-c", "from collabready.cli import main; main()"]


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*CLI, *args], capture_output=True, text=True, timeout=600, check=False)


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    d = tmp_path_factory.mktemp("wave")
    wave, margins = d / "w.parquet", d / "m.csv"
    r = run("synth", "-n", "1500", "--seed", "3", "-o", str(wave), "--margins", str(margins))
    assert r.returncode == 0, r.stderr
    return wave, margins


def test_sector_briefing_pdf(files: tuple[Path, Path], tmp_path: Path):
    wave, margins = files
    out = tmp_path / "brief.pdf"
    r = run(
        "report",
        "sector",
        "--data",
        str(wave),
        "--margins",
        str(margins),
        "--sector",
        "third",
        "-o",
        str(out),
    )
    assert r.returncode == 0, r.stderr
    assert "Wrote" in r.stdout
    assert "third sector" in PdfReader(out).pages[0].extract_text()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("report", "national", "--data", "{wave}", "-o", "{tmp}/r.pdf"), "--data needs --margins"),
        (
            ("report", "national", "--data", "{wave}", "--margins", "{wave}", "-o", "{tmp}/r.pdf"),
            "not a margins CSV file",
        ),
        (
            (
                "report",
                "national",
                "--data",
                "/nope.parquet",
                "--margins",
                "{margins}",
                "-o",
                "{tmp}/r.pdf",
            ),
            "no such file",
        ),
        (("report", "national", "--wave", "2026", "-o", "{tmp}/r.pdf"), "--wave 2026: "),
        (("report", "national", "-o", "{tmp}/r.pdf"), "either --wave NAME or --data FILE"),
        (
            (
                "report",
                "national",
                "--data",
                "{wave}",
                "--margins",
                "{margins}",
                "-o",
                "{tmp}/r.docx",
            ),
            "end the file name in .pdf or .html",
        ),
        (
            (
                "report",
                "national",
                "--data",
                "{wave}",
                "--margins",
                "{margins}",
                "--roundtable",
                "/nope.md",
                "-o",
                "{tmp}/r.pdf",
            ),
            "no such file",
        ),
        (
            ("report", "organisation", "--data", "{wave}", "-o", "{tmp}/r.pdf"),
            "exactly one of --respondent",
        ),
        (
            (
                "report",
                "organisation",
                "--data",
                "{wave}",
                "--respondent",
                "99999999",
                "-o",
                "{tmp}/r.pdf",
            ),
            "no respondent with respondent_id 99999999",
        ),
        (
            ("report", "sector", "--data", "{wave}", "--sector", "charity", "-o", "{tmp}/r.pdf"),
            "not a sector",
        ),
        (
            ("report", "sector", "--data", "{wave}", "--sector", "public", "-o", "/no/dir/r.pdf"),
            "no such directory",
        ),
    ],
)
def test_user_errors_are_one_line(files: tuple[Path, Path], tmp_path: Path, args, message):
    wave, margins = files
    argv = [a.format(wave=wave, margins=margins, tmp=tmp_path) for a in args]
    r = run(*argv)
    assert r.returncode == 2
    assert message in r.stderr
    assert "Traceback" not in r.stderr
    assert len(r.stderr.strip().splitlines()) == 1
    assert not list(tmp_path.iterdir())


def test_response_rates_from_the_issued_sample(tmp_path: Path):
    wave, margins, invited = tmp_path / "w.parquet", tmp_path / "m.csv", tmp_path / "i.csv"
    r = run("synth", "-n", "800", "--seed", "6", "-o", str(wave), "--margins", str(margins),
            "--invited", str(invited))  # fmt: skip
    assert r.returncode == 0, r.stderr
    issued = dict(line.split(",") for line in invited.read_text().splitlines()[1:])
    responded = pl.read_parquet(wave)["sector"].value_counts()
    out = tmp_path / "r.html"
    r = run("report", "national", "--data", str(wave), "--margins", str(margins),
            "--invited", str(invited), "-o", str(out))  # fmt: skip
    assert r.returncode == 0, r.stderr
    html = out.read_text()
    assert "Response rates by sector" in html
    assert "not shown" not in html
    for sector, n in responded.iter_rows():
        rate = 100 * n / int(issued[sector])
        assert f"{int(issued[sector]):,}" in html
        assert f"{rate:.1f}" in html

    bad = tmp_path / "bad.csv"
    bad.write_text("sector,invited\npublic,100\ncharity,5\n")
    r = run("report", "national", "--data", str(wave), "--margins", str(margins),
            "--invited", str(bad), "-o", str(tmp_path / "x.html"))  # fmt: skip
    assert r.returncode == 2
    assert "bad.csv: row 3, column 'sector': unknown sector 'charity'" in r.stderr
    assert not (tmp_path / "x.html").exists()
