"""The margins CSV format: reading, writing and the errors that name file, row and column."""

from __future__ import annotations

import pytest

from collabready.stats import MarginsError, read_margins_csv, write_margins_csv
from collabready.stats.margins import margins_from_frame

from .conftest import GOLDEN


def write(tmp_path, text):
    path = tmp_path / "margins.csv"
    path.write_text(text)
    return path


def test_reads_the_api_margins():
    margins = read_margins_csv(GOLDEN / "api_margins.csv")
    assert margins.variables == ("stype", "sch_wide", "comp_imp")
    assert margins["stype"].levels == ("E", "H", "M")
    assert margins.population_total == 6194


def test_round_trip(tmp_path):
    margins = read_margins_csv(GOLDEN / "api_margins.csv")
    write_margins_csv(margins, tmp_path / "copy.csv")
    again = read_margins_csv(tmp_path / "copy.csv")
    assert again.to_frame().equals(margins.to_frame())
    assert margins_from_frame(margins.to_frame()).to_frame().equals(margins.to_frame())


def test_extra_columns_and_blank_lines_are_ignored(tmp_path):
    path = write(tmp_path, "variable,level,population_total,note\nsex,f,60,x\n\nsex,m,40,y\n")
    assert read_margins_csv(path)["sex"].totals.tolist() == [60.0, 40.0]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("variable,level\nsex,f\n", "row 1 (header): missing column 'population_total'"),
        ("variable,level,population_total\nsex,f,lots\n", "row 2, column 'population_total'"),
        ("variable,level,population_total\nsex,f,-3\n", "row 2, column 'population_total'"),
        ("variable,level,population_total\nsex,,3\n", "row 2, column 'level': empty"),
        (
            "variable,level,population_total\nsex,f,3\nsex,m,4\nsex,f,5\n",
            "row 4, column 'level': level 'f' of variable 'sex' already given on row 2",
        ),
        (
            "variable,level,population_total\nsex,f,3\nsex,m,4\nage,old,5\n",
            "'sex' adds up to 7 but 'age' adds up to 5",
        ),
        ("", "the file is empty"),
        ("variable,level,population_total\n", "no margins"),
    ],
)
def test_errors_name_file_row_and_column(tmp_path, text, message):
    path = write(tmp_path, text)
    with pytest.raises(MarginsError) as caught:
        read_margins_csv(path)
    assert str(path) in str(caught.value)
    assert message in str(caught.value)


def test_missing_file(tmp_path):
    with pytest.raises(MarginsError, match="cannot read"):
        read_margins_csv(tmp_path / "nope.csv")


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"PAR1\x15\x04\x15\xe0\xff\xfe", "not UTF-8 text"),
        (b"variable,level,population_total\x00\x00\n", "binary data"),
    ],
)
def test_a_file_that_is_not_a_csv_is_named_not_a_traceback(tmp_path, content, message):
    path = tmp_path / "margins.parquet"
    path.write_bytes(content)
    with pytest.raises(MarginsError, match=message):
        read_margins_csv(path)
