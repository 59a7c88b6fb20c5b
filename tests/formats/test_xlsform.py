"""The instrument as an XLSForm: a real form (pyxform accepts it), a lossless round trip,
and precise errors (sheet, row, column) for a hand-made form with mistakes."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest
from openpyxl import Workbook, load_workbook
from pyxform.xls2xform import convert
from typer.testing import CliRunner, Result

from collabready.cli import app
from collabready.formats.xlsform import read_xlsform, write_xlsform
from collabready.instrument import (
    InstrumentError,
    available_versions,
    load_file,
    load_instrument,
)

runner = CliRunner()


def run(*args: str) -> Result:
    result = runner.invoke(app, ["instrument", *args], env={"COLUMNS": "400"})
    assert "Traceback" not in result.output
    return result


# -- the exported form ------------------------------------------------------------------


@pytest.mark.parametrize("version", available_versions())
def test_round_trip_is_lossless(version: str, tmp_path: Path) -> None:
    original = load_instrument(version)
    path = tmp_path / f"cri-{version}.xlsx"
    write_xlsform(original, path)
    assert read_xlsform(path).instrument == original


@pytest.mark.parametrize("version", available_versions())
def test_pyxform_converts_the_export_without_errors_or_warnings(
    version: str, tmp_path: Path
) -> None:
    ins = load_instrument(version)
    path = tmp_path / "form.xlsx"
    write_xlsform(ins, path)
    warnings: list[str] = []
    xform = convert(xlsform=str(path), warnings=warnings).xform
    assert warnings == []
    assert f'<data id="cri" version="{version}">' in xform
    for lang in ins.languages:
        assert f'<translation lang="{ {"en": "English", "cy": "Welsh"}[lang] } ({lang})"' in xform
    # the rated items are select_one agree5, answered with the scale's codes
    assert '<instance id="agree5">' in xform
    assert "<name>8</name><cri_dont_know>yes</cri_dont_know>" in xform
    item = ins.blocks[0].items[0]
    assert f'nodeset="/data/{ins.blocks[0].id}/{item.id}" type="string" required="true()"' in xform


def test_export_layout(tmp_path: Path) -> None:
    ins = load_instrument("1.1.0")
    path = tmp_path / "form.xlsx"
    write_xlsform(ins, path)
    book = load_workbook(path)
    assert book.sheetnames == ["survey", "choices", "settings", "cri", "cri_actions", "cri_levels"]
    survey = [list(r) for r in book["survey"].iter_rows(values_only=True)]
    header = survey[0]
    assert header[:8] == [
        "type",
        "name",
        "label::English (en)",
        "label::Welsh (cy)",
        "hint::English (en)",
        "hint::Welsh (cy)",
        "required",
        "constraint",
    ]
    rows = {r[1]: dict(zip(header, r, strict=True)) for r in survey[1:]}
    first = ins.blocks[0].items[0]
    assert rows[first.id]["type"] == "select_one agree5"
    assert rows[first.id]["label::Welsh (cy)"] == first.text.get("cy")
    assert rows[first.id]["required"] == "yes"
    assert rows[first.id]["cri_dimension"] == first.dimension
    reverse = next(i for i in ins.items if i.reverse)
    assert rows[reverse.id]["cri_reverse"] == "yes"
    assert rows["sector"]["type"] == "select_one sector"
    assert rows["open_improve"]["constraint"] == "string-length(.) <= 2000"
    settings = list(book["settings"].iter_rows(values_only=True))
    assert dict(zip(settings[0], settings[1], strict=True)) == {
        "form_title": "Collaboration Readiness Index",
        "form_id": "cri",
        "version": "1.1.0",
        "default_language": "English (en)",
    }


def test_cli_round_trip_writes_an_instrument_file_equal_to_the_original(tmp_path: Path) -> None:
    form = tmp_path / "cri.xlsx"
    result = run("to-xlsform", "--version", "1.1.0", "-o", str(form))
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith(f"Wrote cri@1.1.0 as an XLSForm to {form}")
    out = tmp_path / "cri-1.1.0.yaml"
    result = run("from-xlsform", str(form), "-o", str(out))
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("valid: cri@1.1.0, 60 block items")
    assert load_file(out) == load_instrument("1.1.0")
    assert run("validate", str(out)).exit_code == 0


def test_edited_form_becomes_a_new_version(tmp_path: Path) -> None:
    form = tmp_path / "cri.xlsx"
    write_xlsform(load_instrument("1.1.0"), form)
    book = load_workbook(form)
    book["settings"]["C2"] = "1.2.0"
    survey = book["survey"]
    for row in survey.iter_rows(min_row=2):
        if row[1].value == "cit_com_1":
            row[2].value = "We ask residents what matters to them."
    book.save(form)
    out = tmp_path / "cri-1.2.0.yaml"
    assert run("from-xlsform", str(form), "-o", str(out)).exit_code == 0
    ins = load_file(out)
    assert ins.version == "1.2.0"
    assert ins.item("cit_com_1").text.get("en") == "We ask residents what matters to them."
    assert ins.item("cit_com_1").text.get("cy") == load_instrument("1.1.0").item(
        "cit_com_1"
    ).text.get("cy")


def test_output_name_must_agree_with_the_version(tmp_path: Path) -> None:
    form = tmp_path / "cri.xlsx"
    write_xlsform(load_instrument("1.1.0"), form)
    out = tmp_path / "cri-1.3.0.yaml"
    result = run("from-xlsform", str(form), "-o", str(out))
    assert result.exit_code == 1
    assert (
        "settings row 2, column C (version): '1.1.0' disagrees with the file name, "
        "which says '1.3.0'"
    ) in result.stderr
    assert not out.exists()


def test_to_xlsform_bad_options(tmp_path: Path) -> None:
    result = run("to-xlsform", "--version", "9.9.9", "-o", str(tmp_path / "x.xlsx"))
    assert result.exit_code == 2
    assert "no bundled instrument version '9.9.9'" in result.stderr
    result = run("to-xlsform", "-o", str(tmp_path / "x.csv"))
    assert result.exit_code == 2
    assert "x.csv: an XLSForm is written as .xlsx" in result.stderr
    assert list(tmp_path.iterdir()) == []


# -- a hand-made form ------------------------------------------------------------------

EN, CY = "label::English (en)", "label::Welsh (cy)"
DESCRIPTION = ["description::English (en)", "description::Welsh (cy)"]


def _items(dimension: str, n: int) -> list[list[Any]]:
    short = dimension[:3]
    return [
        [
            "select_one agree5",
            f"cit_{short}_{i}",
            f"{dimension} {i}",
            f"cy {dimension} {i}",
            dimension,
        ]
        for i in range(1, n + 1)
    ]


def hand_made() -> dict[str, list[list[Any]]]:
    """A small valid instrument typed in by hand: one block, one profile question, two levels."""
    return {
        "survey": [
            [
                "type",
                "name",
                EN,
                CY,
                "cri_dimension",
                "cri_role",
                "cri_short_label::English (en)",
                "cri_short_label::Welsh (cy)",
                "hint::English (en)",
                "hint::Welsh (cy)",
            ],
            ["note", "intro", "Welcome", "Croeso", None, "introduction"],
            ["begin group", "profile", None, None, None, "profile"],
            ["select_one sector", "sector", "Sector?", "Sector?", None],
            ["end group", "profile"],
            [
                "begin_group",
                "citizens",
                "Citizens",
                "Dinasyddion",
                None,
                "block",
                "cit",
                "din",
                "About citizens",
                "Am ddinasyddion",
            ],
            *_items("commitment", 4),
            *_items("capacity", 4),
            ["end_group", "citizens"],
        ],
        "choices": [
            ["list_name", "name", EN, CY, "cri_code", "cri_dont_know"],
            ["agree5", 1, "Strongly disagree", "Anghytuno'n gryf"],
            ["agree5", 2, "Disagree", "Anghytuno"],
            ["agree5", 3, "Neither", "Ddim"],
            ["agree5", 4, "Agree", "Cytuno"],
            ["agree5", 5, "Strongly agree", "Cytuno'n gryf"],
            ["agree5", 8, "Don't know", "Ddim yn gwybod", None, "yes"],
            ["sector", "public", "Public", "Cyhoeddus", 1],
            ["sector", "private", "Private", "Preifat", 2],
        ],
        "settings": [
            ["form_title", "form_id", "version", "default_language"],
            ["Small CRI", "small", "0.1.0", "English (en)"],
        ],
        "cri": [
            ["property", "value", "text::English (en)", "text::Welsh (cy)"],
            ["title", None, "Small CRI", "CRI bach"],
            ["estimated_minutes", 5],
            ["min_blocks_for_index", 1],
        ],
        "cri_actions": [
            ["block", "text::English (en)", "text::Welsh (cy)"],
            ["citizens", "Ask residents", "Gofynnwch i drigolion"],
            ["citizens", "Share power", "Rhannwch bŵer"],
        ],
        "cri_levels": [
            ["name", "lower", "upper", EN, CY, *DESCRIPTION],
            ["low", 0, 50, "Low", "Isel", "Not yet", "Ddim eto"],
            ["high", 50, 100, "High", "Uchel", "There", "Yno"],
        ],
    }


def save(sheets: dict[str, list[list[Any]]], path: Path) -> Path:
    book = Workbook()
    if book.active is not None:
        book.remove(book.active)
    for name, rows in sheets.items():
        sheet = book.create_sheet(name)
        for row in rows:
            sheet.append(row)
    book.save(path)
    return path


def problems(path: Path) -> list[str]:
    with pytest.raises(InstrumentError) as caught:
        read_xlsform(path)
    return list(caught.value.problems)


def test_hand_made_form_is_read(tmp_path: Path) -> None:
    ins = read_xlsform(save(hand_made(), tmp_path / "small.xlsx")).instrument
    assert ins.key == "small@0.1.0"
    assert ins.languages == ("en", "cy")
    assert ins.introduction.get("cy") == "Croeso"
    assert ins.profile_question("sector").choice_by_value("private").code == 2
    assert ins.scale("agree5").dont_know is not None
    assert [i.id for i in ins.blocks[0].items][:2] == ["cit_com_1", "cit_com_2"]
    assert ins.blocks[0].short_label.get("cy") == "din"
    assert [a.get("en") for a in ins.blocks[0].guidance] == ["Ask residents", "Share power"]
    assert [(lv.id, lv.lower, lv.upper) for lv in ins.levels] == [("low", 0, 50), ("high", 50, 100)]


def test_a_mistake_on_each_sheet_gives_every_problem_with_sheet_row_and_column(
    tmp_path: Path,
) -> None:
    sheets = copy.deepcopy(hand_made())
    sheets["settings"][1][3] = "French (fr)"  # not a label language
    sheets["survey"][7][2:4] = [None, None]  # cit_com_2 has no text
    sheets["survey"][8][4] = "commitmnt"  # a misspelt dimension
    sheets["survey"].insert(9, ["integer", "staff", "How many staff?", "Sawl aelod o staff?"])
    sheets["choices"][3][1] = "three"  # a scale option's code is its name
    sheets["cri"][2][1] = "fifteen"
    sheets["cri_actions"][2][0] = "citizen"  # no such block
    sheets["cri_levels"][2][1] = "fifty"
    sheets["cri_levels"][0][5] = "description::Welsh"  # a header without its language code
    assert problems(save(sheets, tmp_path / "small.xlsx")) == [
        "settings row 2, column D (default_language): 'French (fr)' is not one of the survey's "
        "label languages (English (en), Welsh (cy))",
        "survey row 8, column C (label::English (en)): required field is missing",
        "survey row 9, column E (cri_dimension): 'commitmnt' is not one of 'commitment', "
        "'capacity'",
        "survey row 10, column A (type): type 'integer' cannot be used here: the questions of a "
        "block group are select_one <list>",
        "choices row 4, column B (name): expected integer, got string",
        "cri row 3, column B (value): expected integer, got string",
        "cri_actions row 2, column A (block): guidance: has 1 entry; at least 2 are required",
        "cri_actions row 3, column A (block): unknown block 'citizen' (blocks on the survey "
        "sheet: citizens)",
        "cri_levels row 1, column F (description::Welsh): 'description::Welsh' does not name its "
        "language's code: write it as description::Name (code), for example "
        "description::Welsh (cy)",
        "cri_levels row 3, column B (lower): expected number, got string",
    ]


def test_meaning_problems_point_at_their_cells(tmp_path: Path) -> None:
    sheets = copy.deepcopy(hand_made())
    sheets["survey"][12][1] = "cit_com_1"  # a capacity item (row 13) reusing an id
    sheets["cri_levels"][2][1] = 60  # a gap between the bands
    sheets["settings"][1][2] = "0.1"
    found = problems(save(sheets, tmp_path / "small.xlsx"))
    assert found == [
        "settings row 2, column C (version): '0.1' is not MAJOR.MINOR.PATCH (for example '1.0.0')",
        "survey row 13, column B (name): duplicate item or question id 'cit_com_1' "
        "(first at survey row 7)",
        "cri_levels row 3, column B (lower): leaves a gap: cri_levels row 2 ends at 50, "
        "this band starts at 60",
    ]


def test_spreadsheet_structure_problems(tmp_path: Path) -> None:
    sheets = copy.deepcopy(hand_made())
    sheets["survey"].pop()  # the block group is never closed
    sheets["survey"].insert(1, ["select_one agree5", "loose", "Loose", "Rhydd"])
    sheets["survey"][4][0] = "select_one sectors"  # no such list
    del sheets["cri"]
    found = problems(save(sheets, tmp_path / "small.xlsx"))
    assert found == [
        "survey row 2, column A (type): 'loose' is outside any group: a question belongs in the "
        "profile, a block, a section or the open questions",
        "survey row 5, column A (type): the list 'sectors' is not on the choices sheet",
        "survey row 7, column A (type): this group is never closed: add an end_group row",
        "choices row 8, column A (list_name): the list 'sector' has choice codes (cri_code) but "
        "no profile question uses it",
        "sheet cri (property estimated_minutes): required field is missing",
    ]


def test_not_a_workbook(tmp_path: Path) -> None:
    bad = tmp_path / "form.xlsx"
    bad.write_text("not a zip")
    with pytest.raises(InstrumentError, match=r"form.xlsx: cannot be read as an .xlsx workbook"):
        read_xlsform(bad)
    result = run("from-xlsform", str(bad), "-o", str(tmp_path / "out.yaml"))
    assert result.exit_code == 1
    assert not (tmp_path / "out.yaml").exists()
