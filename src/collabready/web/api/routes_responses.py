"""Responses (submit idempotently, list, read), scores, and aggregates through the gate."""

from __future__ import annotations

import json
from typing import Annotated, Any

from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from ninja import Router
from ninja.params import functions as params

from collabready.web.access.models import ApiToken
from collabready.web.access.policy import Action, figures_until, may
from collabready.web.api.common import (
    DEFAULT_LIMIT,
    ApiError,
    ObjectId,
    etagged,
    obtain,
    page_of,
    principal,
)
from collabready.web.api.routes_waves import ERRORS
from collabready.web.api.schemas import (
    AggregatesOut,
    ResponseIn,
    ResponseOut,
    ResponsePage,
    ScoresOut,
)
from collabready.web.api.selectors import (
    response_data,
    response_rows,
    response_scores,
    wave_aggregates,
)
from collabready.web.api.services import fingerprint, idempotent
from collabready.web.audit.services import audit_record
from collabready.web.surveys.errors import WaveClosedError
from collabready.web.surveys.instruments import instrument_get
from collabready.web.surveys.models import Response, Wave
from collabready.web.surveys.services.submissions import SubmissionError, response_submit_complete

router = Router()


def _json(data: Any) -> str:
    return json.dumps(data, cls=DjangoJSONEncoder, separators=(",", ":"))


def _personal_read(request: HttpRequest, obj: Wave | Response, what: str, count: int) -> None:
    who = principal(request)
    with transaction.atomic():
        audit_record(
            "personal_data.view",
            actor=who.user,
            actor_label=who.label,
            obj=obj,
            what=what,
            count=count,
        )


@router.post(
    "/waves/{wave_id}/responses",
    response={201: ResponseOut, **ERRORS},
    tags=["responses"],
)
def responses_submit(
    request: HttpRequest,
    body: ResponseIn,
    wave_id: ObjectId,
    idempotency_key: Annotated[str | None, params.Header(None, alias="Idempotency-Key")] = None,
) -> Any:
    """Submit a complete response from an integration. Send an ``Idempotency-Key``: the
    same key with the same body again answers the stored response (201 again, with
    ``Idempotent-Replayed: true``) and stores nothing; the same key with another body is
    refused (422)."""
    wave = obtain(request, Wave.objects.all(), wave_id, Action.RESPONSE_SUBMIT, "wave")
    token: ApiToken = request.api_token  # type: ignore[attr-defined]
    payload = body.model_dump()
    instrument = instrument_get(wave.instrument_key)

    def run() -> tuple[int, dict[str, Any], int | None]:
        try:
            stored = response_submit_complete(wave=wave, **payload)
        except SubmissionError as exc:
            raise ApiError(
                422,
                str(exc),
                errors=[
                    {"loc": ["body", *loc.split(".")], "msg": msg} for loc, msg in exc.problems
                ],
            ) from None
        except WaveClosedError as exc:
            raise ApiError(409, str(exc)) from None
        return 201, json.loads(_json(response_data(stored, instrument, personal=False))), stored.pk

    outcome = idempotent(
        token=token,
        key=idempotency_key,
        print_=fingerprint(method="POST", path=request.path, payload=payload),
        run=run,
    )
    answer = HttpResponse(
        _json(outcome.body), status=outcome.status, content_type="application/json"
    )
    answer["Idempotent-Replayed"] = "true" if outcome.replayed else "false"
    return answer


@router.get(
    "/waves/{wave_id}/responses", response={200: ResponsePage, **ERRORS}, tags=["responses"]
)
def responses_list(
    request: HttpRequest,
    wave_id: ObjectId,
    cursor: str | None = None,
    limit: int = DEFAULT_LIMIT,
) -> HttpResponse:
    """The wave's submitted responses, a page at a time (with an ETag)."""
    wave = obtain(request, Wave.objects.all(), wave_id, Action.RESPONSE_VIEW, "wave")
    personal = may(principal(request), Action.PERSONAL_DATA_VIEW, wave)
    instrument = instrument_get(wave.instrument_key)
    items, next_cursor = page_of(response_rows(wave=wave), cursor=cursor, limit=limit)
    if personal and items:
        _personal_read(request, wave, "responses (open answers)", len(items))
    body = {
        "items": [response_data(r, instrument, personal=personal) for r in items],
        "next_cursor": next_cursor,
    }
    return etagged(request, _json(body))


@router.get("/responses/{response_id}", response={200: ResponseOut, **ERRORS}, tags=["responses"])
def responses_get(request: HttpRequest, response_id: ObjectId) -> Any:
    response = obtain(
        request,
        Response.objects.select_related("wave"),
        response_id,
        Action.RESPONSE_VIEW,
        "response",
    )
    personal = may(principal(request), Action.PERSONAL_DATA_VIEW, response)
    if personal:
        _personal_read(request, response, "response (open answers)", 1)
    return response_data(response, instrument_get(response.wave.instrument_key), personal=personal)


@router.get("/responses/{response_id}/scores", response={200: ScoresOut, **ERRORS}, tags=["scores"])
def responses_scores(request: HttpRequest, response_id: ObjectId) -> Any:
    """The response's 0-100 scores and readiness level (the core's scoring)."""
    response = obtain(
        request,
        Response.objects.select_related("wave"),
        response_id,
        Action.SCORES_VIEW,
        "response",
    )
    return response_scores(response)


@router.get(
    "/waves/{wave_id}/aggregates", response={200: AggregatesOut, **ERRORS}, tags=["aggregates"]
)
def aggregates(
    request: HttpRequest,
    wave_id: ObjectId,
    by: Annotated[list[str] | None, params.Query(None)] = None,
) -> HttpResponse:
    """Weighted means (index, blocks, commitment, capacity, gap) overall and by each ``by``
    grouping, every cell through the disclosure gate: withheld cells have a null
    ``estimate`` and say why in ``status``. Needs the wave's margins."""
    wave = obtain(request, Wave.objects.all(), wave_id, Action.AGGREGATES_VIEW, "wave")
    by = by or []
    if len(by) > 5:
        raise ApiError(422, "by: at most 5 groupings")
    until = figures_until(principal(request), wave)
    return etagged(request, _json(wave_aggregates(wave=wave, by=by, submitted_until=until)))
