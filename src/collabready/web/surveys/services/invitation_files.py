"""Reading an invitation list: CSV (comma or semicolon; UTF-8 or Windows-1252) or .xlsx.

:func:`table_read` turns the uploaded bytes into a header and rows of text,
naming what it read ("CSV, semicolon-separated, Windows-1252"); every problem
names the row (as a spreadsheet numbers it) and the column. Profile values are
matched by :func:`choice_match` as a choice's key, code or label (English or
Welsh), ignoring case and spacing.
"""

from __future__ import annotations

import csv
import difflib
import io
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass

from collabready.instrument import ProfileQuestion
from collabready.web.surveys.errors import InvitationImportError

#: A cell longer than this is refused (the csv module's own limit is 131,072).
MAX_CELL_CHARS = 10_000
MAX_ROWS = 100_000
_XLSX_MAGIC = b"PK\x03\x04"


@dataclass(frozen=True, slots=True)
class Table:
    """An invitation list as read: lower-cased header, rows numbered from 2."""

    header: tuple[str, ...]
    rows: tuple[tuple[int, dict[str, str]], ...]
    described: str


def table_read(data: bytes, *, filename: str = "") -> Table:
    """Read an uploaded list; raises :class:`InvitationImportError` naming what is wrong."""
    if data.startswith(_XLSX_MAGIC) or filename.lower().endswith(".xlsx"):
        return _read_xlsx(data)
    if filename.lower().endswith(".xls") or data.startswith(b"\xd0\xcf\x11\xe0"):
        raise InvitationImportError(
            ["the file is an old Excel .xls workbook: save it as .xlsx or CSV and try again"]
        )
    return _read_csv(data)


def _decode(data: bytes) -> tuple[str, str]:
    try:
        return data.decode("utf-8-sig"), "UTF-8"
    except UnicodeDecodeError as utf8_error:
        try:
            return data.decode("cp1252"), "Windows-1252"
        except UnicodeDecodeError:
            raise InvitationImportError(
                [
                    f"the file is neither UTF-8 nor Windows-1252 text (byte "
                    f"{utf8_error.start + 1}): save it as 'CSV UTF-8' or .xlsx and try again"
                ]
            ) from utf8_error


def _read_csv(data: bytes) -> Table:
    text, encoding = _decode(data)
    first_line = text.split("\n", 1)[0]
    delimiter = ";" if first_line.count(";") > first_line.count(",") else ","
    if first_line.count("\t") > max(first_line.count(";"), first_line.count(",")):
        delimiter = "\t"
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    problems: list[str] = []
    header: list[str] = []
    rows: list[tuple[int, dict[str, str]]] = []
    line = 0
    try:
        for line, cells in enumerate(reader, start=1):
            if line == 1:
                header = [h.strip().lower() for h in cells]
                continue
            _add_row(line, cells, header, rows, problems)
            if len(problems) >= 200 or line - 1 > MAX_ROWS:
                break
    except csv.Error as exc:
        # e.g. "field larger than field limit (131072)": a stray quote runs to the end
        problems.append(
            f"row {line + 1}: the file cannot be read as CSV ({exc}); check for an unclosed "
            "quotation mark"
        )
    if line - 1 > MAX_ROWS:
        problems.append(f"the file has more than {MAX_ROWS} rows: split it into smaller files")
    if problems:
        raise InvitationImportError(problems)
    names = {",": "comma", ";": "semicolon", "\t": "tab"}
    return Table(tuple(header), tuple(rows), f"CSV, {names[delimiter]}-separated, {encoding}")


def _add_row(
    number: int,
    cells: list[str],
    header: list[str],
    rows: list[tuple[int, dict[str, str]]],
    problems: list[str],
) -> None:
    if len(cells) > len(header) and any(c.strip() for c in cells[len(header) :]):
        problems.append(f"row {number}: more values than there are columns in the header")
        return
    values = {h: (cells[j].strip() if j < len(cells) else "") for j, h in enumerate(header) if h}
    if not any(values.values()):
        return  # blank line
    for column, value in values.items():
        if len(value) > MAX_CELL_CHARS:
            problems.append(
                f"row {number}, column {column}: longer than {MAX_CELL_CHARS:,} characters"
            )
            return
    rows.append((number, values))


def _read_xlsx(data: bytes) -> Table:
    import openpyxl

    try:
        book = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, ValueError, OSError) as exc:
        raise InvitationImportError(
            [f"the file is not a readable .xlsx workbook ({exc}): save it again from Excel"]
        ) from exc
    try:
        sheet = book.worksheets[0]
        problems: list[str] = []
        header: list[str] = []
        rows: list[tuple[int, dict[str, str]]] = []
        for number, cells in enumerate(_xlsx_rows(sheet), start=1):
            if number == 1:
                header = [h.strip().lower() for h in cells]
                continue
            _add_row(number, cells, header, rows, problems)
            if len(problems) >= 200 or number - 1 > MAX_ROWS:
                break
    finally:
        book.close()
    if problems:
        raise InvitationImportError(problems)
    return Table(tuple(header), tuple(rows), f".xlsx workbook (sheet {sheet.title!r})")


def _xlsx_rows(sheet: object) -> Iterator[list[str]]:
    for row in sheet.iter_rows(values_only=True):  # type: ignore[attr-defined]
        out = []
        for value in row:
            if value is None:
                out.append("")
            elif isinstance(value, float) and value.is_integer():
                out.append(str(int(value)))
            else:
                out.append(str(value))
        yield out


def _fold(text: str) -> str:
    return " ".join(text.split()).casefold()


def choice_match(question: ProfileQuestion, value: str) -> str | None:
    """The key of the choice ``value`` names (its key, code or label), else ``None``."""
    wanted = _fold(value)
    for choice in question.choices:
        names = {choice.value, str(choice.code), *choice.label.by_language.values()}
        if wanted in {_fold(n) for n in names}:
            return choice.value
    return None


def accepted_values(question: ProfileQuestion) -> list[tuple[str, int, str]]:
    """(key, code, English label) of each choice: what the upload page lists."""
    return [(c.value, c.code, c.label.get("en")) for c in question.choices]


def close_column(column: str, known: tuple[str, ...]) -> str | None:
    """The known column ``column`` is probably a typo of, if any."""
    match = difflib.get_close_matches(column, known, n=1, cutoff=0.75)
    return match[0] if match else None
