"""Exports with open answers (``--open-answers``) and partial responses (``--partial``),
read back in every format."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import openpyxl
import polars as pl
import pyreadstat
import pytest

from collabready.analysis.load import ResponseMatrix, from_frame
from collabready.formats.codebook import codebook
from collabready.formats.export import (
    ExportError,
    ExportExtras,
    ExportTable,
    export_responses,
    extras_from_frame,
)
from collabready.formats.labels import STATA_STRING_BYTES
from collabready.formats.writers import write_export
from collabready.instrument import Instrument, load_instrument
from collabready.synth import generate_wave

KEY = b"k" * 32
ANSWERS = ['=HYPERLINK("http://x")', "More time together", None, "-1 for silos", "Mwy o amser ŵ"]


@pytest.fixture(scope="module")
def cri() -> Instrument:
    return load_instrument()


@pytest.fixture(scope="module")
def frame(cri: Instrument) -> pl.DataFrame:
    responses = generate_wave(respondents=200, seed=4, instrument=cri).responses
    n = responses.height
    answers = [ANSWERS[i % len(ANSWERS)] for i in range(n)]
    pages = [None if done else "systems" for done in responses.get_column("complete").to_list()]
    return responses.with_columns(
        pl.Series("open_improve", answers, dtype=pl.Utf8),
        pl.Series("last_page", pages, dtype=pl.Utf8),
    )


@pytest.fixture(scope="module")
def matrix(frame: pl.DataFrame, cri: Instrument) -> ResponseMatrix:
    return from_frame(frame, cri)


def export(matrix: ResponseMatrix, frame: pl.DataFrame, **options: bool) -> ExportTable:
    return export_responses(
        matrix, id_key=KEY, extras=extras_from_frame(frame, matrix.instrument), **options
    )


def test_without_partial_only_complete_responses(matrix: ResponseMatrix, frame: pl.DataFrame):
    table = export(matrix, frame, open_answers=True)
    complete = frame.get_column("complete").to_numpy()
    assert 0 < complete.sum() < len(matrix)
    assert table.height == int(complete.sum())
    out = table.frame(0, table.height)
    assert "complete" not in out.columns
    kept = [a or None for a, c in zip(frame["open_improve"].to_list(), complete, strict=True) if c]
    assert out.get_column("open_improve").to_list() == kept
    example = [a for a, c in zip(frame["open_example"].to_list(), complete, strict=True) if c]
    assert out.get_column("open_example").to_list() == [a or None for a in example]


def test_partial_responses_with_their_last_page(matrix: ResponseMatrix, frame: pl.DataFrame):
    table = export(matrix, frame, partial=True)
    out = table.frame(0, table.height)
    assert out.height == len(matrix)
    complete = frame.get_column("complete").to_numpy()
    assert out.get_column("complete").to_list() == complete.astype(int).tolist()
    pages = out.get_column("last_page").to_list()
    assert {p for p, c in zip(pages, complete, strict=True) if not c} == {"systems"}
    assert {p for p, c in zip(pages, complete, strict=True) if c} == {None}
    assert "open_improve" not in out.columns


def test_weights_are_for_complete_responses_only(
    matrix: ResponseMatrix, frame: pl.DataFrame, cri: Instrument
) -> None:
    margins = generate_wave(respondents=200, seed=4, instrument=cri).population_margins
    table = export_responses(matrix, id_key=KEY, partial=True, margins=margins)
    weight = table.frame(0, table.height).get_column("weight")
    complete = frame.get_column("complete").to_numpy()
    assert weight.filter(pl.Series(~complete)).null_count() == int((~complete).sum())
    assert (weight.filter(pl.Series(complete)) > 0).all()
    alone = export_responses(matrix.subset(complete), id_key=KEY, margins=margins)
    np.testing.assert_allclose(
        weight.filter(pl.Series(complete)).to_numpy(),
        alone.frame(0, alone.height).get_column("weight").to_numpy(),
    )


def test_every_format_reads_back_with_open_answers_and_status(
    matrix: ResponseMatrix, frame: pl.DataFrame, tmp_path: Path
) -> None:
    table = export(matrix, frame, open_answers=True, partial=True)
    source = table.frame(0, table.height)
    write_export(table, tmp_path / "w.parquet", "parquet", chunk_rows=64)
    assert pl.read_parquet(tmp_path / "w.parquet").equals(source)
    write_export(table, tmp_path / "w.csv", "csv", chunk_rows=64)
    csv = pl.read_csv(tmp_path / "w.csv", schema=source.schema)
    neutral = source.get_column("open_improve").to_list()
    written = csv.get_column("open_improve").to_list()
    for was, got in zip(neutral, written, strict=True):
        assert got == (None if was is None else ("'" + was if was[0] in "=-" else was))
    assert csv.drop("open_improve").equals(source.drop("open_improve"))
    write_export(table, tmp_path / "w.xlsx", "xlsx", chunk_rows=64)
    sheet = openpyxl.load_workbook(tmp_path / "w.xlsx")["responses"]
    header = [c.value for c in sheet[1]]
    column = header.index("open_improve")
    cells = [row[column] for row in sheet.iter_rows(min_row=2)]
    assert [c.value for c in cells] == written
    assert all(c.data_type != "f" for c in cells)
    write_export(table, tmp_path / "w.sav", "sav")
    sav, meta = pyreadstat.read_sav(tmp_path / "w.sav")
    assert sav["open_improve"].tolist() == [a or "" for a in neutral]  # SPSS has no null text
    assert (
        meta.column_names_to_labels["open_improve"]
        == matrix.instrument.open_questions[0].text.get()
    )
    assert meta.variable_value_labels["complete"] == {
        0: "Partial (not submitted)",
        1: "Complete (submitted)",
    }
    assert sav["complete"].tolist() == source.get_column("complete").to_list()
    write_export(table, tmp_path / "w.dta", "dta")
    dta, dmeta = pyreadstat.read_dta(tmp_path / "w.dta")
    assert dta["open_improve"].tolist() == [a or "" for a in neutral]
    assert dmeta.variable_value_labels["complete"][1] == "Complete (submitted)"
    assert dta["last_page"].tolist() == [p or "" for p in source.get_column("last_page").to_list()]


def test_a_text_too_long_for_stata_is_shortened_on_purpose(
    matrix: ResponseMatrix, cri: Instrument, tmp_path: Path
) -> None:
    long = "ŵ" * 2000  # 4,000 bytes: more than a Stata string holds
    extras = ExportExtras({"open_improve": [long] + [None] * (len(matrix) - 1)})
    table = export_responses(matrix, id_key=KEY, extras=extras, open_answers=True, partial=True)
    notes = write_export(table, tmp_path / "w.dta", "dta")
    texts = [n for n in notes if n.what.startswith("text")]
    assert [(n.variable, n.what, n.full) for n in texts] == [
        ("open_improve", "text of row 1", long)
    ]
    dta, _ = pyreadstat.read_dta(tmp_path / "w.dta")
    assert dta["open_improve"][0] == texts[0].written
    assert len(texts[0].written.encode()) <= STATA_STRING_BYTES
    assert texts[0].written.endswith("…")
    write_export(table, tmp_path / "w.sav", "sav")
    sav, _ = pyreadstat.read_sav(tmp_path / "w.sav")
    assert sav["open_improve"][0] == long  # SPSS keeps very long strings whole


def test_extras_must_match_the_matrix(matrix: ResponseMatrix) -> None:
    with pytest.raises(ExportError, match="open answers open_improve: 3 values, not 200"):
        export_responses(matrix, id_key=KEY, extras=ExportExtras({"open_improve": ["a", "b", "c"]}))


def test_codebook_lists_the_open_answers_and_the_status_columns(cri: Instrument) -> None:
    variables = {v["name"]: v for v in codebook(cri)["variables"]}
    assert variables["open_improve"]["only_with"] == "--open-answers"
    assert variables["open_improve"]["label"] == cri.open_questions[0].text.get()
    assert variables["complete"]["only_with"] == "--partial"
    assert variables["last_page"]["kind"] == "status"
