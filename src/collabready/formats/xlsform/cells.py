"""Cells and sheets of an XLSForm workbook: reading them, and naming where a value is.

A :class:`Cell` prints as ``survey row 31, column D (label::Welsh (cy))``, the
way every XLSForm problem is located. :func:`load_sheets` reads every sheet of
a workbook with its headers parsed (``label::Welsh (cy)`` is column ``label``
in language ``cy``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

from collabready.formats.xlsform import layout
from collabready.instrument import InstrumentError, InstrumentNotFoundError

_SHEET_ORDER: Final = (
    layout.SETTINGS,
    layout.SURVEY,
    layout.CHOICES,
    layout.CRI,
    layout.CRI_ACTIONS,
    layout.CRI_LEVELS,
)
_INT_RE: Final = re.compile(r"^\s*[+-]?\d+\s*$")
_NUMBER_RE: Final = re.compile(r"^\s*[+-]?(\d+(\.\d*)?|\.\d+)\s*$")


def column_letter(index: int) -> str:
    letters = ""
    while index > 0:
        index, rem = divmod(index - 1, 26)
        letters = chr(65 + rem) + letters
    return letters


@dataclass(frozen=True, slots=True)
class Cell:
    """Where a value is: a sheet, a row (1 = the header row) and a column (1 = A).

    ``row`` is ``None`` for the whole sheet; ``column`` is ``None`` for a whole
    row, or for a column the sheet lacks (``header`` then names it).
    """

    sheet: str
    row: int | None = None
    column: int | None = None
    header: str | None = None

    def __str__(self) -> str:
        if self.row is None:
            return f"sheet {self.sheet}" + (f" ({self.header})" if self.header else "")
        where = f"{self.sheet} row {self.row}"
        if self.column is not None:
            where += f", column {column_letter(self.column)}"
            if self.header:
                where += f" ({self.header})"
        elif self.header:
            where += f", column {self.header} (no such column on the sheet)"
        return where

    @property
    def order(self) -> tuple[int, int, int]:
        sheet = _SHEET_ORDER.index(self.sheet) if self.sheet in _SHEET_ORDER else len(_SHEET_ORDER)
        return (sheet, self.row or 0, self.column or 0)


@dataclass(slots=True)
class Sheet:
    name: str
    headers: list[str]
    rows: list[tuple[int, tuple[Any, ...]]]
    plain: dict[str, int] = field(default_factory=dict)
    translated: dict[tuple[str, str], int] = field(default_factory=dict)

    def languages(self, base: str) -> list[str]:
        return [lang for (b, lang) in self.translated if b == base]

    def value(self, values: tuple[Any, ...], base: str, lang: str | None = None) -> Any:
        index = self.plain.get(base) if lang is None else self.translated.get((base, lang))
        if index is None or index >= len(values):
            return None
        return values[index]

    def cell(self, row: int, base: str, lang: str | None = None) -> Cell:
        index = self.plain.get(base) if lang is None else self.translated.get((base, lang))
        header = base if lang is None else layout.translated(base, lang)
        if index is None:
            return Cell(self.name, row, None, header)
        return Cell(self.name, row, index + 1, self.headers[index])


def cell_str(value: Any) -> str:
    """A cell as text: ``""`` for empty; whole numbers without ``.0``."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def cell_int(value: Any) -> Any:
    """A whole number from a cell, or the value unchanged (the schema then names its type)."""
    if isinstance(value, bool):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str) and _INT_RE.match(value):
        return int(value)
    return value


def cell_number(value: Any) -> Any:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and _NUMBER_RE.match(value):
        value = float(value)
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def load_sheets(path: Path) -> tuple[dict[str, Sheet], list[tuple[Cell, str]]]:
    from openpyxl import load_workbook

    name = path.name
    if path.suffix.lower() not in (".xlsx", ".xlsm"):
        raise InstrumentError(
            name, [f"unsupported file type {path.suffix!r}: an XLSForm is read from .xlsx"]
        )
    if not path.is_file():
        raise InstrumentNotFoundError(name, [f"no such file: {path}"])
    try:
        book = load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds for a bad file
        raise InstrumentError(
            name, [f"cannot be read as an .xlsx workbook ({type(exc).__name__}: {exc})"]
        ) from None
    sheets: dict[str, Sheet] = {}
    problems: list[tuple[Cell, str]] = []
    try:
        for ws in book.worksheets:
            rows = list(ws.iter_rows(values_only=True))
            headers = [cell_str(v).strip() for v in rows[0]] if rows else []
            sheet = Sheet(ws.title, headers, [])
            for i, header in enumerate(headers):
                if not header:
                    continue
                try:
                    parsed = layout.parse_header(header)
                except layout.HeaderError as exc:
                    problems.append((Cell(ws.title, 1, i + 1, header), str(exc)))
                    continue
                key: Any = (
                    parsed.base if parsed.language is None else (parsed.base, parsed.language)
                )
                index = sheet.plain if parsed.language is None else sheet.translated
                if key in index:
                    first = column_letter(index[key] + 1)
                    problems.append(
                        (
                            Cell(ws.title, 1, i + 1, header),
                            f"a second {header!r} column (first in column {first})",
                        )
                    )
                    continue
                index[key] = i
            for number, values in enumerate(rows[1:], start=2):
                if any(cell_str(v).strip() for v in values):
                    sheet.rows.append((number, tuple(values)))
            sheets[ws.title] = sheet
    finally:
        book.close()
    return sheets, problems
