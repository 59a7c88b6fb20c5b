"""Write an export as SPSS ``.sav``, Stata ``.dta``, Parquet, CSV or XLSX.

Every writer writes to a hidden ``.NAME.partial`` file next to the output and
renames it into place only when it is complete, so a failed export leaves
nothing half-written.

- **SPSS and Stata** (pyreadstat): variable labels from the statements, value
  labels on every coded column, don't know / no answer declared missing
  (SPSS user-missing values; Stata ``.a`` / ``.b``). Labels longer than the
  format allows are shortened by :mod:`.labels` and returned as
  :class:`~collabready.formats.labels.Shortened` records. pyreadstat has no
  chunked writer (``write_sav`` and ``write_dta`` take the whole frame and
  need the row count first), so these two hold the whole table in memory.
- **Parquet** (pyarrow): written a row group per chunk; the schema's
  key-value metadata holds the instrument id and version and the codebook
  as JSON (Parquet has no value labels).
- **CSV and XLSX**: written a chunk at a time (XLSX through openpyxl's
  write-only mode); every text cell that a spreadsheet would run as a formula
  is neutralised (:func:`~collabready.formats.labels.neutralise`).
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import Any, Final, TypeVar

import polars as pl

from collabready.errors import InputFileError
from collabready.formats.codebook import Kind, Variable, codebook
from collabready.formats.export import ExportError, ExportSource
from collabready.formats.labels import (
    FORMULA_STARTS,
    SPSS_VALUE_LABEL_BYTES,
    SPSS_VARIABLE_LABEL_BYTES,
    STATA_STRING_BYTES,
    STATA_VARIABLE_LABEL_CHARS,
    Shortened,
    fit_bytes,
    fit_chars,
    neutralise,
)

__all__ = ["CHUNK_ROWS", "FORMATS", "check_export_output", "write_export"]

FORMATS: Final = ("sav", "dta", "parquet", "csv", "xlsx")
CHUNK_ROWS: Final = 50_000
#: XLSX: rows per sheet (with the header) and characters per cell
XLSX_MAX_ROWS: Final = 1_048_576
XLSX_MAX_CELL: Final = 32_767
_ID_COLUMNS: Final = frozenset({"respondent_id", "organisation_id"})

Progress = Callable[[int], None]
T = TypeVar("T")


def check_export_output(path: Path, fmt: str) -> None:
    """Check, before any work is done, that an export can be written to ``path``."""
    if fmt not in FORMATS:
        raise InputFileError(f"--format {fmt}: unknown format; use one of {', '.join(FORMATS)}")
    if path.suffix.lower() != f".{fmt}":
        raise InputFileError(f"{path}: --format {fmt} writes a .{fmt} file; name it so")
    if not path.parent.exists():
        raise InputFileError(f"{path.parent}: no such directory")
    if path.is_dir():
        raise InputFileError(f"{path}: is a directory, not a file")


def _frame(chunk: pl.DataFrame) -> pl.DataFrame:
    return chunk


def _chunks(table: ExportSource, rows: int, make: Callable[[pl.DataFrame], T]) -> Iterator[T]:
    """The table's rows a chunk at a time, each passed through ``make``.

    The next chunk is built in a thread while the caller writes the current one:
    building a chunk (the pseudonyms' hashing, in Python) then overlaps with the
    writing, which pyarrow and polars do in native code without holding the GIL.
    At most three chunks are in memory at once.
    """

    def build(start: int) -> T:
        return make(table.frame(start, min(start + rows, table.height)))

    starts = range(0, table.height, rows)
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="export-chunks") as pool:
        ahead: Future[T] | None = None
        for start in starts:
            following = pool.submit(build, start)
            if ahead is not None:
                yield ahead.result()
            ahead = following
        if ahead is not None:
            yield ahead.result()


def _neutralised(frame: pl.DataFrame) -> pl.DataFrame:
    pattern = "^[" + "".join("\\" + c if c in "-+" else c for c in FORMULA_STARTS) + "]"
    text = [c for c, t in frame.schema.items() if t == pl.Utf8]
    return frame.with_columns(
        pl.when(pl.col(c).str.contains(pattern))
        .then(pl.concat_str(pl.lit("'"), pl.col(c)))
        .otherwise(pl.col(c))
        .alias(c)
        for c in text
    )


def _shorten_labels(table: ExportSource, fmt: str) -> list[Shortened]:
    notes = []
    for v in table.variables:
        written = v.stata_label if fmt == "dta" else v.spss_label
        if written != v.label:
            notes.append(Shortened(fmt, v.name, "variable label", v.label, written))
        if fmt == "sav":
            for code, short in v.spss_value_labels.items():
                if short != v.value_labels[code]:
                    notes.append(
                        Shortened(fmt, v.name, f"value label {code}", v.value_labels[code], short)
                    )
    return notes


def _file_label(table: ExportSource, limit: int) -> str:
    inst = table.instrument
    return fit_chars(f"{inst.title.get()} {inst.key}", limit)


def _numeric(labels: dict[int, str]) -> dict[int | float, str]:
    return dict(labels.items())


def _tagged(v: Variable) -> dict[Any, str]:
    return {**dict(v.values), **{m.stata: m.label for m in v.missing}}


def _write_sav(table: ExportSource, tmp: Path) -> None:
    import pyreadstat

    # the polars frame itself: pyreadstat walks its rows a quarter faster than a pandas
    # copy's. Whole numbers with nulls go as floats, as a pandas copy would hold them
    # (the same file), and a float NaN as the null it stands for.
    frame = table.frame(0, table.height)
    frame = frame.with_columns(
        pl.col(name).cast(pl.Float64).fill_nan(None)
        for name, dtype in frame.schema.items()
        if dtype.is_float() or (dtype.is_integer() and frame.get_column(name).has_nulls())
    )
    coded = [v for v in table.variables if v.coded]
    pyreadstat.write_sav(
        frame,
        tmp,
        file_label=fit_bytes(_file_label(table, 64), 64),
        column_labels={v.name: v.spss_label for v in table.variables},
        variable_value_labels={v.name: _numeric(v.spss_value_labels) for v in coded},
        missing_ranges={v.name: [m.code for m in v.missing] for v in coded if v.missing},
        variable_measure={v.name: v.measure for v in table.variables},
    )


def _fit_stata_text(series: pl.Series, v: Variable) -> tuple[pl.Series, list[Shortened]]:
    """An open-answer column with every text fitted to Stata's string limit, and a note
    for each shortened text (never cut silently)."""
    texts = series.to_list()
    notes: list[Shortened] = []
    for row, text in enumerate(texts):
        if text is not None and len(text.encode("utf-8")) > STATA_STRING_BYTES:
            short = fit_bytes(text, STATA_STRING_BYTES)
            notes.append(Shortened("dta", v.name, f"text of row {row + 1}", text, short))
            texts[row] = short
    return pl.Series(v.name, texts, dtype=pl.Utf8), notes


def _write_dta(table: ExportSource, tmp: Path) -> list[Shortened]:
    import numpy as np
    import pyreadstat

    frame = table.frame(0, table.height)
    columns: dict[str, Any] = {}
    notes: list[Shortened] = []
    for v in table.variables:
        series = frame.get_column(v.name)
        if v.kind is Kind.OPEN:
            series, shortened = _fit_stata_text(series, v)
            notes += shortened
        if not v.coded:
            columns[v.name] = series.to_pandas()
            continue
        if not series.dtype.is_integer():
            # Stata attaches value labels to integer variables only
            raise ExportError(f"{v.name}: a labelled column must hold whole numbers for Stata")
        values = series.to_numpy().astype(object)
        values[series.is_null().to_numpy()] = None
        for m in v.missing:
            values[(series == m.code).fill_null(False).to_numpy()] = m.stata
        columns[v.name] = values
    import pandas as pd

    df = pd.DataFrame(
        {
            k: pd.Series(v, dtype=object) if isinstance(v, np.ndarray) else v
            for k, v in columns.items()
        }
    )
    coded = [v for v in table.variables if v.coded]
    pyreadstat.write_dta(
        df,
        tmp,
        file_label=_file_label(table, STATA_VARIABLE_LABEL_CHARS),
        column_labels={v.name: v.stata_label for v in table.variables},
        # a tagged missing value is labelled by its letter (pyreadstat's convention)
        variable_value_labels={v.name: _tagged(v) for v in coded},
        missing_user_values={v.name: [m.stata for m in v.missing] for v in coded if v.missing},
    )
    return notes


def _parquet_metadata(table: ExportSource) -> dict[bytes, bytes]:
    inst = table.instrument
    book = codebook(inst, language=table.language)
    names = {v.name for v in table.variables}
    book["variables"] = [v for v in book["variables"] if v["name"] in names]
    return {
        b"collabready.instrument_id": inst.id.encode(),
        b"collabready.instrument_version": inst.version.encode(),
        b"collabready.codebook": json.dumps(book, ensure_ascii=False).encode(),
    }


def _write_parquet(table: ExportSource, tmp: Path, rows: int, progress: Progress) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    writer: pq.ParquetWriter | None = None
    schema: pa.Schema | None = None

    def to_arrow(chunk: pl.DataFrame) -> pa.Table:
        return chunk.to_arrow(compat_level=pl.CompatLevel.oldest())

    try:
        for arrow in _chunks(table, rows, to_arrow):
            if schema is None:
                schema = arrow.schema.with_metadata(_parquet_metadata(table))
                # the pseudonyms are all distinct (respondents) or nearly so: a dictionary
                # would only be built and thrown away; the coded columns keep theirs
                coded = [name for name in schema.names if name not in _ID_COLUMNS]
                writer = pq.ParquetWriter(tmp, schema, compression="zstd", use_dictionary=coded)
            assert writer is not None
            writer.write_table(arrow.cast(schema))
            progress(arrow.num_rows)
    finally:
        if writer is not None:
            writer.close()


def _write_csv(table: ExportSource, tmp: Path, rows: int, progress: Progress) -> None:
    with tmp.open("wb") as handle:
        for n, chunk in enumerate(_chunks(table, rows, _frame)):
            _neutralised(chunk).write_csv(handle, include_header=n == 0)
            progress(chunk.height)


def _write_xlsx(table: ExportSource, tmp: Path, rows: int, progress: Progress) -> None:
    from openpyxl import Workbook

    if table.height + 1 > XLSX_MAX_ROWS:
        raise ExportError(
            f"{table.height:,} responses do not fit an XLSX sheet "
            f"({XLSX_MAX_ROWS - 1:,} rows at most); export as Parquet, CSV, SPSS or Stata"
        )
    book = Workbook(write_only=True)
    sheet = book.create_sheet("responses")
    sheet.append([v.name for v in table.variables])
    done = 0
    try:
        for chunk in _chunks(table, rows, _frame):
            for offset, row in enumerate(_neutralised(chunk).iter_rows()):
                for name, cell in zip(chunk.columns, row, strict=True):
                    if isinstance(cell, str) and len(cell) > XLSX_MAX_CELL:
                        raise ExportError(
                            f"row {done + offset + 1}, column {name}: {len(cell):,} characters "
                            f"do not fit an XLSX cell ({XLSX_MAX_CELL:,} at most)"
                        )
                sheet.append(row)
            done += chunk.height
            progress(chunk.height)
    except BaseException:
        # end the sheet's stream (its temporary file), or openpyxl complains when it is collected
        with contextlib.suppress(Exception):
            sheet.close()
        raise
    labels = book.create_sheet("variables")
    labels.append(["variable", "label", "values", "missing"])
    for v in table.variables:
        labels.append(
            [
                v.name,
                neutralise(v.label),
                "; ".join(f"{c} = {lab}" for c, lab in v.values),
                "; ".join(f"{m.code} = {m.label}" for m in v.missing),
            ]
        )
    book.save(tmp)


def write_export(
    table: ExportSource,
    path: Path,
    fmt: str,
    *,
    chunk_rows: int = CHUNK_ROWS,
    progress: Progress | None = None,
) -> list[Shortened]:
    """Write ``table`` to ``path`` as ``fmt``; returns the labels that had to be shortened."""
    check_export_output(path, fmt)
    step: Progress = progress or (lambda _rows: None)
    tmp = path.with_name(f".{path.name}.partial")
    notes: list[Shortened] = []
    try:
        if fmt == "sav":
            notes = _shorten_labels(table, "sav")
            _write_sav(table, tmp)
            step(table.height)
        elif fmt == "dta":
            notes = _shorten_labels(table, "dta")
            notes += _write_dta(table, tmp)
            step(table.height)
        elif fmt == "parquet":
            _write_parquet(table, tmp, chunk_rows, step)
        elif fmt == "csv":
            _write_csv(table, tmp, chunk_rows, step)
        else:
            _write_xlsx(table, tmp, chunk_rows, step)
        tmp.replace(path)
    finally:
        tmp.unlink(missing_ok=True)
    return notes


#: the limits, for messages
LIMITS: Final = {
    "dta": f"Stata variable labels hold {STATA_VARIABLE_LABEL_CHARS} characters",
    "sav": (
        f"SPSS variable labels hold {SPSS_VARIABLE_LABEL_BYTES} bytes and value labels "
        f"{SPSS_VALUE_LABEL_BYTES} bytes"
    ),
}
