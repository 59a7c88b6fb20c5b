"""Exports read back: labels, missing values, codes, metadata, formula cells, label limits."""

from __future__ import annotations

import hashlib
import hmac
import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import openpyxl
import polars as pl
import pyarrow.parquet as pq
import pyreadstat
import pytest

from collabready.analysis.data import prepare
from collabready.analysis.load import ResponseMatrix, from_frame
from collabready.formats.codebook import Kind, Variable, codebook, render_codebook
from collabready.formats.export import ExportError, ExportTable, build_export, pseudonyms
from collabready.formats.labels import fit_bytes, fit_chars, neutralise
from collabready.formats.writers import write_export
from collabready.instrument import Instrument, load_instrument
from collabready.synth import generate_wave

KEY = b"k" * 32


@pytest.fixture(scope="module")
def cri() -> Instrument:
    return load_instrument()


@pytest.fixture(scope="module")
def matrix(cri: Instrument) -> ResponseMatrix:
    responses = generate_wave(respondents=300, seed=3, instrument=cri).responses
    # one respondent without an organisation, one without a sector
    responses = responses.with_columns(
        pl.when(pl.int_range(pl.len()) == 0)
        .then(None)
        .otherwise(pl.col("organisation_id"))
        .alias("organisation_id"),
        pl.when(pl.int_range(pl.len()) == 1).then(None).otherwise(pl.col("sector")).alias("sector"),
    )
    return from_frame(responses, cri)


@pytest.fixture(scope="module")
def table(matrix: ResponseMatrix) -> ExportTable:
    return build_export(matrix, id_key=KEY, scores=prepare(matrix).scores)


def test_pseudonyms_are_stable_keyed_and_never_the_internal_id(matrix: ResponseMatrix):
    a = build_export(matrix, id_key=KEY).frame(0, len(matrix))
    b = build_export(matrix, id_key=KEY).frame(0, len(matrix))
    c = build_export(matrix, id_key=b"another key 1234").frame(0, len(matrix))
    assert a["respondent_id"].to_list() == b["respondent_id"].to_list()
    assert set(a["respondent_id"]).isdisjoint(c["respondent_id"])
    assert a["respondent_id"].n_unique() == len(matrix)
    assert all(len(x) == 16 for x in a["respondent_id"])
    assert a["organisation_id"][0] is None  # no known organisation
    # respondents of one organisation share its pseudonym
    assert (
        a["organisation_id"].n_unique() == np.unique(matrix.organisation[matrix.verified]).size + 1
    )
    assert pseudonyms(KEY, "", "respondent", [1]) != pseudonyms(KEY, "wave:x", "respondent", [1])


def test_short_key_and_unknown_language_are_refused(matrix: ResponseMatrix):
    with pytest.raises(ExportError, match="16 bytes"):
        build_export(matrix, id_key=b"short")
    with pytest.raises(ExportError, match="--language fr"):
        build_export(matrix, id_key=KEY, language="fr")


def test_sav_read_back(table: ExportTable, matrix: ResponseMatrix, cri: Instrument, tmp_path: Path):
    path = tmp_path / "w.sav"
    assert write_export(table, path, "sav") == []
    df, meta = pyreadstat.read_sav(path, user_missing=True)
    item = cri.items[0]
    assert meta.column_names_to_labels[item.id] == item.text.get()
    assert meta.variable_value_labels[item.id][1] == "Strongly disagree"
    assert meta.variable_value_labels[item.id][8] == "Don't know"
    assert meta.variable_value_labels[item.id][9] == "No answer"
    assert meta.missing_ranges[item.id] == [{"lo": 8.0, "hi": 8.0}, {"lo": 9.0, "hi": 9.0}]
    assert meta.missing_ranges["sector"] == [{"lo": 99.0, "hi": 99.0}]
    assert meta.variable_value_labels["sector"][1] == "Public sector"
    assert meta.variable_value_labels["level"][3] == "Established"
    # the round trip of codes: every item, every row
    codes = df[list(cri.item_ids)].to_numpy().astype(np.int8)
    assert (codes == matrix.codes).all()
    assert df["sector"][1] == 99
    # read without user_missing, don't know and no answer are missing
    plain, _ = pyreadstat.read_sav(path)
    assert plain[item.id].isna().sum() == int(np.isin(matrix.codes[:, 0], (8, 9)).sum())
    np.testing.assert_allclose(
        df["index"].to_numpy(), prepare(matrix).col("index"), atol=1e-4, equal_nan=True
    )


def test_dta_read_back_with_extended_missing_values(
    table: ExportTable, matrix: ResponseMatrix, cri: Instrument, tmp_path: Path
):
    path = tmp_path / "w.dta"
    notes = write_export(table, path, "dta")
    df, meta = pyreadstat.read_dta(path, user_missing=True)
    item = cri.items[0]
    assert meta.variable_value_labels[item.id]["a"] == "Don't know"
    assert meta.variable_value_labels[item.id]["b"] == "No answer"
    assert meta.variable_value_labels[item.id][5] == "Strongly agree"
    assert meta.missing_user_values[item.id] == ["a", "b"]
    col = df[item.id].to_numpy()
    codes = matrix.codes[:, 0]
    assert (col[codes == 8] == "a").all()
    assert (col[codes == 9] == "b").all()
    valid = codes <= 5
    assert (col[valid].astype(int) == codes[valid]).all()
    assert df["sector"][1] == "b"
    # long statements: shortened to 80 characters with an ellipsis, and reported
    long = [i for i in cri.items if len(i.text.get()) > 80]
    assert long, "the CRI has statements longer than Stata's 80 characters"
    assert {n.variable for n in notes} == {i.id for i in long}
    written = meta.column_names_to_labels[long[0].id]
    assert len(written) == 80
    assert written.endswith("…")
    assert long[0].text.get().startswith(written[:-1])


def test_the_codebook_keeps_the_full_text_of_a_shortened_label(cri: Instrument):
    book = codebook(cri)
    long = next(i for i in cri.items if len(i.text.get()) > 80)
    entry = next(v for v in book["variables"] if v["name"] == long.id)
    assert entry["label"] == long.text.get()
    assert len(entry["stata_label"]) == 80


def test_welsh_labels(matrix: ResponseMatrix, cri: Instrument, tmp_path: Path):
    table = build_export(matrix, id_key=KEY, language="cy")
    path = tmp_path / "w.sav"
    write_export(table, path, "sav")
    _, meta = pyreadstat.read_sav(path, metadataonly=True)
    item = cri.items[0]
    assert meta.column_names_to_labels[item.id] == item.text.get("cy")
    assert meta.variable_value_labels[item.id][1] == "Anghytuno'n gryf"
    assert meta.variable_value_labels[item.id][8] == "Ddim yn gwybod"
    assert meta.variable_value_labels[item.id][9] == "Heb ateb"


def test_parquet_metadata_and_values(table: ExportTable, matrix: ResponseMatrix, tmp_path: Path):
    path = tmp_path / "w.parquet"
    write_export(table, path, "parquet", chunk_rows=64)  # several row groups
    meta = pq.read_schema(path).metadata
    assert meta[b"collabready.instrument_id"] == b"cri"
    assert meta[b"collabready.instrument_version"] == b"1.1.0"
    book = json.loads(meta[b"collabready.codebook"])
    assert [v["name"] for v in book["variables"]] == [v.name for v in table.variables]
    assert pq.ParquetFile(path).metadata.num_row_groups == 5
    back = pl.read_parquet(path)
    assert back.equals(table.frame(0, table.height))
    # the pseudonyms (nearly all distinct) are written without a dictionary, the codes with one
    group = pq.ParquetFile(path).metadata.row_group(0)
    encodings = {group.column(j).path_in_schema: group.column(j).encodings for j in range(3)}
    assert "RLE_DICTIONARY" not in encodings["respondent_id"]
    assert "RLE_DICTIONARY" not in encodings["organisation_id"]
    assert "RLE_DICTIONARY" in encodings["sector"]


def test_csv_and_xlsx_equal_the_source(table: ExportTable, tmp_path: Path):
    write_export(table, tmp_path / "w.csv", "csv", chunk_rows=100)
    source = table.frame(0, table.height)
    back = pl.read_csv(tmp_path / "w.csv", schema=source.schema)
    assert back.equals(source)
    write_export(table, tmp_path / "w.xlsx", "xlsx", chunk_rows=100)
    book = openpyxl.load_workbook(tmp_path / "w.xlsx", read_only=True)
    rows = list(book["responses"].iter_rows(values_only=True))
    assert list(rows[0]) == source.columns
    assert len(rows) == source.height + 1
    assert list(rows[5]) == list(source.row(4))
    assert [r[0] for r in book["variables"].iter_rows(values_only=True)][1:] == source.columns


@dataclass
class Texts:
    """A small table with a free-text column (as open answers will be)."""

    instrument: Instrument
    values: list[str]
    language: str = "en"

    @property
    def variables(self) -> tuple[Variable, ...]:
        return (Variable("answer", Kind.TEXT, "An open answer"),)

    @property
    def height(self) -> int:
        return len(self.values)

    def frame(self, start: int, stop: int) -> pl.DataFrame:
        return pl.DataFrame({"answer": self.values[start:stop]})


DANGEROUS = ["=1+1", "+SUM(A1)", "-2+3", "@cmd", "\tx", "\rx", "fine", "a=b", ""]


def test_formula_cells_are_neutralised_in_csv_and_xlsx(cri: Instrument, tmp_path: Path):
    table = Texts(cri, DANGEROUS)
    expected = ["'=1+1", "'+SUM(A1)", "'-2+3", "'@cmd", "'\tx", "'\rx", "fine", "a=b", ""]
    assert [neutralise(x) for x in DANGEROUS] == expected
    write_export(table, tmp_path / "t.csv", "csv")
    back = pl.read_csv(tmp_path / "t.csv", schema={"answer": pl.Utf8})["answer"].fill_null("")
    assert back.to_list() == expected
    write_export(table, tmp_path / "t.xlsx", "xlsx")
    sheet = openpyxl.load_workbook(tmp_path / "t.xlsx")["responses"]
    cells = [c.value for c in sheet["A"][1:]]
    # XML turns a lone carriage return into a line feed; the cell is neutralised all the same
    assert [c or "" for c in cells] == [x.replace("\r", "\n") for x in expected]
    assert all(c.data_type != "f" for c in sheet["A"])


@dataclass
class Failing(Texts):
    """A table whose third chunk cannot be built (chunks are built in a thread)."""

    def frame(self, start: int, stop: int) -> pl.DataFrame:
        if start >= 4:
            raise ExportError(f"row {start + 1}: cannot be exported")
        return super().frame(start, stop)


@pytest.mark.parametrize("fmt", ["parquet", "csv", "xlsx"])
def test_an_error_building_a_chunk_reaches_the_caller_and_leaves_nothing(
    cri: Instrument, tmp_path: Path, fmt: str
):
    with pytest.raises(ExportError, match="row 5: cannot be exported"):
        write_export(Failing(cri, ["a"] * 9), tmp_path / f"t.{fmt}", fmt, chunk_rows=2)
    assert list(tmp_path.iterdir()) == []


def test_label_fitting():
    assert fit_chars("x" * 80, 80) == "x" * 80
    assert fit_chars("word " * 30, 80).endswith("…")
    assert len(fit_chars("word " * 30, 80)) <= 80
    welsh = "ŵ" * 100  # two bytes each
    fitted = fit_bytes(welsh, 120)
    assert len(fitted.encode()) <= 120
    assert fitted.endswith("…")


def test_a_failed_write_leaves_nothing(table: ExportTable, tmp_path: Path):
    path = tmp_path / "w.sav"
    with pytest.raises(Exception, match="sav"):
        write_export(table, tmp_path / "w.dta", "sav")
    assert list(tmp_path.iterdir()) == []
    del path


def test_codebook_renders(cri: Instrument):
    md = render_codebook(cri, ".md")
    assert "| `cit_com_1` |" in md
    assert "99 = No answer" in md
    html = render_codebook(cri, ".html", language="cy")
    assert '<html lang="cy">' in html
    data = json.loads(render_codebook(cri, ".json"))
    assert data["instrument"] == {"id": "cri", "version": "1.1.0", "title": cri.title.get()}
    assert any("at least 4 of 6 blocks" in r for r in data["scoring_rules"])


#: Pseudonyms of fixed inputs, pinned as literals (computed with ``hmac.new`` when the
#: export was first written): a speed-up of the hashing must give these same bytes.
PINNED = [
    (
        b"k" * 32,
        "wave:pin",
        "respondent",
        [1, 42, 1_000_000, -3, 9_223_372_036_854_775_807],
        [
            "576bddbdf8e2511b",
            "f2aee24ecd8a5b54",
            "5c6736cc5452896b",
            "c716237dbc6d4134",
            "d7d8fc31b27a1c42",
        ],
    ),
    (
        b"k" * 32,
        "wave:pin",
        "organisation",
        [0, 7, 695_081],
        ["721ff4d1a7717fe4", "a920cc38acb7b110", "7523949bf002ee3f"],
    ),
    # a key longer than SHA-256's block (hashed first, RFC 2104), with bytes above 0x7f
    (bytes(range(100)), "", "respondent", [1, 2], ["9384761ae580a349", "5244e98f99e00438"]),
    (
        bytes(range(200, 256)) + b"\0" * 8,
        "wave:café",
        "organisation",
        [12345],
        ["8aec0713bcbb2ec4"],
    ),
]


@pytest.mark.parametrize(("key", "scope", "kind", "ids", "expected"), PINNED)
def test_pseudonyms_are_pinned(
    key: bytes, scope: str, kind: str, ids: list[int], expected: list[str]
):
    assert pseudonyms(key, scope, kind, ids) == expected
    assert pseudonyms(key, scope, kind, np.array(ids, dtype=np.int64)) == expected
    reference = [
        hmac.new(key, f"{scope}|{kind}|{i}".encode(), hashlib.sha256).hexdigest()[:16] for i in ids
    ]
    assert reference == expected


def test_the_pseudonyms_do_not_depend_on_the_sha256_implementation(
    monkeypatch: pytest.MonkeyPatch,
):
    from collabready.formats import pseudonyms as module

    # the default is CPython's own SHA-256 where it is built (its state copies cheaply);
    # OpenSSL's, through hashlib, must give the same pseudonyms
    monkeypatch.setattr(module, "_state_sha256", lambda: hashlib.sha256)
    for key, scope, kind, ids, expected in PINNED:
        assert pseudonyms(key, scope, kind, ids) == expected


def test_the_export_frame_carries_the_pinned_pseudonyms(cri: Instrument):
    responses = generate_wave(respondents=6, seed=5, instrument=cri).responses.with_columns(
        pl.Series("respondent_id", [1, 42, 1_000_000, 5, 6, 7]),
        pl.Series("organisation_id", [0, 7, 695_081, 7, None, 0]),
    )
    exported = build_export(from_frame(responses, cri), id_key=b"k" * 32, scope="wave:pin")
    frame = pl.concat([exported.frame(0, 4), exported.frame(4, 6)])
    assert frame["respondent_id"].to_list()[:3] == PINNED[0][4][:3]
    org = PINNED[1][4]
    assert frame["organisation_id"].to_list() == [org[0], org[1], org[2], org[1], None, org[0]]
    # organisations are hashed once and kept: the chunks asked for in another order agree
    again = build_export(from_frame(responses, cri), id_key=b"k" * 32, scope="wave:pin")
    backwards = pl.concat([again.frame(3, 6), again.frame(0, 3)])
    assert backwards.equals(pl.concat([frame[3:], frame[:3]]))
