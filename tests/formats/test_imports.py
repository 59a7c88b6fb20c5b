"""Imports (the pure core): the mapping file and the row checks, each problem located."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pytest
from openpyxl import Workbook

from collabready.analysis.codec import PROFILE_MISSING
from collabready.formats.imports import (
    ImportMappingError,
    ImportPlan,
    ResponseImportError,
    mapping_from_text,
    plan_import,
    read_mapping,
)
from collabready.instrument import MISSING, Instrument, load_instrument


@pytest.fixture(scope="module")
def cri() -> Instrument:
    return load_instrument("1.1.0")


MAPPING = """
instrument: cri@1.1.0
organisation: Org
columns:
  Q1: sector
  Q2: role
  Q7_1: cit_com_1
  Q7_2: cit_com_2
  Q7_3: cit_com_3
  Q20: open_improve
values:
  agree5:
    Strongly agre: 5
    N/A: null
  sector:
    Public body: public
"""

GOOD = (
    "Respondent,Org,Q1,Q2,Q7_1,Q7_2,Q7_3,Q20\n"
    "r1,Council A,Public body,Director,Strongly agree,2,Strongly agre,More time\n"
    "r2,Charity B,third,chief_executive,Cytuno'n gryf,Don't know,N/A,\n"
    "r3,,Private sector,,,  strongly   DISAGREE ,4,=1+1\n"
)


def plan(cri: Instrument, data: str, mapping: str = MAPPING, name: str = "tool.csv") -> ImportPlan:
    return plan_import(
        instrument=cri,
        mapping=mapping_from_text(mapping, instrument=cri, file_name="map.yaml"),
        data=data.encode(),
        file_name=name,
    )


def test_good_file_becomes_stored_codes(cri: Instrument) -> None:
    got = plan(cri, GOOD)
    assert got.n == 3
    assert got.source_rows == (2, 3, 4)
    col = {item_id: j for j, item_id in enumerate(cri.item_ids)}
    assert got.answers[:, col["cit_com_1"]].tolist() == [5, 5, MISSING]
    assert got.answers[:, col["cit_com_2"]].tolist() == [2, 8, 1]
    assert got.answers[:, col["cit_com_3"]].tolist() == [5, MISSING, 4]
    assert int((got.answers != MISSING).sum()) == 7  # unmapped items stay unanswered
    sector = [q.id for q in cri.profile].index("sector")
    role = [q.id for q in cri.profile].index("role")
    assert got.profile[:, sector].tolist() == [1, 3, 2]
    assert got.profile[:, role].tolist()[2] == PROFILE_MISSING
    # open answers are kept as typed (exports neutralise formulas, not imports)
    assert got.open_answers == ({"open_improve": "More time"}, {}, {"open_improve": "=1+1"})
    assert got.organisations == ("Council A", "Charity B", "")
    assert got.ignored_columns == ("Respondent",)
    assert len(got.sha256) == 64
    assert got.summary()[0].startswith("3 responses from tool.csv (SHA-256 ")
    assert "6 columns mapped: 3 rated items, 2 profile questions, 1 open questions" in got.summary()


def test_xlsx_file(cri: Instrument) -> None:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["Org", "Q1", "Q7_1", "Q7_2"])
    sheet.append(["Council A", "public", 5, 3.0])
    sheet.append([None, None, None, None])
    sheet.append(["Council B", "third", "Agree", None])
    buffer = io.BytesIO()
    book.save(buffer)
    mapping = "organisation: Org\ncolumns: {Q1: sector, Q7_1: cit_com_1, Q7_2: cit_com_2}\n"
    got = plan_import(
        instrument=cri,
        mapping=mapping_from_text(mapping, instrument=cri, file_name="map.yaml"),
        data=buffer.getvalue(),
        file_name="tool.xlsx",
    )
    assert got.source_rows == (2, 4)
    assert got.answers[:, :2].tolist() == [[5, 3], [4, MISSING]]


def test_every_bad_cell_is_named_and_nothing_is_planned(cri: Instrument) -> None:
    data = (
        "Org,Q1,Q2,Q7_1,Q7_2,Q7_3,Q20\n"
        "A,public,director,Strongly agree,2,4,\n"
        "B,govt,director,Agree,6,Strongly agre,\n"
        "C,,,,,,\n"
        "D,third,king,Strongly agreee,1,1," + "x" * 2001 + "\n"
    )
    data = "\n".join(["Respondent," + line for line in data.splitlines()]) + "\n"
    with pytest.raises(ResponseImportError) as caught:
        plan(cri, data, MAPPING.replace("    Strongly agre: 5\n", ""))
    assert list(caught.value.problems) == [
        "row 3, column Q1: 'govt' is not a value of profile question sector",
        "row 3, column Q7_2: '6' is not a value of scale agree5",
        "row 3, column Q7_3: 'Strongly agre' is not a value of scale agree5",
        "row 4: none of the mapped columns holds an answer",
        "row 5, column Q2: 'king' is not a value of profile question role",
        "row 5, column Q7_1: 'Strongly agreee' is not a value of scale agree5",
        "row 5, column Q20: the answer has 2,001 characters; open_improve takes at most 2,000",
        "to accept a value the instrument does not know, map it to a code under values: in "
        "the mapping file (see docs/imports.md)",
    ]
    assert str(caught.value).splitlines()[0] == "tool.csv: 8 problems; nothing was imported"


def test_columns_the_mapping_names_must_be_in_the_file(cri: Instrument) -> None:
    with pytest.raises(ResponseImportError) as caught:
        plan(cri, "Org,Q1,Q1,Q7_1\nA,public,public,4\n")
    assert list(caught.value.problems) == [
        "row 1, column Q1: the header names this column twice",
        "row 1: no column 'Q2', which the mapping names (the file's columns: Org, Q1, Q1, Q7_1)",
        "row 1: no column 'Q7_2', which the mapping names (the file's columns: Org, Q1, Q1, Q7_1)",
        "row 1: no column 'Q7_3', which the mapping names (the file's columns: Org, Q1, Q1, Q7_1)",
        "row 1: no column 'Q20', which the mapping names (the file's columns: Org, Q1, Q1, Q7_1)",
    ]


def test_every_mapping_problem_is_listed(cri: Instrument) -> None:
    text = """
instrument: cri@1.0.0
colums: {}
columns:
  Q1: sector
  Q2: sectr
  Q3: sector
values:
  agree5: {Strongly agre: 6, Meh: three}
  agree7: {x: 1}
  sector: {Public body: council}
"""
    with pytest.raises(ImportMappingError) as caught:
        mapping_from_text(text, instrument=cri, file_name="map.yaml")
    assert list(caught.value.problems) == [
        "colums: unknown field (allowed: instrument, organisation, columns, values, sheet)",
        "instrument: the mapping is for cri@1.0.0, but the wave uses cri@1.1.0",
        "columns.Q2: 'sectr' is not an item, profile question or open question of cri@1.1.0",
        "columns.Q3: sector is already mapped from column Q1",
        "values.agree5.Strongly agre: 6 is not a code of scale agree5 (1, 2, 3, 4, 5, 8, or null)",
        "values.agree5.Meh: 'three' is not a code of scale agree5 (1, 2, 3, 4, 5, 8, or null)",
        "values.agree7: not a scale or profile question of cri@1.1.0 (scales: agree5)",
        "values.sector.Public body: 'council' is not a choice of sector (1 or public, 2 or "
        "private, 3 or third, or null)",
    ]


def test_mapping_file_errors(cri: Instrument, tmp_path: Path) -> None:
    with pytest.raises(ImportMappingError, match=r"map\.yaml: no such file"):
        read_mapping(tmp_path / "map.yaml", instrument=cri)
    with pytest.raises(ImportMappingError, match=r"map.yaml: line 3, column 1: YAML syntax error"):
        mapping_from_text("columns:\n- a: [\n", instrument=cri, file_name="map.yaml")
    with pytest.raises(ImportMappingError, match="columns: required"):
        mapping_from_text("instrument: cri@1.1.0\n", instrument=cri, file_name="map.yaml")


def test_source_file_errors(cri: Instrument) -> None:
    with pytest.raises(
        ResponseImportError, match=r"tool.txt: 1 problem; .*\nunsupported file type"
    ):
        plan(cri, GOOD, name="tool.txt")
    with pytest.raises(ResponseImportError, match="the file has a header but no responses"):
        plan(cri, GOOD.splitlines()[0] + "\n")
    with pytest.raises(ResponseImportError, match="row 2: not UTF-8 text"):
        plan_import(  # latin-1 bytes, not UTF-8
            instrument=cri,
            mapping=mapping_from_text(MAPPING, instrument=cri, file_name="m.yaml"),
            data="Org,Q1\nCaf\xe9,public\n".encode("latin-1"),
            file_name="tool.csv",
        )


def test_plan_codes_fit_the_stored_layout(cri: Instrument) -> None:
    got = plan(cri, GOOD)
    assert got.answers.dtype == np.int8
    assert got.answers.shape == (3, len(cri.item_ids))
    assert got.profile.shape == (3, len(cri.profile))
