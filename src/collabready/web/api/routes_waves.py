"""Instruments (read), waves (create, read, update, close), invitations (bulk create, status)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Annotated, Any

from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from django.http import HttpRequest
from ninja import Router, Status
from ninja.params import functions as params

from collabready.web.access.policy import Action, may, visible_waves
from collabready.web.api.common import (
    DEFAULT_LIMIT,
    ApiError,
    ObjectId,
    etagged,
    obtain,
    page_of,
    principal,
    require,
)
from collabready.web.api.schemas import (
    InstrumentOut,
    InstrumentSummary,
    InvitationPage,
    InvitationsCreated,
    InvitationsIn,
    Problem,
    WaveIn,
    WaveOut,
    WavePage,
    WavePatch,
)
from collabready.web.api.selectors import (
    instrument_detail,
    instrument_summary,
    invitation_rows,
    invitation_status,
)
from collabready.web.audit.services import audit_record
from collabready.web.surveys.errors import InvitationImportError
from collabready.web.surveys.instruments import instrument_get, instruments_available
from collabready.web.surveys.models import Wave
from collabready.web.surveys.services.invitations import invitations_import_rows
from collabready.web.surveys.services.waves import wave_close, wave_create, wave_update

router = Router()

ERRORS: dict[int, Any] = {
    400: Problem,
    401: Problem,
    403: Problem,
    404: Problem,
    409: Problem,
    422: Problem,
    429: Problem,
}
YEARS = (2000, 2200)


def _json(data: Any) -> str:
    return json.dumps(data, cls=DjangoJSONEncoder, separators=(",", ":"))


def aware(value: datetime, field: str) -> datetime:
    """A date-time with a time zone (UTC when none is given), within sensible years."""
    if not YEARS[0] <= value.year <= YEARS[1]:
        raise ApiError(
            422,
            f"{field}: {value.isoformat()} is not between {YEARS[0]} and {YEARS[1]}",
            errors=[{"loc": ["body", field], "msg": "year out of range"}],
        )
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


@router.get("/instruments", response={200: list[InstrumentSummary], **ERRORS}, tags=["instruments"])
def instruments_list(request: HttpRequest) -> Any:
    """The questionnaire versions a wave can use."""
    require(request, Action.WAVE_VIEW)
    return [instrument_summary(i) for i in instruments_available()]


@router.get("/instruments/{key}", response={200: InstrumentOut, **ERRORS}, tags=["instruments"])
def instrument_get_one(
    request: HttpRequest, key: Annotated[str, params.Path(..., max_length=100)]
) -> Any:
    """One questionnaire as data (``item_order`` is the order of a response's answers)."""
    require(request, Action.WAVE_VIEW)
    known = {i.key for i in instruments_available()}
    if key not in known:
        raise ApiError(404, f"no instrument {key!r} (known: {', '.join(sorted(known))})")
    return etagged(request, _json(instrument_detail(instrument_get(key))))


@router.get("/waves", response={200: WavePage, **ERRORS}, tags=["waves"])
def waves_list(request: HttpRequest, cursor: str | None = None, limit: int = DEFAULT_LIMIT) -> Any:
    """The waves you may see, oldest first."""
    who = require(request, Action.WAVE_VIEW)
    items, next_cursor = page_of(visible_waves(who, Wave.objects.all()), cursor=cursor, limit=limit)
    return {"items": items, "next_cursor": next_cursor}


@router.post("/waves", response={201: WaveOut, **ERRORS}, tags=["waves"])
def waves_create(request: HttpRequest, body: WaveIn) -> Any:
    """Create a wave (admins)."""
    require(request, Action.WAVE_CREATE)
    wave = wave_create(
        slug=body.slug,
        name=body.name,
        public_title=body.public_title,
        public_title_cy=body.public_title_cy,
        instrument_key=body.instrument_key,
        opens_at=aware(body.opens_at, "opens_at"),
        closes_at=aware(body.closes_at, "closes_at"),
        privacy_notice=body.privacy_notice,
        open_link_enabled=body.open_link_enabled,
        actor=principal(request).user,
    )
    return Status(201, wave)


@router.get("/waves/{wave_id}", response={200: WaveOut, **ERRORS}, tags=["waves"])
def waves_get(request: HttpRequest, wave_id: ObjectId) -> Any:
    return obtain(request, Wave.objects.all(), wave_id, Action.WAVE_VIEW, "wave")


@router.patch("/waves/{wave_id}", response={200: WaveOut, **ERRORS}, tags=["waves"])
def waves_update(request: HttpRequest, body: WavePatch, wave_id: ObjectId) -> Any:
    """Change the name, public title, closing date, privacy notice or open link (admins);
    once the wave has opened, only the name, a later closing date and the open link."""
    wave = obtain(request, Wave.objects.all(), wave_id, Action.WAVE_CHANGE, "wave")
    changes = {
        "name": body.name,
        "public_title": body.public_title,
        "public_title_cy": body.public_title_cy,
        "closes_at": aware(body.closes_at, "closes_at") if body.closes_at else None,
        "privacy_notice": body.privacy_notice,
        "open_link_enabled": body.open_link_enabled,
    }
    return wave_update(
        wave_id=wave.pk,
        actor=principal(request).user,
        **{field: value for field, value in changes.items() if value is not None},
    )


@router.post("/waves/{wave_id}/close", response={200: WaveOut, **ERRORS}, tags=["waves"])
def waves_close(request: HttpRequest, wave_id: ObjectId) -> Any:
    """Close the wave now (no more answers); closing a closed wave changes nothing."""
    wave = obtain(request, Wave.objects.all(), wave_id, Action.WAVE_CHANGE, "wave")
    wave_close(wave_id=wave.pk, actor=principal(request).user)
    return Wave.objects.get(pk=wave.pk)


@router.post(
    "/waves/{wave_id}/invitations",
    response={201: InvitationsCreated, **ERRORS},
    tags=["invitations"],
)
def invitations_create(request: HttpRequest, body: InvitationsIn, wave_id: ObjectId) -> Any:
    """Invite people (the checks of the CSV upload; all or nothing, every problem listed)."""
    wave = obtain(request, Wave.objects.all(), wave_id, Action.INVITATION_CREATE, "wave")
    rows = [i.model_dump() for i in body.invitations]
    try:
        result = invitations_import_rows(wave=wave, rows=rows)
    except InvitationImportError as exc:
        raise ApiError(
            422,
            f"{len(exc.problems)} problem(s) in the invitations; none was created",
            errors=[{"loc": ["body", "invitations"], "msg": p} for p in exc.problems],
        ) from None
    return Status(201, {"created": result.created})


@router.get(
    "/waves/{wave_id}/invitations", response={200: InvitationPage, **ERRORS}, tags=["invitations"]
)
def invitations_list(
    request: HttpRequest,
    wave_id: ObjectId,
    cursor: str | None = None,
    limit: int = DEFAULT_LIMIT,
) -> Any:
    """Who is invited and how far they got; e-mail addresses and names only for roles
    granted personal data (each such read is audited)."""
    wave = obtain(request, Wave.objects.all(), wave_id, Action.INVITATION_VIEW, "wave")
    who = principal(request)
    personal = may(who, Action.PERSONAL_DATA_VIEW, wave)
    items, next_cursor = page_of(invitation_rows(wave=wave), cursor=cursor, limit=limit)
    if personal and items:
        with transaction.atomic():
            audit_record(
                "personal_data.view",
                actor=who.user,
                actor_label=who.label,
                obj=wave,
                what="invitations",
                count=len(items),
            )
    return {
        "items": [invitation_status(i, personal=personal) for i in items],
        "next_cursor": next_cursor,
    }
