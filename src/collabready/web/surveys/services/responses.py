"""Writing responses: start, save a page, submit exactly once.

Every write runs in one transaction holding the response row's lock
(``SELECT ... FOR UPDATE`` on PostgreSQL; SQLite serialises writers), so a page
saved twice, from two tabs or after a timeout, is never half-written. The final
submission is a conditional ``UPDATE ... WHERE submitted_at IS NULL``: it
succeeds for exactly one request, whatever races it.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from collabready.analysis import codec as codes
from collabready.instrument import Instrument
from collabready.web.surveys.errors import (
    ResponseChangedError,
    ResponseIncompleteError,
    ResponseSubmittedError,
    WaveClosedError,
)
from collabready.web.surveys.instruments import instrument_get
from collabready.web.surveys.journey import Page, PageKind, journey_pages, page_complete
from collabready.web.surveys.models import Invitation, Response, Wave
from collabready.web.surveys.pageforms import PageInput
from collabready.web.surveys.selectors.waves import wave_accepts_answers
from collabready.web.surveys.services.peers import peer_snapshot_schedule


class SubmitOutcome(StrEnum):
    SUBMITTED = "submitted"
    ALREADY_SUBMITTED = "already_submitted"


@dataclass(frozen=True, slots=True)
class SavedPage:
    version: int


def response_new(
    *, wave: Wave, instrument: Instrument, invitation: Invitation | None = None
) -> Response:
    """An unsaved response row for ``wave``: no answers; the profile questions the
    invitation answers (sector, size, region, ...) prefilled, for the respondent to
    check and correct."""
    profile = codes.profile_empty(instrument)
    if invitation is not None:
        profile = codes.profile_update(
            profile, instrument, _invited_profile(instrument, invitation)
        )
    return Response(
        wave=wave,
        invitation=invitation,
        answers=codes.answers_empty(instrument),
        profile=profile,
        sector=invitation.sector if invitation is not None else "",
    )


def _invited_profile(instrument: Instrument, invitation: Invitation) -> dict[str, int]:
    known = {"sector": invitation.sector, **{k: str(v) for k, v in invitation.details.items()}}
    codes_: dict[str, int] = {}
    for question in instrument.profile:
        value = known.get(question.id)
        if not value:
            continue
        try:
            codes_[question.id] = question.choice_by_value(value).code
        except KeyError:
            continue
    return codes_


def response_create(*, wave: Wave, language: str = "en") -> Response:
    """A new anonymous response through the wave's open link."""
    if not wave.open_link_enabled:
        raise WaveClosedError(f"wave {wave.slug} has no open link")
    _check_open(wave)
    response = response_new(wave=wave, instrument=instrument_get(wave.instrument_key))
    response.language = language
    response.started_at = timezone.now()
    response.save()
    return response


def response_save_page(
    *, response_id: int, page: Page, page_input: PageInput, language: str
) -> SavedPage:
    """Save the valid answers posted from ``page`` (all or nothing)."""
    with transaction.atomic():
        response = Response.objects.select_for_update().select_related("wave").get(pk=response_id)
        if response.submitted_at is not None:
            raise ResponseSubmittedError("these answers have been submitted and cannot be changed")
        _check_open(response.wave, test=response.is_test)
        instrument = instrument_get(response.wave.instrument_key)
        fields = [
            "answers",
            "profile",
            "open_answers",
            "language",
            "last_page",
            "version",
            "updated_at",
        ]
        if page_input.answers:
            response.answers = codes.answers_update(
                bytes(response.answers), instrument, page_input.answers
            )
        if page_input.profile:
            response.profile = codes.profile_update(
                bytes(response.profile), instrument, page_input.profile
            )
            sector = _sector_value(instrument, page_input.profile)
            if sector is not None:
                response.sector = sector
                fields.append("sector")
        if page.kind is PageKind.OPEN:
            response.open_answers = {**response.open_answers, **page_input.open_answers}
        if response.started_at is None:
            response.started_at = timezone.now()
            fields.append("started_at")
        response.language = language
        response.last_page = page.slug
        response.version += 1
        response.save(update_fields=fields)
        return SavedPage(version=response.version)


def response_submit(*, response_id: int, expected_version: int | None) -> SubmitOutcome:
    """Record the final submission exactly once; later calls report it was already done."""
    with transaction.atomic():
        response = Response.objects.select_for_update().select_related("wave").get(pk=response_id)
        if response.submitted_at is not None:
            return SubmitOutcome.ALREADY_SUBMITTED
        _check_open(response.wave, test=response.is_test)
        if expected_version is not None and response.version != expected_version:
            raise ResponseChangedError(
                "your answers changed in another window after this page was shown: check them again"
            )
        instrument = instrument_get(response.wave.instrument_key)
        answers = codes.answers_decode(bytes(response.answers), instrument)
        profile = codes.profile_decode(bytes(response.profile), instrument)
        missing = tuple(
            p.slug
            for p in journey_pages(instrument)
            if not page_complete(p, answers=answers, profile=profile)
        )
        if missing:
            raise ResponseIncompleteError("some questions are not answered yet", page_slugs=missing)
        updated = Response.objects.filter(pk=response_id, submitted_at__isnull=True).update(
            submitted_at=timezone.now(), version=F("version") + 1
        )
        verified = (
            bool(response.organisation_ref) or response.invitation_id is not None
        ) and not response.is_test
        if updated == 1 and verified and response.sector:
            # the sector's peer benchmark may have gained an organisation (open-link
            # responses never count towards it)
            wave_id, sector = response.wave_id, response.sector
            # robust: a failure to schedule is logged and never fails the submission
            transaction.on_commit(
                lambda: peer_snapshot_schedule(wave_id=wave_id, sector=sector), robust=True
            )
    return SubmitOutcome.SUBMITTED if updated == 1 else SubmitOutcome.ALREADY_SUBMITTED


def _check_open(wave: Wave, *, test: bool = False) -> None:
    if not wave_accepts_answers(wave=wave, test=test):
        raise WaveClosedError(f"the survey {wave.name} is not open for answers")


def _sector_value(instrument: Instrument, profile: dict[str, int]) -> str | None:
    if "sector" not in profile:
        return None
    try:
        return instrument.profile_question("sector").choice_by_code(profile["sector"]).value
    except KeyError:
        return None
