"""API authentication by token (``Authorization: Bearer crk_...``), with the rate limit.

Each request with a live token is counted against the token's limit
(``COLLABREADY_API_RATE`` requests per ``COLLABREADY_API_RATE_WINDOW`` seconds,
counted in the database so that every app server shares it); past it the API
answers 429 with ``Retry-After``. Every accepted use is audited.
"""

from __future__ import annotations

import math

from django.conf import settings
from django.http import HttpRequest
from django.utils import timezone
from ninja.security import HttpBearer

from collabready.web.access.policy import Principal, principal_for_user
from collabready.web.access.services import api_token_resolve, api_token_used
from collabready.web.api.common import ApiError
from collabready.web.surveys.models import AccessThrottle
from collabready.web.surveys.services.tokens import throttle_count


def _retry_after(key: str, window: int) -> int:
    started = AccessThrottle.objects.filter(key=key).values_list("window_started_at", flat=True)
    first = started.first()
    if first is None:
        return window
    left = window - (timezone.now() - first).total_seconds()
    return max(1, math.ceil(left))


class TokenAuth(HttpBearer):
    """A live API token; the request then acts as the token's user (their role)."""

    openapi_description = (
        "An API token created by an admin (`collabready-manage api_token create`), sent as "
        "`Authorization: Bearer crk_...`."
    )

    def authenticate(self, request: HttpRequest, token: str) -> Principal | None:
        found = api_token_resolve(token)
        if found is None:
            return None
        window = int(settings.COLLABREADY_API_RATE_WINDOW)
        key = f"api-token:{found.pk}"
        if throttle_count(key=key, window_seconds=window) > int(settings.COLLABREADY_API_RATE):
            retry = _retry_after(key, window)
            raise ApiError(
                429,
                f"more than {settings.COLLABREADY_API_RATE} requests in {window} s with this "
                f"token; try again in {retry} s",
                headers={"Retry-After": str(retry)},
            )
        api_token_used(token=found, method=request.method or "", path=request.path)
        request.api_token = found  # type: ignore[attr-defined]
        who = principal_for_user(found.user)
        return Principal(
            who.kind,
            user=who.user,
            personal_data=who.personal_data,
            label=found.label,
        )
