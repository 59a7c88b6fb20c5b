"""Importing invitation lists and sending invitations, reminders and resume codes."""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import EmailMessage, get_connection
from django.core.validators import validate_email
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from collabready.instrument import Instrument
from collabready.web.surveys.errors import InvitationImportError, TooManyEmailsError
from collabready.web.surveys.instruments import instrument_get
from collabready.web.surveys.models import AccessToken, Invitation, Response, Wave
from collabready.web.surveys.services.responses import response_new
from collabready.web.surveys.services.tokens import throttle_count, token_issue

REQUIRED_COLUMNS = ("email", "name", "organisation", "sector")
#: Optional columns checked against the instrument's profile choices.
PROFILE_COLUMNS = ("subsector", "role", "size", "region")
MAX_ROWS = 100_000


@dataclass(frozen=True, slots=True)
class ImportResult:
    created: int


def invitations_import_csv(*, wave: Wave, data: bytes) -> ImportResult:
    """Import an invitation CSV: all rows, or none if any row is bad.

    Rows are numbered as a spreadsheet shows them (the header is row 1).
    """
    instrument = instrument_get(wave.instrument_key)
    entries, problems = _parse(data)
    rows = _validated(entries, instrument=instrument, wave=wave, problems=problems)
    return _create(wave, instrument, rows)


def invitations_import_rows(*, wave: Wave, rows: Sequence[Mapping[str, str]]) -> ImportResult:
    """Import invitations given as records (the API): the same checks as the CSV, every
    problem named ``invitation N, column C`` (N counting from 1); all or nothing."""
    if len(rows) > MAX_ROWS:
        raise InvitationImportError([f"more than {MAX_ROWS} invitations: send them in parts"])
    instrument = instrument_get(wave.instrument_key)
    entries = [
        (f"invitation {n}", {str(k).strip().lower(): str(v or "") for k, v in row.items()})
        for n, row in enumerate(rows, start=1)
    ]
    missing = [
        f"{where}: missing field(s) {', '.join(c for c in REQUIRED_COLUMNS if c not in values)}"
        for where, values in entries
        if any(c not in values for c in REQUIRED_COLUMNS)
    ]
    if missing:
        raise InvitationImportError(missing)
    return _create(wave, instrument, _validated(entries, instrument=instrument, wave=wave))


def _create(wave: Wave, instrument: Instrument, rows: list[dict[str, object]]) -> ImportResult:
    with transaction.atomic():
        invitations = Invitation.objects.bulk_create(Invitation(wave=wave, **row) for row in rows)
        Response.objects.bulk_create(
            response_new(wave=wave, instrument=instrument, invitation=inv) for inv in invitations
        )
    return ImportResult(created=len(invitations))


def _parse(data: bytes) -> tuple[list[tuple[str, dict[str, str]]], list[str]]:
    """The CSV's rows as (``row N``, values), and the rows' problems of shape; raises
    for a file that cannot be read at all."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InvitationImportError(
            [
                f"the file is not UTF-8 text (byte {exc.start + 1}): "
                "save it as 'CSV UTF-8' and try again"
            ]
        ) from exc
    reader = csv.DictReader(io.StringIO(text, newline=""))
    header = [h.strip().lower() for h in (reader.fieldnames or [])]
    missing = [c for c in REQUIRED_COLUMNS if c not in header]
    if missing:
        raise InvitationImportError(
            [
                f"row 1 (header): missing column(s) {', '.join(missing)}; the header must include "
                f"{', '.join(REQUIRED_COLUMNS)}"
            ]
        )
    reader.fieldnames = header
    problems: list[str] = []
    entries: list[tuple[str, dict[str, str]]] = []
    for number, raw in enumerate(reader, start=2):
        if number - 1 > MAX_ROWS:
            problems.append(f"the file has more than {MAX_ROWS} rows: split it into smaller files")
            break
        if None in raw:
            problems.append(f"row {number}: more values than there are columns in the header")
            continue
        entries.append((f"row {number}", {k: (v or "") for k, v in raw.items()}))
    return entries, problems


def _validated(
    entries: list[tuple[str, dict[str, str]]],
    *,
    instrument: Instrument,
    wave: Wave,
    problems: list[str] | None = None,
) -> list[dict[str, object]]:
    """Check every entry (all problems listed); the rows to create."""
    choices = {
        q.id: {c.value for c in q.choices}
        for q in instrument.profile
        if q.id in ("sector", *PROFILE_COLUMNS)
    }
    existing = set(Invitation.objects.filter(wave=wave).values_list("email", flat=True))
    seen: dict[str, str] = {}
    problems = list(problems or [])
    rows: list[dict[str, object]] = []
    for where, raw in entries:
        values = {k: v.strip() for k, v in raw.items()}
        if not any(values.values()):
            continue  # blank line
        row_problems = _check_row(where, values, choices, existing, seen)
        problems.extend(row_problems)
        if not row_problems:
            email = values["email"].lower()
            seen[email] = where
            details = {k: v for k, v in values.items() if k not in REQUIRED_COLUMNS and v and k}
            rows.append(
                {
                    "email": email,
                    "name": values["name"],
                    "organisation": values["organisation"],
                    "sector": values["sector"],
                    "details": details,
                }
            )
        if len(problems) >= 200:
            problems.append("too many problems: stopped checking here")
            break
    if problems:
        raise InvitationImportError(problems)
    if not rows:
        raise InvitationImportError(["the file has a header but no invitations"])
    return rows


def _check_row(
    where: str,
    values: dict[str, str],
    choices: dict[str, set[str]],
    existing: set[str],
    seen: dict[str, str],
) -> list[str]:
    problems = []
    email = values["email"].lower()
    if not email:
        problems.append(f"{where}, column email: the e-mail address is empty")
    else:
        try:
            validate_email(email)
        except ValidationError:
            problems.append(f"{where}, column email: {values['email']!r} is not an e-mail address")
        else:
            if email in seen:
                problems.append(f"{where}, column email: {email} is also on {seen[email]}")
            elif email in existing:
                problems.append(f"{where}, column email: {email} is already invited to this wave")
    if len(values["name"]) > 200:
        problems.append(f"{where}, column name: longer than 200 characters")
    if not values["organisation"]:
        problems.append(f"{where}, column organisation: the organisation is empty")
    elif len(values["organisation"]) > 300:
        problems.append(f"{where}, column organisation: longer than 300 characters")
    for column, allowed in choices.items():
        value = values.get(column, "")
        if column == "sector" and not value:
            problems.append(
                f"{where}, column sector: empty; use one of {', '.join(sorted(allowed))}"
            )
        elif value and value not in allowed:
            problems.append(
                f"{where}, column {column}: {value!r} is not one of " + ", ".join(sorted(allowed))
            )
    return problems


def personal_link(*, base_url: str, token: str) -> str:
    return f"{base_url}{reverse('surveys:token', kwargs={'token': token})}"


def invitations_send(*, wave: Wave, base_url: str, reminder: bool = False) -> int:
    """E-mail personal links: invitations to those not yet invited, or reminders to
    those invited who have not submitted. Returns how many e-mails were sent."""
    people = Invitation.objects.filter(wave=wave).select_related("response")
    if reminder:
        people = people.filter(invited_at__isnull=False, response__submitted_at__isnull=True)
    else:
        people = people.filter(invited_at__isnull=True)
    purpose = AccessToken.Purpose.REMINDER if reminder else AccessToken.Purpose.INVITATION
    messages: list[EmailMessage] = []
    sent_ids: list[int] = []
    for invitation in people:
        token = token_issue(response=invitation.response, purpose=purpose)
        messages.append(
            _invitation_message(
                wave, invitation, personal_link(base_url=base_url, token=token), reminder=reminder
            )
        )
        sent_ids.append(invitation.pk)
    if not messages:
        return 0
    get_connection().send_messages(messages)
    now = timezone.now()
    if reminder:
        from django.db.models import F

        Invitation.objects.filter(pk__in=sent_ids).update(
            reminded_at=now, reminders_sent=F("reminders_sent") + 1
        )
    else:
        Invitation.objects.filter(pk__in=sent_ids).update(invited_at=now)
    return len(messages)


def _invitation_message(
    wave: Wave, invitation: Invitation, link: str, *, reminder: bool
) -> EmailMessage:
    greeting = f"Dear {invitation.name}," if invitation.name else "Hello,"
    opening = (
        "This is a reminder: we have not yet received your answers to"
        if reminder
        else "You are invited to take part in"
    )
    closes = timezone.localtime(wave.closes_at).strftime("%d %B %Y")
    body = (
        f"{greeting}\n\n{opening} {wave.name}, the Collaboration Readiness Index survey, "
        f"about {invitation.organisation}.\n\n"
        f"Your personal link (do not share it: it opens your answers):\n{link}\n\n"
        f"You can stop at any time and carry on later with the same link. The survey closes on "
        f"{closes}. At the end you will see your organisation's readiness profile.\n"
    )
    subject = f"{'Reminder: ' if reminder else ''}{wave.name}"
    return EmailMessage(subject=subject, body=body, to=[invitation.email])


def resume_code_send(*, response: Response, email: str, base_url: str, client: str) -> None:
    """E-mail a resume code (and link) for an open-link response; the address is not kept.

    At most ``COLLABREADY_RESUME_EMAILS_PER_RESPONSE`` e-mails for one response,
    and ``COLLABREADY_RESUME_EMAILS_PER_ADDRESS`` asked from one client address,
    in a window of ``COLLABREADY_RESUME_EMAIL_WINDOW_SECONDS``; past either,
    :class:`TooManyEmailsError` and nothing is sent (refused requests count too).
    """
    window = int(settings.COLLABREADY_RESUME_EMAIL_WINDOW_SECONDS)
    per_response = throttle_count(key=f"resume-email:response:{response.pk}", window_seconds=window)
    per_address = throttle_count(key=f"resume-email:address:{client}", window_seconds=window)
    if (
        per_response > settings.COLLABREADY_RESUME_EMAILS_PER_RESPONSE
        or per_address > settings.COLLABREADY_RESUME_EMAILS_PER_ADDRESS
    ):
        raise TooManyEmailsError(
            "too many resume codes have been asked for this response or from this connection",
            window_seconds=window,
        )
    token = token_issue(response=response, purpose=AccessToken.Purpose.RESUME)
    link = personal_link(base_url=base_url, token=token)
    body = (
        f"You asked to save your answers to {response.wave.name}.\n\n"
        f"To carry on where you stopped, open this link:\n{link}\n\n"
        f"or enter this resume code on the survey's start page:\n{token}\n\n"
        "Keep this e-mail private: the link and code open your answers.\n"
    )
    EmailMessage(subject=f"Your resume code for {response.wave.name}", body=body, to=[email]).send()
