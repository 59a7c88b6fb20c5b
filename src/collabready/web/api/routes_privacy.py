"""Data protection over the API: erasure on request, subject access."""

from __future__ import annotations

import json
from typing import Annotated, Any

from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from ninja import Router, Schema
from ninja.params import functions as params

from collabready.web.access.policy import Action
from collabready.web.api.common import ApiError, ObjectId, obtain, principal, require
from collabready.web.api.routes_responses import router as responses_router
from collabready.web.api.routes_waves import ERRORS
from collabready.web.api.schemas import Input
from collabready.web.audit.services import audit_record
from collabready.web.privacy.selectors import subject_access
from collabready.web.privacy.services.erasure import response_erase
from collabready.web.surveys.models import Response

router = Router(tags=["data protection"])


class ErasedOut(Schema):
    response_id: int
    wave_id: int
    invitation_deleted: bool
    links_deleted: int
    exports_withdrawn: int
    #: reports generated before the erasure are not rewritten (the audit log says so)
    reports_not_rewritten: int


class ErasureIn(Input):
    reason: str = ""


# on the responses router: one path, one router (ninja routes a path to one router only)
@responses_router.delete(
    "/responses/{response_id}", response={200: ErasedOut, **ERRORS}, tags=["data protection"]
)
def responses_erase(
    request: HttpRequest, response_id: ObjectId, body: ErasureIn | None = None
) -> Any:
    """Erase a response completely on the respondent's request (admins): the answers,
    links, invitation, the wave's exports; published reports are not rewritten."""
    obtain(request, Response.objects.all(), response_id, Action.RESPONSE_ERASE, "response")
    who = principal(request)
    done = response_erase(
        response_id=response_id,
        by="staff",
        actor=who.user,
        actor_label=who.label,
        reason=body.reason if body else "",
    )
    return {
        "response_id": done.response_id,
        "wave_id": done.wave_id,
        "invitation_deleted": done.invitation_deleted,
        "links_deleted": done.links_deleted,
        "exports_withdrawn": done.exports_withdrawn,
        "reports_not_rewritten": done.reports_not_rewritten,
    }


@router.get("/subject-access", response={200: dict[str, Any], **ERRORS})
def subject_access_get(
    request: HttpRequest, email: Annotated[str, params.Query(..., min_length=3, max_length=320)]
) -> HttpResponse:
    """Everything held about one e-mail address (roles granted personal data; audited)."""
    who = require(request, Action.PERSONAL_DATA_VIEW)
    if "\x00" in email:
        raise ApiError(422, "email: must not contain the NUL character")
    with transaction.atomic():
        held = subject_access(email=email)
        audit_record(
            "personal_data.subject_access",
            actor=who.user,
            actor_label=who.label,
            object_type="email",
            held=len(held["held"]),
        )
    body = json.dumps(held, cls=DjangoJSONEncoder)
    return HttpResponse(body, content_type="application/json")
