"""Checking a file of responses from another survey tool and turning it into answer codes.

:func:`plan_import` reads a CSV or XLSX file, applies an
:class:`~collabready.formats.imports.mapping.ImportMapping` and returns an
:class:`ImportPlan`: the codes of every row, in the layout responses are stored
in (one int8 per item in ``Instrument.item_ids`` order, one per profile
question), ready for the web layer to write in one transaction. Nothing here
writes anything. Every problem is collected, each with its row (as a
spreadsheet numbers it: the header is row 1) and column; any problem means
:class:`ResponseImportError` and no plan, so an import is all or nothing.
"""

from __future__ import annotations

import csv
import hashlib
import io
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Final

import numpy as np
from numpy.typing import NDArray

from collabready.analysis.codec import PROFILE_MISSING
from collabready.errors import InputFileError
from collabready.formats.imports.mapping import ImportMapping, Target, TargetKind, normalise
from collabready.instrument import MISSING, Instrument

#: At most this many rows in one file.
MAX_ROWS: Final = 1_000_000
SUFFIXES: Final = (".csv", ".xlsx")


class ResponseImportError(InputFileError):
    """A file of responses that cannot be imported; ``problems`` lists every problem."""

    def __init__(self, file: str, problems: list[str]) -> None:
        self.file = file
        self.problems = tuple(problems)
        n = len(problems)
        head = f"{file}: {n} problem{'s' if n != 1 else ''}; nothing was imported"
        super().__init__("\n".join([head, *problems]))


@dataclass(frozen=True, slots=True)
class SourceTable:
    """A source file's header and non-blank rows (row numbers as a spreadsheet shows them)."""

    header: tuple[str, ...]
    rows: tuple[tuple[int, tuple[str, ...]], ...]


@dataclass(frozen=True, slots=True)
class ImportPlan:
    """What an import would write: one row per response, as stored codes."""

    instrument_key: str
    file_name: str
    sha256: str
    source_rows: tuple[int, ...]
    #: (responses x items) int8 codes, ``MISSING`` where not answered
    answers: NDArray[np.int8]
    #: (responses x profile questions) int8 choice codes, ``PROFILE_MISSING`` where not answered
    profile: NDArray[np.int8]
    open_answers: tuple[dict[str, str], ...]
    organisations: tuple[str, ...]
    #: (source column, target id, target kind), in mapping order
    mapped_columns: tuple[tuple[str, str, TargetKind], ...]
    ignored_columns: tuple[str, ...]

    @property
    def n(self) -> int:
        return len(self.source_rows)

    def summary(self) -> list[str]:
        """What the plan holds, in a few lines (for a dry run and the back office)."""
        kinds = {kind: sum(1 for *_, k in self.mapped_columns if k == kind) for kind in TargetKind}
        lines = [
            f"{self.n:,} responses from {self.file_name} (SHA-256 {self.sha256[:16]}…), "
            f"for {self.instrument_key}",
            f"{len(self.mapped_columns)} columns mapped: {kinds[TargetKind.ITEM]} rated items, "
            f"{kinds[TargetKind.PROFILE]} profile questions, "
            f"{kinds[TargetKind.OPEN]} open questions",
        ]
        if self.answers.size:
            answered = int((self.answers != MISSING).sum())
            lines.append(
                f"{answered:,} of {self.answers.size:,} rated answers given "
                f"({answered / self.answers.size:.0%}), the rest no answer"
            )
        known = sum(1 for o in self.organisations if o)
        lines.append(f"{known:,} of {self.n:,} responses name their organisation")
        if self.ignored_columns:
            lines.append(f"columns not imported: {', '.join(self.ignored_columns)}")
        return lines


def file_sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime | date):
        return value.isoformat()
    return str(value).strip()


def read_source(data: bytes, *, file_name: str, sheet: str | None = None) -> SourceTable:
    """The header and rows of a CSV (UTF-8) or XLSX file; raise naming what is wrong."""
    suffix = file_name.rsplit(".", 1)[-1].lower() if "." in file_name else ""
    if f".{suffix}" not in SUFFIXES:
        raise ResponseImportError(
            file_name, [f"unsupported file type: use {' or '.join(SUFFIXES)}"]
        )
    if suffix == "csv":
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            line = data[: exc.start].count(b"\n") + 1
            raise ResponseImportError(
                file_name, [f"row {line}: not UTF-8 text; save the file as 'CSV UTF-8'"]
            ) from None
        raw_rows: list[list[Any]] = list(csv.reader(io.StringIO(text, newline="")))
        numbered = list(enumerate(raw_rows, start=1))
    else:
        numbered = _xlsx_rows(data, file_name=file_name, sheet=sheet)
    if not numbered:
        raise ResponseImportError(file_name, ["the file is empty: it needs a header row"])
    header = tuple(_cell(v) for v in numbered[0][1])
    rows: list[tuple[int, tuple[str, ...]]] = []
    for number, values in numbered[1:]:
        cells = tuple(_cell(v) for v in values)
        if any(cells):
            rows.append((number, cells))
    if len(rows) > MAX_ROWS:
        raise ResponseImportError(
            file_name, [f"{len(rows):,} rows: at most {MAX_ROWS:,} in one file; split it"]
        )
    return SourceTable(header=header, rows=tuple(rows))


def _xlsx_rows(data: bytes, *, file_name: str, sheet: str | None) -> list[tuple[int, list[Any]]]:
    from openpyxl import load_workbook

    try:
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds for a damaged file
        raise ResponseImportError(
            file_name, [f"cannot be read as an .xlsx workbook ({type(exc).__name__})"]
        ) from None
    try:
        if sheet is not None and sheet not in book.sheetnames:
            raise ResponseImportError(
                file_name,
                [f"no sheet {sheet!r} (sheets: {', '.join(book.sheetnames)})"],
            )
        ws = book[sheet] if sheet is not None else book.worksheets[0]
        return [(i, list(r)) for i, r in enumerate(ws.iter_rows(values_only=True), start=1)]
    finally:
        book.close()


class _Values:
    """Source value -> code, per scale and profile question: codes, labels, then the mapping."""

    def __init__(self, instrument: Instrument, mapping: ImportMapping) -> None:
        self.tables: dict[str, dict[str, int | None]] = {}
        for scale in instrument.scales:
            options = [*scale.options, *([scale.dont_know] if scale.dont_know else [])]
            table: dict[str, int | None] = {}
            for o in options:
                table[str(o.code)] = o.code
                for label in o.label.by_language.values():
                    table.setdefault(normalise(label), o.code)
            self.tables[scale.id] = table
        for q in instrument.profile:
            table = {}
            for c in q.choices:
                table[str(c.code)] = c.code
                table[normalise(c.value)] = c.code
                for label in c.label.by_language.values():
                    table.setdefault(normalise(label), c.code)
            self.tables[q.id] = table
        for domain, extra in mapping.values.items():
            self.tables[domain] = {**self.tables[domain], **extra}

    def code(self, target: Target, value: str) -> tuple[bool, int | None]:
        table = self.tables[target.domain]
        key = normalise(value)
        if key in table:
            return True, table[key]
        return False, None


def plan_import(
    *, instrument: Instrument, mapping: ImportMapping, data: bytes, file_name: str
) -> ImportPlan:
    """Check every row of the file and return its codes; raise listing every problem."""
    table = read_source(data, file_name=file_name, sheet=mapping.sheet)
    problems: list[str] = []
    position = {name: j for j, name in enumerate(table.header) if name}
    for j, name in enumerate(table.header):
        if name and position[name] != j:
            problems.append(f"row 1, column {name}: the header names this column twice")
    wanted = [*mapping.columns, *([mapping.organisation] if mapping.organisation else [])]
    for name in wanted:
        if name not in position:
            problems.append(
                f"row 1: no column {name!r}, which the mapping names "
                f"(the file's columns: {', '.join(h for h in table.header if h)})"
            )
    if problems:
        raise ResponseImportError(file_name, problems)
    if not table.rows:
        raise ResponseImportError(file_name, ["the file has a header but no responses"])
    values = _Values(instrument, mapping)
    item_pos = {item_id: j for j, item_id in enumerate(instrument.item_ids)}
    profile_pos = {q.id: j for j, q in enumerate(instrument.profile)}
    max_length = {oq.id: oq.max_length for oq in instrument.open_questions}
    n = len(table.rows)
    answers = np.full((n, len(item_pos)), MISSING, dtype=np.int8)
    profile = np.full((n, len(profile_pos)), PROFILE_MISSING, dtype=np.int8)
    open_answers: list[dict[str, str]] = []
    organisations: list[str] = []
    columns = [(position[name], name, target) for name, target in mapping.columns.items()]
    width = len(table.header)
    bad_values = False
    for i, (row, cells) in enumerate(table.rows):
        if len(cells) > width and any(cells[width:]):
            problems.append(f"row {row}: more values than there are columns in the header")
        opens: dict[str, str] = {}
        answered = False
        for j, name, target in columns:
            value = cells[j] if j < len(cells) else ""
            if not value:
                continue
            if target.kind is TargetKind.OPEN:
                if len(value) > max_length[target.id]:
                    problems.append(
                        f"row {row}, column {name}: the answer has {len(value):,} characters; "
                        f"{target.id} takes at most {max_length[target.id]:,}"
                    )
                opens[target.id] = value
                answered = True
                continue
            known, code = values.code(target, value)
            if not known:
                what = "scale" if target.kind is TargetKind.ITEM else "profile question"
                problems.append(
                    f"row {row}, column {name}: {value!r} is not a value of {what} {target.domain}"
                )
                bad_values = True
                continue
            if code is None:
                continue
            answered = True
            if target.kind is TargetKind.ITEM:
                answers[i, item_pos[target.id]] = code
            else:
                profile[i, profile_pos[target.id]] = code
        if not answered:
            problems.append(f"row {row}: none of the mapped columns holds an answer")
        org = ""
        if mapping.organisation is not None:
            j = position[mapping.organisation]
            org = cells[j] if j < len(cells) else ""
        open_answers.append(opens)
        organisations.append(org)
    if problems:
        if bad_values:
            problems.append(
                "to accept a value the instrument does not know, map it to a code under "
                "values: in the mapping file (see docs/imports.md)"
            )
        raise ResponseImportError(file_name, problems)
    mapped = set(mapping.columns) | ({mapping.organisation} if mapping.organisation else set())
    return ImportPlan(
        instrument_key=instrument.key,
        file_name=file_name,
        sha256=file_sha256(data),
        source_rows=tuple(r for r, _ in table.rows),
        answers=answers,
        profile=profile,
        open_answers=tuple(open_answers),
        organisations=tuple(organisations),
        mapped_columns=tuple((name, t.id, t.kind) for name, t in mapping.columns.items()),
        ignored_columns=tuple(h for h in table.header if h and h not in mapped),
    )
