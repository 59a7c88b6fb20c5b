"""Importing an invitation list: every row checked, all imported or none.

Reading the file (CSV or .xlsx) is :mod:`.invitation_files`; this module checks
the rows against the wave (columns, e-mail addresses, profile values matched as
keys, codes or labels, people already invited) and creates the invitations and
their empty responses, with the profile answers the invitation gives prefilled.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction

from collabready.instrument import Instrument, ProfileQuestion
from collabready.web.surveys.errors import AlreadyInvitedError, InvitationImportError
from collabready.web.surveys.instruments import instrument_get
from collabready.web.surveys.models import Invitation, Response, Wave
from collabready.web.surveys.services.invitation_files import (
    Table,
    choice_match,
    close_column,
    table_read,
)
from collabready.web.surveys.services.responses import response_new

REQUIRED_COLUMNS = ("email", "name", "organisation", "sector")
#: Optional columns checked against the instrument's profile choices (when it asks them).
PROFILE_COLUMNS = ("subsector", "role", "size", "region")
#: Other columns the import knows: the invitee's language ("en"/"cy", "English"/"Cymraeg").
OTHER_COLUMNS = ("language",)
KNOWN_COLUMNS = (*REQUIRED_COLUMNS, *PROFILE_COLUMNS, *OTHER_COLUMNS)
_LANGUAGES = {
    "en": "en",
    "english": "en",
    "saesneg": "en",
    "cy": "cy",
    "welsh": "cy",
    "cymraeg": "cy",
}


@dataclass(frozen=True, slots=True)
class ImportResult:
    created: int
    skipped: int = 0
    #: What the file was read as, e.g. "CSV, semicolon-separated, Windows-1252".
    described: str = ""
    #: Columns the import does not know, kept as each invitation's details.
    extra_columns: tuple[str, ...] = ()


def invitations_import_csv(
    *, wave: Wave, data: bytes, filename: str = "", skip_existing: bool = False
) -> ImportResult:
    """Import an invitation list (CSV or .xlsx): all rows, or none if any row is bad.

    Rows are numbered as a spreadsheet shows them (the header is row 1). People
    already invited to the wave make the file fail (:class:`AlreadyInvitedError`,
    which says how many) unless ``skip_existing``, when they are left out.
    """
    return _import(wave, table_read(data, filename=filename), skip=skip_existing)


def _import(wave: Wave, table: Table, *, skip: bool) -> ImportResult:
    instrument = instrument_get(wave.instrument_key)
    rows, skipped, extra = _parse(table, instrument=instrument, wave=wave, skip=skip)
    with transaction.atomic():
        invitations = Invitation.objects.bulk_create(Invitation(wave=wave, **row) for row in rows)
        Response.objects.bulk_create(
            response_new(wave=wave, instrument=instrument, invitation=inv) for inv in invitations
        )
    return ImportResult(
        created=len(invitations), skipped=skipped, described=table.described, extra_columns=extra
    )


#: The most invitations one API request may create.
MAX_RECORDS = 10_000


def invitations_import_rows(*, wave: Wave, rows: Sequence[Mapping[str, object]]) -> ImportResult:
    """Import invitations given as records (the API): exactly the checks of the file
    upload, all or nothing, every problem listed. Record ``i`` (from 0) is named
    ``row i + 2``, as it would be in the file with a header row."""
    if len(rows) > MAX_RECORDS:
        raise InvitationImportError([f"more than {MAX_RECORDS} invitations: send them in parts"])
    header = tuple(dict.fromkeys(str(k).strip().lower() for row in rows for k in row))
    records = tuple(
        (
            number,
            {
                **dict.fromkeys(header, ""),
                **{str(k).strip().lower(): "" if v is None else str(v) for k, v in row.items()},
            },
        )
        for number, row in enumerate(rows, start=2)
    )
    return _import(wave, Table(header=header, rows=records, described="API records"), skip=False)


def invitation_template_csv(*, wave: Wave) -> str:
    """A CSV with the header the import expects and one example row."""
    instrument = instrument_get(wave.instrument_key)
    asked = {q.id: q for q in instrument.profile}
    columns = [*REQUIRED_COLUMNS, *(c for c in PROFILE_COLUMNS if c in asked), "language"]
    example = {
        "email": "someone@example.org",
        "name": "A Person",
        "organisation": "An Organisation",
        "language": "en",
    }
    for c in ("sector", *PROFILE_COLUMNS):
        if c in asked:
            example[c] = asked[c].choices[0].value
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(columns)
    writer.writerow([example.get(c, "") for c in columns])
    return out.getvalue()


def _parse(
    table: Table, *, instrument: Instrument, wave: Wave, skip: bool
) -> tuple[list[dict[str, object]], int, tuple[str, ...]]:
    header = table.header
    missing = [c for c in REQUIRED_COLUMNS if c not in header]
    problems: list[str] = []
    if missing:
        problems.append(
            f"row 1 (header): missing column(s) {', '.join(missing)}; the header must include "
            f"{', '.join(REQUIRED_COLUMNS)} (read as {table.described})"
        )
    questions = {q.id: q for q in instrument.profile if q.id in ("sector", *PROFILE_COLUMNS)}
    extra: list[str] = []
    for column in header:
        if not column or column in KNOWN_COLUMNS:
            continue
        near = close_column(column, KNOWN_COLUMNS)
        if near is not None and near not in header:
            problems.append(
                f"row 1 (header): unknown column {column!r}; did you mean {near!r}? "
                f"Known columns: {', '.join(KNOWN_COLUMNS)}"
            )
        else:
            extra.append(column)
    if problems:
        raise InvitationImportError(problems)
    existing = set(Invitation.objects.filter(wave=wave).values_list("email", flat=True))
    seen: dict[str, int] = {}
    rows: list[dict[str, object]] = []
    already: list[int] = []
    for number, values in table.rows:
        email = values["email"].lower()
        if email and email in existing:
            already.append(number)
            if skip:
                continue
        row_problems, matched = _check_row(number, values, questions, seen)
        problems.extend(row_problems)
        if not row_problems:
            seen[email] = number
            details = {
                k: matched.get(k, v)
                for k, v in values.items()
                if k not in REQUIRED_COLUMNS and k not in OTHER_COLUMNS and v and k
            }
            rows.append(
                {
                    "email": email,
                    "name": values["name"],
                    "organisation": values["organisation"],
                    "sector": matched["sector"],
                    "language": _LANGUAGES.get(values.get("language", "").casefold(), "en"),
                    "details": details,
                }
            )
        if len(problems) >= 200:
            problems.append("too many problems: stopped checking here")
            break
    if already and not skip:
        raise AlreadyInvitedError(problems, already=already)
    if problems:
        raise InvitationImportError(problems)
    if not rows and not already:
        raise InvitationImportError(["the file has a header but no invitations"])
    return rows, len(already), tuple(extra)


def _check_row(
    number: int,
    values: dict[str, str],
    questions: dict[str, ProfileQuestion],
    seen: dict[str, int],
) -> tuple[list[str], dict[str, str]]:
    problems = []
    email = values["email"].lower()
    if not email:
        problems.append(f"row {number}, column email: the e-mail address is empty")
    else:
        try:
            validate_email(email)
        except ValidationError:
            problems.append(
                f"row {number}, column email: {values['email']!r} is not an e-mail address"
            )
        else:
            if email in seen:
                problems.append(f"row {number}, column email: {email} is also on row {seen[email]}")
    if len(values["name"]) > 200:
        problems.append(f"row {number}, column name: longer than 200 characters")
    if not values["organisation"]:
        problems.append(f"row {number}, column organisation: the organisation is empty")
    elif len(values["organisation"]) > 300:
        problems.append(f"row {number}, column organisation: longer than 300 characters")
    language = values.get("language", "")
    if language and language.casefold() not in _LANGUAGES:
        problems.append(
            f"row {number}, column language: {language!r} is not en (English) or cy (Cymraeg)"
        )
    matched: dict[str, str] = {}
    for column, question in questions.items():
        value = values.get(column, "")
        allowed = ", ".join(c.value for c in question.choices)
        if column == "sector" and not value:
            problems.append(f"row {number}, column sector: empty; use one of {allowed}")
        elif value:
            key = choice_match(question, value)
            if key is None:
                problems.append(
                    f"row {number}, column {column}: {value!r} is not one of {allowed} "
                    "(or their codes or labels)"
                )
            else:
                matched[column] = key
    return problems, matched
