"""Sending invitations, reminders and resume codes (importing lists: ``invitation_import``).

``invitations_import_csv`` and ``invitation_template_csv`` are re-exported here for the
callers that import them from this module.
"""

from __future__ import annotations

import smtplib
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.auth.models import AnonymousUser
from django.core.mail import EmailMessage, get_connection
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from collabready.web.audit.services import audit_record
from collabready.web.surveys.errors import (
    EmailServerError,
    TooManyEmailsError,
    WaveClosedError,
)
from collabready.web.surveys.models import AccessToken, Invitation, Response, Wave
from collabready.web.surveys.selectors.waves import wave_accepts_emails
from collabready.web.surveys.services.emails import invitation_message, one_line, personal_link
from collabready.web.surveys.services.invitation_import import (
    PROFILE_COLUMNS,
    ImportResult,
    invitation_template_csv,
    invitations_import_csv,
    invitations_import_rows,
)
from collabready.web.surveys.services.tokens import throttle_count, token_issue

__all__ = [
    "PROFILE_COLUMNS",
    "EmailServerError",
    "ImportResult",
    "SendResult",
    "invitation_template_csv",
    "invitations_due",
    "invitations_import_csv",
    "invitations_import_rows",
    "invitations_send",
    "opt_out",
    "resume_code_send",
]


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
