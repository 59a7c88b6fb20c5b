"""A wave's lifecycle: create, edit (within what is safe), close, reopen, test mode.

Edit rules: until a wave opens (its opening date has not come and nobody but
staff testing has answered), its name, public title (English and Welsh),
instrument, dates and privacy notice can change. Once open, only what cannot
change the meaning of answers already given may change: the internal name, a
later closing date, the open link (an operational switch: it can be turned off
if it is abused), the e-mail settings and quotas. Every change of state leaves
an audit record in the same transaction.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.auth.models import AnonymousUser
from django.db import transaction
from django.utils import timezone

from collabready.errors import UserError
from collabready.instrument import Instrument
from collabready.web.audit.services import audit_record
from collabready.web.surveys.instruments import instrument_get
from collabready.web.surveys.models import Response, Wave
from collabready.web.surveys.selectors.waves import wave_has_opened
from collabready.web.surveys.services.release import wave_release

Actor = AbstractBaseUser | AnonymousUser | None

#: What may still change once a wave has opened.
SAFE_AFTER_OPENING = ("name", "closes_at", "open_link_enabled")


class WaveError(UserError):
    """A wave cannot be created or changed as asked."""

    def __init__(self, problems: list[str] | str) -> None:
        self.problems = [problems] if isinstance(problems, str) else problems
        super().__init__("; ".join(self.problems))


def wave_create(
    *,
    slug: str,
    name: str,
    instrument_key: str,
    opens_at: datetime,
    closes_at: datetime,
    privacy_notice: str,
    open_link_enabled: bool = False,
    public_title: str = "",
    public_title_cy: str = "",
    actor: Actor = None,
) -> Wave:
    """A new wave using the instrument ``instrument_key`` (``id@version``); its
    ``public_title`` (and Welsh ``public_title_cy``) is what respondents and readers
    see, ``name`` the research team's own."""
    instrument_get(instrument_key)  # raises if the version is not available
    problems = _check_dates(opens_at, closes_at)
    if not privacy_notice.strip():
        problems.append("privacy notice: enter the privacy notice respondents will see")
    if Wave.objects.filter(slug=slug).exists():
        problems.append(f"short name: a wave called {slug!r} already exists; choose another")
    if problems:
        raise WaveError(problems)
    with transaction.atomic():
        wave: Wave = Wave.objects.create(
            slug=slug,
            name=name,
            public_title=_one_line(public_title),
            public_title_cy=_one_line(public_title_cy),
            instrument_key=instrument_key,
            opens_at=opens_at,
            closes_at=closes_at,
            privacy_notice=privacy_notice.strip(),
            open_link_enabled=open_link_enabled,
        )
        audit_record("wave.create", actor=actor, obj=wave, instrument=instrument_key)
    return wave


def _one_line(text: str) -> str:
    return " ".join(text.split())


def _check_dates(opens_at: datetime, closes_at: datetime) -> list[str]:
    if closes_at <= opens_at:
        return ["closing date: the wave must close after it opens"]
    return []


def wave_update(*, wave_id: int, actor: Actor = None, **changes: Any) -> Wave:
    """Change a wave's settings, within the edit rules (module docstring).

    Refused changes raise :class:`WaveError` listing every refused field; nothing
    is changed then.
    """
    with transaction.atomic():
        wave = Wave.objects.select_for_update().get(pk=wave_id)
        opened = wave_has_opened(wave=wave)
        problems: list[str] = []
        for field in ("public_title", "public_title_cy"):
            if field in changes:
                changes[field] = _one_line(str(changes[field]))
        changed = {k: v for k, v in changes.items() if getattr(wave, k) != v}
        if opened:
            for field in sorted(set(changed) - set(SAFE_AFTER_OPENING)):
                problems.append(
                    f"{_LABELS.get(field, field)}: cannot change once the wave has opened "
                    "(answers have been or are being given under it)"
                )
            if "closes_at" in changed and changed["closes_at"] < wave.closes_at:
                problems.append(
                    "closing date: once the wave has opened it can only be moved later "
                    "(to stop early, close the wave)"
                )
        if "instrument_key" in changed:
            instrument_get(str(changed["instrument_key"]))
            if Response.objects.filter(wave=wave, version__gt=0).exists():
                problems.append("instrument: test answers exist; delete them first")
        if "privacy_notice" in changed and not str(changed["privacy_notice"]).strip():
            problems.append("privacy notice: enter the privacy notice respondents will see")
        problems += _check_dates(
            changed.get("opens_at", wave.opens_at), changed.get("closes_at", wave.closes_at)
        )
        if problems:
            raise WaveError(problems)
        if not changed:
            return wave
        if "closes_at" in changed and wave.closed_at is None and wave.closes_at <= timezone.now():
            # a wave past its closing date is given a later one: it opens again, so its
            # convenors' release is made first (as when a closed wave is reopened)
            wave_release(wave=wave)
        for field, value in changed.items():
            setattr(wave, field, value)
        wave.save(update_fields=list(changed))
        if "instrument_key" in changed:
            # the empty invitation responses are re-made for the new instrument's layout
            _reshape_empty_responses(wave, instrument_get(wave.instrument_key))
        audit_record("wave.update", actor=actor, obj=wave, fields=sorted(changed), opened=opened)
    return wave


_LABELS = {
    "instrument_key": "instrument",
    "opens_at": "opening date",
    "closes_at": "closing date",
    "privacy_notice": "privacy notice",
    "name": "name",
    "public_title": "public title",
    "public_title_cy": "public title in Welsh",
    "open_link_enabled": "open link",
}


def _reshape_empty_responses(wave: Wave, instrument: Instrument) -> None:
    from collabready.web.surveys.services.responses import response_new

    for response in Response.objects.filter(wave=wave, version=0).select_related("invitation"):
        fresh = response_new(wave=wave, instrument=instrument, invitation=response.invitation)
        response.answers, response.profile = fresh.answers, fresh.profile
        response.save(update_fields=["answers", "profile"])


def wave_close(*, wave_id: int, actor: Actor = None) -> bool:
    """Close a wave now, and make or move on the convenors' release
    (:mod:`.release`); ``False`` when it was already closed."""
    with transaction.atomic():
        closed: int = Wave.objects.filter(pk=wave_id, closed_at__isnull=True).update(
            closed_at=timezone.now()
        )
        if closed:
            audit_record("wave.close", actor=actor, object_type="surveys.wave", object_id=wave_id)
            # the convenors' release is made (or moved on) now, not at their next read,
            # so that a reopening cannot come first
            wave_release(wave=Wave.objects.get(pk=wave_id))
    return closed == 1


def wave_reopen(*, wave_id: int, actor: Actor = None) -> bool:
    """Reopen a closed wave; refused when its closing date has passed (move it first)."""
    with transaction.atomic():
        wave = Wave.objects.select_for_update().get(pk=wave_id)
        if wave.closed_at is None:
            return False
        if wave.closes_at <= timezone.now():
            raise WaveError(
                "closing date: it has passed; set a later closing date, then reopen the wave"
            )
        wave.closed_at = None
        wave.save(update_fields=["closed_at"])
        audit_record("wave.reopen", actor=actor, obj=wave)
    return True


def wave_set_open_link(*, wave_id: int, enabled: bool, actor: Actor = None) -> None:
    with transaction.atomic():
        Wave.objects.filter(pk=wave_id).update(open_link_enabled=enabled)
        audit_record(
            "wave.open_link",
            actor=actor,
            object_type="surveys.wave",
            object_id=wave_id,
            enabled=enabled,
        )


def wave_test_response(*, wave_id: int, language: str = "en", actor: Actor = None) -> Response:
    """A new test response (test mode): answered like any other, never analysed."""
    from collabready.web.surveys.services.responses import response_new

    with transaction.atomic():
        wave = Wave.objects.get(pk=wave_id)
        response = response_new(wave=wave, instrument=instrument_get(wave.instrument_key))
        response.is_test = True
        response.language = language
        response.started_at = timezone.now()
        response.save()
        audit_record("response.test_create", actor=actor, obj=response)
    return response


def wave_test_responses_delete(*, wave_id: int, actor: Actor = None) -> int:
    """Delete the wave's test responses (only those); returns how many."""
    with transaction.atomic():
        test = Response.objects.filter(wave_id=wave_id, is_test=True)
        ids = list(test.values_list("pk", flat=True))
        if ids:
            Response.objects.filter(pk__in=ids).delete()
            audit_record(
                "response.test_delete",
                actor=actor,
                object_type="surveys.wave",
                object_id=wave_id,
                responses=len(ids),
            )
    return len(ids)


def wave_set_quotas(
    *, wave_id: int, quotas: dict[str, dict[str, int]], actor: Actor = None
) -> None:
    """Store the wave's target numbers (already checked against its instrument)."""
    with transaction.atomic():
        wave = Wave.objects.select_for_update().get(pk=wave_id)
        wave.quotas = quotas
        wave.save(update_fields=["quotas"])
        audit_record("wave.quotas", actor=actor, obj=wave, variables=sorted(quotas))


def wave_set_email_settings(
    *,
    wave_id: int,
    sender_name: str,
    reply_to: str,
    contact: str,
    reminder_days: list[int],
    reminder_interval_days: int,
    actor: Actor = None,
) -> None:
    """The wave's sender name, reply-to, contact and reminder schedule."""
    problems = []
    if any(d < 1 or d > 365 for d in reminder_days):
        problems.append("reminder days: each must be between 1 and 365 days after the invitation")
    if not 0 <= reminder_interval_days <= 60:
        problems.append("reminder interval: between 0 and 60 days")
    days = sorted(set(reminder_days))
    gaps = [b - a for a, b in zip([0, *days], days, strict=False)]
    if any(gap < reminder_interval_days for gap in gaps):
        problems.append(
            f"reminder days: {', '.join(map(str, days))} are closer together (or to the "
            f"invitation) than the interval of {reminder_interval_days} day(s), so some "
            "would never be sent; space them at least that far apart"
        )
    if problems:
        raise WaveError(problems)
    with transaction.atomic():
        wave = Wave.objects.select_for_update().get(pk=wave_id)
        wave.sender_name = " ".join(sender_name.split())
        wave.reply_to = reply_to
        wave.contact = contact.strip()
        wave.reminder_days = sorted(set(reminder_days))
        wave.reminder_interval_days = reminder_interval_days
        wave.save(
            update_fields=[
                "sender_name",
                "reply_to",
                "contact",
                "reminder_days",
                "reminder_interval_days",
            ]
        )
        audit_record("wave.email_settings", actor=actor, obj=wave)


def quotas_parse(*, wave: Wave, text: str) -> dict[str, dict[str, int]]:
    """Quotas from lines ``question, answer, target`` (answers as keys, codes or labels);
    :class:`WaveError` lists every bad line."""
    from collabready.web.surveys.selectors.monitoring import MONITORED
    from collabready.web.surveys.services.invitation_files import choice_match

    instrument = instrument_get(wave.instrument_key)
    questions = {q.id: q for q in instrument.profile if q.id in MONITORED}
    quotas: dict[str, dict[str, int]] = {}
    problems: list[str] = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        parts = [p.strip() for p in line.replace(";", ",").split(",")]
        if len(parts) != 3:
            problems.append(f"line {number}: write question, answer, target (3 values)")
            continue
        variable, answer, target = parts
        question = questions.get(variable.casefold())
        if question is None:
            problems.append(
                f"line {number}: {variable!r} is not one of {', '.join(questions) or 'none'}"
            )
            continue
        key = choice_match(question, answer)
        if key is None:
            problems.append(
                f"line {number}: {answer!r} is not an answer to {question.id} "
                f"({', '.join(c.value for c in question.choices)})"
            )
        if not target.isdigit() or int(target) == 0:
            problems.append(f"line {number}: the target {target!r} is not a whole number above 0")
        if key is not None and target.isdigit() and int(target) > 0:
            quotas.setdefault(question.id, {})[key] = int(target)
    if problems:
        raise WaveError(problems)
    return quotas
