"""Importing invitation lists and sending invitations, reminders and resume codes.

Why this module is long: the import (header, rows, skipping those already
invited) and the sending (claim, token, e-mail and audit per invitee in one
transaction; refusals marked undeliverable) share the invitee conditions, and
splitting them would scatter one rule over two files.
"""

from __future__ import annotations

import csv
import io
import smtplib
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import ValidationError
from django.core.mail import EmailMessage, get_connection
from django.core.validators import validate_email
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from collabready.instrument import Instrument, ProfileQuestion
from collabready.web.audit.services import audit_record
from collabready.web.surveys.errors import (
    AlreadyInvitedError,
    EmailServerError,
    InvitationImportError,
    TooManyEmailsError,
    WaveClosedError,
)
from collabready.web.surveys.instruments import instrument_get
from collabready.web.surveys.models import AccessToken, Invitation, Response, Wave
from collabready.web.surveys.selectors.waves import wave_accepts_emails
from collabready.web.surveys.services.emails import invitation_message, one_line, personal_link
from collabready.web.surveys.services.invitation_files import (
    Table,
    choice_match,
    close_column,
    table_read,
)
from collabready.web.surveys.services.responses import response_new
from collabready.web.surveys.services.tokens import throttle_count, token_issue

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
    instrument = instrument_get(wave.instrument_key)
    table = table_read(data, filename=filename)
    rows, skipped, extra = _parse(table, instrument=instrument, wave=wave, skip=skip_existing)
    with transaction.atomic():
        invitations = Invitation.objects.bulk_create(Invitation(wave=wave, **row) for row in rows)
        Response.objects.bulk_create(
            response_new(wave=wave, instrument=instrument, invitation=inv) for inv in invitations
        )
    return ImportResult(
        created=len(invitations), skipped=skipped, described=table.described, extra_columns=extra
    )


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


def _invitees(wave: Wave, *, reminder: bool, now: datetime) -> Q:
    """Who is due an e-mail now (one condition, used to select and to claim each row)."""
    reachable = Q(opted_out_at__isnull=True, undeliverable_at__isnull=True)
    if not reminder:
        return reachable & Q(wave=wave, invited_at__isnull=True)
    cutoff = now - timedelta(days=wave.reminder_interval_days)
    return (
        reachable
        & Q(wave=wave, invited_at__lte=cutoff, response__submitted_at__isnull=True)
        & (Q(reminded_at__isnull=True) | Q(reminded_at__lte=cutoff))
    )


def _scheduled(wave: Wave, *, now: datetime) -> Q:
    """Invitees whose next scheduled reminder (``wave.reminder_days``) is due."""
    due = Q(pk__in=[])
    for sent, days in enumerate(sorted(int(d) for d in wave.reminder_days)):
        due |= Q(reminders_sent=sent, invited_at__lte=now - timedelta(days=days))
    return due


@dataclass(frozen=True, slots=True)
class SendResult:
    sent: int
    undeliverable: tuple[str, ...] = ()


def invitations_due(*, wave: Wave, reminder: bool) -> int:
    """How many people "send" would e-mail now (the confirmation page says so)."""
    count: int = Invitation.objects.filter(
        _invitees(wave, reminder=reminder, now=timezone.now())
    ).count()
    return count


def invitations_send(
    *,
    wave: Wave,
    reminder: bool = False,
    scheduled: bool = False,
    actor: AbstractBaseUser | AnonymousUser | None = None,
) -> SendResult:
    """E-mail personal links: invitations to those not yet invited, or reminders to
    those invited who have not submitted, opted out or bounced, and were not
    e-mailed within the wave's reminder interval (``scheduled``: only those whose
    next reminder of ``wave.reminder_days`` is due).

    Each person is claimed by a conditional UPDATE before their e-mail goes, so a
    second press, or a second worker, sends nothing twice. Each e-mail is its own
    transaction: if the mail server refuses it, its token and claim roll back and
    the invitee is marked undeliverable; the others go on. If the server cannot be
    reached at all, :class:`EmailServerError` and nothing is recorded for the
    e-mail that failed. A closed wave sends nothing (:class:`WaveClosedError`).
    """
    wave.refresh_from_db()
    if not wave_accepts_emails(wave=wave):
        raise WaveClosedError(
            f"{wave.name} is closed or past its closing date: no e-mails are sent to it"
        )
    now = timezone.now()
    condition = _invitees(wave, reminder=reminder, now=now)
    if scheduled:
        condition &= _scheduled(wave, now=now)
    ids = list(Invitation.objects.filter(condition).values_list("pk", flat=True))
    if not ids:
        return SendResult(sent=0)
    purpose = AccessToken.Purpose.REMINDER if reminder else AccessToken.Purpose.INVITATION
    claim: dict[str, object] = (
        {"reminded_at": now, "reminders_sent": F("reminders_sent") + 1}
        if reminder
        else {"invited_at": now}
    )
    connection = get_connection()
    try:
        connection.open()
    except (OSError, smtplib.SMTPException) as exc:
        raise EmailServerError(_server_problem(exc)) from exc
    sent = 0
    bounced: list[str] = []
    try:
        for pk in ids:
            try:
                with transaction.atomic():
                    if not Invitation.objects.filter(condition, pk=pk).update(**claim):
                        continue  # someone else sent it meanwhile
                    invitation = Invitation.objects.select_related("response").get(pk=pk)
                    token = token_issue(response=invitation.response, purpose=purpose)
                    message = invitation_message(
                        wave=wave, invitation=invitation, token=token, reminder=reminder
                    )
                    connection.send_messages([message])
                    audit_record(
                        "email.reminder" if reminder else "email.invitation",
                        actor=actor,
                        actor_label=None if actor is not None else "worker",
                        obj=invitation,
                        scheduled=scheduled,
                    )
            except _REFUSED as exc:
                reason = _refusal(exc)
                Invitation.objects.filter(pk=pk).update(
                    undeliverable_at=timezone.now(), undeliverable_reason=reason[:300]
                )
                bounced.append(reason)
            except (OSError, smtplib.SMTPException) as exc:
                raise EmailServerError(
                    f"{_server_problem(exc)} after {sent} e-mail(s) had gone; those are recorded, "
                    "the rest were not sent: try again later"
                ) from exc
            else:
                sent += 1
    finally:
        connection.close()
    return SendResult(sent=sent, undeliverable=tuple(bounced))


#: The mail server refused this one message (its address, or its content).
_REFUSED = (smtplib.SMTPRecipientsRefused, smtplib.SMTPDataError)


def _refusal(exc: Exception) -> str:
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        codes_ = [
            f"{code} {msg.decode(errors='replace') if isinstance(msg, bytes) else msg}"
            for code, msg in exc.recipients.values()
        ]
        return "refused by the mail server: " + "; ".join(codes_)
    return f"refused by the mail server: {exc}"


def _server_problem(exc: BaseException) -> str:
    host = getattr(settings, "EMAIL_HOST", "")
    port = getattr(settings, "EMAIL_PORT", "")
    return f"the mail server {host}:{port} could not be used ({type(exc).__name__}: {exc})"


def opt_out(*, invitation_id: int) -> bool:
    """Stop e-mails to an invitee; ``False`` if they had already opted out."""
    with transaction.atomic():
        done = Invitation.objects.filter(pk=invitation_id, opted_out_at__isnull=True).update(
            opted_out_at=timezone.now()
        )
        if done:
            audit_record(
                "invitation.opt_out",
                actor_label="invitee",
                object_type="surveys.invitation",
                object_id=invitation_id,
            )
    return done == 1


def resume_code_send(*, response: Response, email: str, client: str) -> None:
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
    link_token: str
    with transaction.atomic():
        # the token is kept only if the e-mail carrying it went
        link_token = token_issue(response=response, purpose=AccessToken.Purpose.RESUME)
        _send_resume(response, email, link_token)


def _send_resume(response: Response, email: str, token: str) -> None:
    link = personal_link(token)
    body = (
        f"You asked to save your answers to {response.wave.name}.\n\n"
        f"To carry on where you stopped, open this link:\n{link}\n\n"
        f"or enter this resume code on the survey's start page:\n{token}\n\n"
        "Keep this e-mail private: the link and code open your answers.\n"
    )
    subject = one_line(f"Your resume code for {response.wave.name}")
    EmailMessage(subject=subject, body=body, to=[email]).send()
