"""The wording of a wave's e-mails: per-wave templates in English and Welsh, defaults.

A template is a subject and a body with ``$placeholders``
(:data:`PLACEHOLDERS`); the body must contain ``$link`` and ``$optout``. The
wave's own template for the invitee's language is used, else the default
wording of that language. Every link is built from ``COLLABREADY_PUBLIC_URL``,
never from a request's Host header (a forged Host must not reach an e-mail).
Header values (subject, sender name) are folded to one line, so a wave name
with a line break can neither break a send nor inject a header.
"""

from __future__ import annotations

import string
from dataclasses import dataclass
from datetime import timedelta
from email.utils import formataddr

from django.conf import settings
from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.auth.models import AnonymousUser
from django.core import signing
from django.core.mail import EmailMessage
from django.urls import reverse
from django.utils import timezone, translation

from collabready.errors import UserError
from collabready.web.surveys.models import EmailKind, Invitation, Wave, WaveEmailTemplate
from collabready.web.surveys.selectors.waves import wave_title_for_respondents

LANGUAGES = ("en", "cy")

#: The placeholders a template may use, with what each becomes.
PLACEHOLDERS = {
    "name": "the invitee's name (or nothing)",
    "organisation": "the invitee's organisation",
    "wave": "the wave's name",
    "closes": "the closing date, e.g. 31 May 2026",
    "link": "the invitee's personal link (required)",
    "optout": "the link to stop these e-mails (required)",
    "contact": "the wave's contact",
}
REQUIRED_PLACEHOLDERS = ("link", "optout")

OPT_OUT_SALT = "collabready.optout"

_DEFAULTS: dict[tuple[str, str], tuple[str, str]] = {
    ("invitation", "en"): (
        "$wave",
        "Dear $name,\n\nYou are invited to take part in $wave, the Collaboration Readiness "
        "Index survey, about $organisation.\n\nYour personal link (do not share it: it opens "
        "your answers):\n$link\n\nYou can stop at any time and carry on later with the same "
        "link. The survey closes on $closes. At the end you will see your organisation's "
        "readiness profile.\n\nQuestions: $contact\n\nTo stop receiving e-mails about this "
        "survey: $optout\n",
    ),
    ("reminder", "en"): (
        "Reminder: $wave",
        "Dear $name,\n\nThis is a reminder: we have not yet received your answers to $wave, "
        "the Collaboration Readiness Index survey, about $organisation.\n\nYour personal "
        "link (do not share it: it opens your answers):\n$link\n\nThe survey closes on "
        "$closes.\n\nQuestions: $contact\n\nTo stop receiving e-mails about this survey: "
        "$optout\n",
    ),
    ("invitation", "cy"): (
        "$wave",
        "Annwyl $name,\n\nFe'ch gwahoddir i gymryd rhan yn $wave, arolwg y Mynegai Parodrwydd "
        "i Gydweithio, ar ran $organisation.\n\nEich dolen bersonol (peidiwch â'i rhannu: "
        "mae'n agor eich atebion):\n$link\n\nGallwch stopio unrhyw bryd a pharhau yn nes "
        "ymlaen gyda'r un ddolen. Mae'r arolwg yn cau ar $closes. Ar y diwedd fe welwch "
        "broffil parodrwydd eich sefydliad.\n\nCwestiynau: $contact\n\nI beidio â chael "
        "e-byst am yr arolwg hwn: $optout\n",
    ),
    ("reminder", "cy"): (
        "Nodyn atgoffa: $wave",
        "Annwyl $name,\n\nNodyn atgoffa yw hwn: nid ydym wedi cael eich atebion i $wave, "
        "arolwg y Mynegai Parodrwydd i Gydweithio, ar ran $organisation eto.\n\nEich dolen "
        "bersonol (peidiwch â'i rhannu: mae'n agor eich atebion):\n$link\n\nMae'r arolwg yn "
        "cau ar $closes.\n\nCwestiynau: $contact\n\nI beidio â chael e-byst am yr arolwg "
        "hwn: $optout\n",
    ),
}

_MONTHS_CY = (
    "Ionawr",
    "Chwefror",
    "Mawrth",
    "Ebrill",
    "Mai",
    "Mehefin",
    "Gorffennaf",
    "Awst",
    "Medi",
    "Hydref",
    "Tachwedd",
    "Rhagfyr",
)


class EmailTemplateError(UserError):
    """A template uses an unknown placeholder or lacks a required one."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("; ".join(problems))
        self.problems = problems


@dataclass(frozen=True, slots=True)
class EmailText:
    subject: str
    body: str
    custom: bool


def one_line(value: str) -> str:
    """A header value on one line: CR, LF and other whitespace runs become one space."""
    return " ".join(value.split())


def public_url(path: str) -> str:
    """An absolute link to ``path`` on the configured public site."""
    return f"{str(settings.COLLABREADY_PUBLIC_URL).rstrip('/')}{path}"


def personal_link(token: str) -> str:
    return public_url(reverse("surveys:token", kwargs={"token": token}))


def opt_out_link(invitation: Invitation) -> str:
    signed = signing.dumps(invitation.pk, salt=OPT_OUT_SALT, compress=True)
    return public_url(reverse("surveys:opt_out", kwargs={"signed": signed}))


def opt_out_invitation_id(signed: str) -> int | None:
    """The invitation an opt-out link names, or ``None`` when the link was tampered with."""
    try:
        value = signing.loads(signed, salt=OPT_OUT_SALT)
    except signing.BadSignature:
        return None
    return value if isinstance(value, int) else None


def template_check(subject: str, body: str) -> list[str]:
    """Every problem with a template's placeholders (empty: fine)."""
    problems: list[str] = []
    for where, text in (("subject", subject), ("body", body)):
        try:
            found = _placeholders(text)
        except ValueError as exc:
            problems.append(f"{where}: {exc}; write $$ for a dollar sign")
            continue
        unknown = sorted(found - set(PLACEHOLDERS))
        if unknown:
            problems.append(
                f"{where}: unknown placeholder(s) {', '.join('$' + u for u in unknown)}; "
                f"use {', '.join('$' + p for p in PLACEHOLDERS)}"
            )
    try:
        in_body = _placeholders(body)
    except ValueError:
        in_body = set()
    for required in REQUIRED_PLACEHOLDERS:
        if required not in in_body:
            problems.append(f"body: must contain ${required} ({PLACEHOLDERS[required]})")
    if not subject.strip():
        problems.append("subject: enter a subject")
    return problems


def _placeholders(text: str) -> set[str]:
    found: set[str] = set()
    for match in string.Template.pattern.finditer(text):
        if match.group("invalid") is not None:
            raise ValueError(f"a '$' at character {match.start() + 1} names nothing")
        name = match.group("named") or match.group("braced")
        if name:
            found.add(name)
    return found


def email_text(*, wave: Wave, kind: str, language: str) -> EmailText:
    """The wave's wording of ``kind`` in ``language`` (its own template, else the default)."""
    language = language if language in LANGUAGES else "en"
    own = WaveEmailTemplate.objects.filter(wave=wave, kind=kind, language=language).first()
    if own is not None:
        return EmailText(subject=own.subject, body=own.body, custom=True)
    subject, body = _DEFAULTS[(EmailKind(kind).value, language)]
    return EmailText(subject=subject, body=body, custom=False)


def email_template_save(*, wave: Wave, kind: str, language: str, subject: str, body: str) -> None:
    """Store the wave's wording of one e-mail; refused (nothing saved) if it has problems."""
    problems = template_check(subject, body)
    if problems:
        raise EmailTemplateError(problems)
    WaveEmailTemplate.objects.update_or_create(
        wave=wave,
        kind=EmailKind(kind).value,
        language=language if language in LANGUAGES else "en",
        defaults={"subject": one_line(subject), "body": body.replace("\r\n", "\n")},
    )


def closes_text(wave: Wave, language: str) -> str:
    # the last day on which answers are accepted (a wave closes at midnight after it)
    last = timezone.localtime(wave.closes_at - timedelta(seconds=1)).date()
    if language == "cy":
        return f"{last.day} {_MONTHS_CY[last.month - 1]} {last.year}"
    return f"{last.day} {last.strftime('%B %Y')}"


def email_message(
    *,
    wave: Wave,
    kind: str,
    language: str,
    to: str,
    name: str,
    organisation: str,
    link: str,
    optout: str,
) -> EmailMessage:
    """The e-mail of ``kind`` to one person, in their language, ready to send."""
    text = email_text(wave=wave, kind=kind, language=language)
    values = {
        "name": name or ("Syr/Madam" if language == "cy" else "Sir or Madam"),
        "organisation": organisation,
        "wave": wave_title_for_respondents(wave=wave, language=language),
        "closes": closes_text(wave, language),
        "link": link,
        "optout": optout,
        "contact": wave.contact or str(settings.DEFAULT_FROM_EMAIL),
    }
    subject = one_line(string.Template(text.subject).safe_substitute(values))
    body = string.Template(text.body).safe_substitute(values)
    sender = str(settings.DEFAULT_FROM_EMAIL)
    if wave.sender_name:
        sender = formataddr((one_line(wave.sender_name), sender))
    return EmailMessage(
        subject=subject,
        body=body,
        from_email=sender,
        to=[to],
        reply_to=[wave.reply_to] if wave.reply_to else None,
        headers={"List-Unsubscribe": f"<{optout}>"},
    )


def invitation_message(
    *, wave: Wave, invitation: Invitation, token: str, reminder: bool
) -> EmailMessage:
    """The invitation or reminder to ``invitation``, with a personal link for ``token``
    (under /cy/ for a Welsh invitee, so the survey opens in Welsh)."""
    language = invitation.language if invitation.language in LANGUAGES else "en"
    with translation.override(language):
        link, optout = personal_link(token), opt_out_link(invitation)
    return email_message(
        wave=wave,
        kind=EmailKind.REMINDER if reminder else EmailKind.INVITATION,
        language=invitation.language,
        to=invitation.email,
        name=invitation.name,
        organisation=invitation.organisation,
        link=link,
        optout=optout,
    )


def email_backend_is_console() -> bool:
    """Whether e-mail goes to the server's console rather than to anyone's inbox."""
    backend = str(settings.EMAIL_BACKEND)
    return backend.endswith(("console.EmailBackend", "dummy.EmailBackend"))


def email_preview(*, wave: Wave, kind: str, language: str) -> EmailMessage:
    """The e-mail as an example invitee would receive it (example links that open nothing)."""
    return email_message(
        wave=wave,
        kind=kind,
        language=language,
        to="invitee@example.org",
        name="Alex Example",
        organisation="Example Council",
        link=public_url("/r/EXAMPLE-PERSONAL-LINK/"),
        optout=public_url("/o/EXAMPLE-OPT-OUT-LINK/"),
    )


def email_test_send(
    *, wave: Wave, kind: str, language: str, to: str, actor: AbstractBaseUser | AnonymousUser | None
) -> None:
    """Send the example e-mail to a staff member's own address (subject marked TEST)."""
    from collabready.web.audit.services import audit_record

    message = email_preview(wave=wave, kind=kind, language=language)
    message.to = [to]
    message.subject = f"[TEST] {message.subject}"
    message.send()
    audit_record("email.test", actor=actor, obj=wave, kind=kind, language=language)
