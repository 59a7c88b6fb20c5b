"""``collabready analyse`` on a real synthetic wave and the shipped margins.

The numbers in the results file are checked against the statistics API called
directly in the test (score, rake, raked design with organisations as
clusters, estimate_means); suppressed cells against the k rule; bad input
against the one-line error contract (exit 2, no traceback, no output file).
"""

from __future__ import annotations

import dataclasses
import subprocess
import sys
from pathlib import Path

import numpy as np
import polars as pl
import pytest

from collabready import cli
from collabready.commands import analyse as analyse_command
from collabready.instrument import Text, load_instrument
from collabready.scoring import matrix_from_columns, score_matrix
from collabready.stats import estimate_means, rake, raked_design, read_margins_csv
from collabready.synth import data_path, generate_wave

MARGINS = data_path("margins.csv")
VARIABLES = (
    "index",
    "citizens",
    "behaviours",
    "systems",
    "services",
    "places",
    "markets",
    "commitment",
    "capacity",
    "gap",
)
VALUES = ("estimate", "se", "ci_low", "ci_high", "weighted_n")


@pytest.fixture(scope="module")
def wave_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    wave = generate_wave(respondents=1500, seed=11, instrument=load_instrument())
    path = tmp_path_factory.mktemp("analyse") / "wave.parquet"
    wave.write(path)
    return path


def run_cli(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    """Run the real entry point in-process; (exit code, stdout, stderr)."""
    argv = sys.argv
    sys.argv = ["collabready", *args]
    try:
        cli.main()
        code = 0
    except SystemExit as exc:
        code = int(exc.code or 0)
    finally:
        sys.argv = argv
    out = capsys.readouterr()
    return code, out.out, out.err


def expected_table(wave: Path, by: tuple[str, ...]) -> pl.DataFrame:
    """The estimates computed directly with the statistics API (no CLI code)."""
    inst = load_instrument()
    responses = pl.read_parquet(wave)
    cols = {i: responses[i].fill_null(9).to_numpy() for i in inst.item_ids}
    scores = score_matrix(matrix_from_columns(cols, inst, source="test"), inst)
    raking = rake(
        data={v: responses[v].to_numpy() for v in ("sector", "size", "region")},
        margins=read_margins_csv(MARGINS),
    )
    design = raked_design(raking, clusters=responses["organisation_id"].to_numpy())
    table = estimate_means(
        design=design,
        variables={v: scores.column(v).astype(np.float64) for v in VARIABLES},
        by={b: responses[b].to_numpy() for b in by},
    )
    return pl.from_pandas(table.to_frame())


def test_results_equal_the_statistics_api(wave_file: Path, tmp_path: Path, capsys):
    out = tmp_path / "results.parquet"
    code, stdout, stderr = run_cli(
        capsys, "analyse", str(wave_file), "--margins", str(MARGINS),
        "--by", "sector", "--by", "role", "-o", str(out),
    )  # fmt: skip
    assert code == 0, stderr
    got = pl.read_parquet(out)
    want = expected_table(wave_file, ("sector", "role"))
    keys = ["variable", "grouping", "domain"]
    assert got.columns[:4] == ["statistic", *keys]
    assert "disclosure" in got.columns
    assert got.height == want.height == len(VARIABLES) * (1 + 3 + 4)
    joined = want.join(got, on=keys, suffix="_cli", how="left")
    # every cell of this table has well over k respondents: all published
    assert (joined["disclosure"] == "published").all()
    for column in (*VALUES, "n", "df"):
        np.testing.assert_allclose(
            joined[f"{column}_cli"].to_numpy(), joined[column].to_numpy(), rtol=1e-12
        )
    assert set(got["variable"]) == set(VARIABLES)
    # the summary: weighting diagnostics and the tables
    for text in ("Kish deff", "effective n", "weight min", "By sector", "By role", "index"):
        assert text in stdout
    assert "organisations (clusters)" in stdout


def _heading(stdout: str, grouping: str) -> list[str]:
    """The column headings of the ``By <grouping>`` table."""
    lines = stdout.splitlines()
    at = next(i for i, line in enumerate(lines) if line.startswith(f"By {grouping}:"))
    return next(line.split() for line in lines[at + 1 :] if line.split()[:1] == [grouping])


def test_block_headings_are_the_instruments_short_labels(
    wave_file: Path, tmp_path: Path, capsys, monkeypatch: pytest.MonkeyPatch
):
    args = ("analyse", str(wave_file), "--margins", str(MARGINS), "--by", "sector")
    code, stdout, stderr = run_cli(capsys, *args, "-o", str(tmp_path / "a.csv"))
    assert code == 0, stderr
    labels = [b.short_label.get() for b in load_instrument().blocks]
    assert labels == ["cit", "beh", "sys", "ser", "pla", "mar"]
    assert _heading(stdout, "sector") == ["sector", "n", "index", "±", *labels, "com", "cap", "gap"]
    assert "cit = citizens, beh = behaviours" in stdout
    # another instrument's labels: the headings follow the instrument, not the code
    cri = load_instrument()
    relabelled = dataclasses.replace(
        cri,
        blocks=tuple(
            dataclasses.replace(b, short_label=Text({"en": f"B{n}"}))
            for n, b in enumerate(cri.blocks, start=1)
        ),
    )
    monkeypatch.setattr(analyse_command, "instrument", lambda version: relabelled)
    code, stdout, stderr = run_cli(capsys, *args, "-o", str(tmp_path / "b.csv"))
    assert code == 0, stderr
    assert _heading(stdout, "sector")[4:] == [
        "B1",
        "B2",
        "B3",
        "B4",
        "B5",
        "B6",
        "com",
        "cap",
        "gap",
    ]
    assert "B1 = citizens, B2 = behaviours" in stdout


def test_small_cells_are_suppressed_and_marked(wave_file: Path, tmp_path: Path, capsys):
    out = tmp_path / "results.csv"
    k = 60
    code, stdout, stderr = run_cli(
        capsys, "analyse", str(wave_file), "--margins", str(MARGINS),
        "--by", "region", "--k", str(k), "-o", str(out),
    )  # fmt: skip
    assert code == 0, stderr
    got = pl.read_csv(out)
    want = expected_table(wave_file, ("region",))
    joined = want.join(got, on=["variable", "grouping", "domain"], suffix="_cli")
    hidden = joined.filter(pl.col("disclosure") != "published")
    shown = joined.filter(pl.col("disclosure") == "published")
    # primary: every cell under k is withheld, and says so
    small = joined.filter(pl.col("n") < k)
    assert small.height > 0, "the test needs some small regions"
    assert (small["disclosure"] == "suppressed_primary").all()
    # withheld means null, never zero or a stand-in number
    for column in (*VALUES, "n"):
        assert hidden[f"{column}_cli"].null_count() == hidden.height
    np.testing.assert_allclose(shown["estimate_cli"], shown["estimate"], rtol=1e-12)
    assert (shown["n_cli"] >= k).all()
    # secondary: within each variable's table never exactly one withheld region
    per_table = hidden.filter(pl.col("grouping") == "region").group_by("variable").len()
    assert (per_table["len"] >= 2).all()
    assert "[c]" in stdout
    assert f"k = {k}" in stdout


@pytest.mark.parametrize(
    ("case", "message"),
    [
        ("missing data", "no such file"),
        ("unknown by", "--by 'department' is not a column"),
        ("bad suffix", "unknown file type '.xlsx'"),
        ("bad margins", "row 3, column 'population_total'"),
        ("absent level", "sector='charity'"),
        ("unknown margin variable", "margin variable 'county' is not a column"),
    ],
)
def test_bad_input_is_one_line_exit_2_and_no_output(
    case: str, message: str, wave_file: Path, tmp_path: Path, capsys
):
    out = tmp_path / "results.parquet"
    data, margins, extra = str(wave_file), str(MARGINS), []
    if case == "missing data":
        data = str(tmp_path / "nowhere.parquet")
    elif case == "unknown by":
        extra = ["--by", "department"]
    elif case == "bad suffix":
        out = tmp_path / "results.xlsx"
    elif case == "bad margins":
        bad = tmp_path / "bad.csv"
        bad.write_text("variable,level,population_total\nsector,public,10\nsector,third,lots\n")
        margins = str(bad)
    elif case == "absent level":
        # a level with a population total but no respondent
        text = MARGINS.read_text().replace("sector,third,310001", "sector,third,300000")
        added = tmp_path / "m.csv"
        added.write_text(text + "sector,charity,10001\n")
        margins = str(added)
    elif case == "unknown margin variable":
        extra_m = tmp_path / "m2.csv"
        extra_m.write_text(MARGINS.read_text() + "county,kent,2410005\n")
        margins = str(extra_m)
    code, stdout, stderr = run_cli(
        capsys, "analyse", data, "--margins", margins, *extra, "-o", str(out)
    )
    assert code == 2
    assert message in stderr
    assert len(stderr.strip().splitlines()) <= 2  # one message (Rich may wrap it)
    assert "Traceback" not in stdout + stderr
    assert not out.exists()
    assert list(tmp_path.glob("*.partial")) == list(tmp_path.glob(".*.partial")) == []


def test_a_real_subprocess_reports_a_bad_margins_file_without_traceback(
    wave_file: Path, tmp_path: Path
):
    out = tmp_path / "r.parquet"
    r = subprocess.run(
        [sys.executable, "-c", "from collabready.cli import main; main()", "analyse",
         str(wave_file), "--margins", str(tmp_path / "absent.csv"), "-o", str(out)],
        capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip
    assert r.returncode == 2
    assert "absent.csv: cannot read the margins file" in r.stderr
    assert "Traceback" not in r.stderr
    assert not out.exists()


def test_respondents_without_a_group_label_are_a_protected_domain(tmp_path: Path, capsys):
    """A few respondents with no role: their own domain, withheld, never the remainder."""
    wave = generate_wave(respondents=800, seed=12, instrument=load_instrument()).responses
    wave = wave.with_columns(
        pl.when(pl.int_range(pl.len()) < 3).then(None).otherwise(pl.col("role")).alias("role")
    )
    data = tmp_path / "wave.csv"
    wave.write_csv(data)
    out = tmp_path / "results.parquet"
    code, _, stderr = run_cli(
        capsys, "analyse", str(data), "--margins", str(MARGINS), "--by", "role", "-o", str(out)
    )
    assert code == 0, stderr
    got = pl.read_parquet(out).filter(pl.col("variable") == "index")
    missing = got.filter(pl.col("domain") == "(missing)")
    assert missing["disclosure"].to_list() == ["suppressed_primary"]
    assert missing["estimate"].null_count() == 1
    # its neighbour is withheld too, so the whole minus the rest reveals nothing
    roles = got.filter(pl.col("grouping") == "role")
    assert (roles["disclosure"] == "suppressed_secondary").sum() == 1
    assert set(roles["domain"]) == {"(missing)", *wave["role"].drop_nulls().unique()}
