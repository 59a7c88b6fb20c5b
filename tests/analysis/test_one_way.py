"""One way from answer to figure: ``collabready analyse`` and the national report
read the same file with respondents without an organisation and without a
sub-sector, and print the same index, overall and by sector, to the last digit."""

from __future__ import annotations

import sys
from pathlib import Path

import polars as pl
import pytest

from collabready import cli
from collabready.instrument import load_instrument
from collabready.synth import data_path, generate_wave
from tests.reporting.html_tables import parse

MARGINS = data_path("margins.csv")


def _cli(capsys: pytest.CaptureFixture[str], *args: str) -> None:
    argv = sys.argv
    sys.argv = ["collabready", *args]
    code: object = 0
    try:
        cli.main()
    except SystemExit as exc:
        code = exc.code
    finally:
        sys.argv = argv
    err = capsys.readouterr().err
    assert not code, err


@pytest.fixture(scope="module")
def awkward_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A wave where 40 respondents have no organisation and 25 no sub-sector."""
    wave = generate_wave(respondents=2500, seed=21, instrument=load_instrument()).responses
    row = pl.int_range(pl.len())
    wave = wave.with_columns(
        pl.when(row % 60 == 7)
        .then(None)
        .otherwise(pl.col("organisation_id"))
        .alias("organisation_id"),
        pl.when(row % 97 == 3).then(None).otherwise(pl.col("subsector")).alias("subsector"),
    )
    assert wave["organisation_id"].null_count() >= 40
    assert wave["subsector"].null_count() >= 25
    path = tmp_path_factory.mktemp("oneway") / "wave.parquet"
    wave.write_parquet(path)
    return path


@pytest.mark.slow
def test_analyse_and_the_national_report_give_the_same_index(
    awkward_file: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    results = tmp_path / "results.parquet"
    report = tmp_path / "report.html"
    common = ["--margins", str(MARGINS)]
    _cli(capsys, "analyse", str(awkward_file), *common, "--by", "sector", "--by", "subsector",
         "-o", str(results))  # fmt: skip
    _cli(capsys, "report", "national", "--data", str(awkward_file), *common, "-o", str(report))
    got = pl.read_parquet(results).filter(pl.col("variable") == "index")
    tables, _ = parse(report.read_text("utf-8"))

    overall = got.filter(pl.col("grouping") == "all")["estimate"][0]
    assert tables["index-overall"].cell("Index", "Estimate").value == overall  # the last digit

    cri = load_instrument()

    def label(variable: str, value: str) -> str:
        return cri.profile_question(variable).choice_by_value(value).label.get()

    by_sector = tables["table-by-sector"]
    rows = {r[0].text: r for r in by_sector.rows}
    sectors = got.filter(pl.col("grouping") == "sector")
    assert sectors.height == 3
    for domain, estimate in sectors.select("domain", "estimate").iter_rows():
        cell = rows[label("sector", domain)][by_sector.columns.index("Index")]
        assert cell.value == estimate, (domain, cell.value, estimate)

    # the respondents without a sub-sector are a protected domain of their own in both
    missing = got.filter((pl.col("grouping") == "subsector") & (pl.col("domain") == "(missing)"))
    assert missing.height == 1
    sub = {r[0].text: r for r in tables["table-by-subsector"].rows}
    assert "Not answered" in sub
    cell = sub["Not answered"][tables["table-by-subsector"].columns.index("Index")]
    if missing["disclosure"][0] == "published":
        assert cell.value == missing["estimate"][0]
    else:
        assert cell.text == "[c]"
    # every sub-sector figure both publish agrees too
    compared = 0
    for domain, estimate, status in (
        got.filter(pl.col("grouping") == "subsector")
        .select("domain", "estimate", "disclosure")
        .iter_rows()
    ):
        if domain == "(missing)":
            continue
        value = sub[label("subsector", domain)][tables["table-by-subsector"].columns.index("Index")]
        if status == "published" and value.value is not None:
            assert value.value == estimate, domain
            compared += 1
    assert compared >= 5
