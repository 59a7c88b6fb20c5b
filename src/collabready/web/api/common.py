"""What every endpoint shares: the principal, object look-up through the policy,
API errors, cursor pagination and ETags.

Cursor pagination: a list answers ``{"items": [...], "next_cursor": ...}``, in
ascending id order; pass ``next_cursor`` back as ``cursor`` for the next page
(``null``: no more). ``limit`` defaults to :data:`DEFAULT_LIMIT` and may be at
most :data:`MAX_LIMIT`. The cursor is the last id seen, so a page never skips
or repeats a row when rows are added meanwhile, and each page is one indexed
range read however deep it is.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import math
from typing import Annotated, Any, TypeVar

from django.db.models import Model, QuerySet
from django.http import HttpRequest, HttpResponse
from ninja.params import functions as params

from collabready.web.access.policy import (
    NOBODY,
    Action,
    Decision,
    Principal,
    decide,
    forbidden_reason,
)

DEFAULT_LIMIT = 100
MAX_LIMIT = 1000
#: ids are 64-bit; larger numbers are refused as invalid rather than looked up
MAX_ID = 2**63 - 1
#: an object id in a path
ObjectId = Annotated[int, params.Path(..., ge=1, le=MAX_ID)]

M = TypeVar("M", bound=Model)


class ApiError(Exception):
    """An error answered as problem details."""

    def __init__(
        self,
        status: int,
        detail: str,
        *,
        errors: list[dict[str, Any]] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(detail)
        self.status = status
        self.detail = detail
        self.errors = errors
        self.headers = headers or {}


def principal(request: HttpRequest) -> Principal:
    found = getattr(request, "auth", None)
    return found if isinstance(found, Principal) else NOBODY


def not_found(what: str) -> ApiError:
    """The one answer for an object that does not exist and for one the caller may not see."""
    return ApiError(404, f"no {what} with this id (or you may not see it)")


def obtain(request: HttpRequest, rows: QuerySet[M], pk: int, action: Action, what: str) -> M:
    """The object ``pk`` of ``rows`` if the caller may do ``action`` on it: 404 when it
    does not exist or they may not see it (the same answer), 403 when they may see it
    but not do this."""
    obj = rows.filter(pk=pk).first()
    if obj is None:
        raise not_found(what)
    decision = decide(principal(request), action, obj)
    if decision is Decision.NOT_FOUND:
        raise not_found(what)
    if decision is Decision.FORBIDDEN:
        reason = forbidden_reason(principal(request), action, obj)
        raise ApiError(403, f"{reason} (on this {what})")
    return obj


def require(request: HttpRequest, action: Action) -> Principal:
    """The caller, if they may do ``action`` (on no particular object); else 403."""
    who = principal(request)
    if decide(who, action) is not Decision.ALLOW:
        raise ApiError(403, f"your role may not do this ({action.value})")
    return who


def check_limit(limit: int) -> int:
    if not 1 <= limit <= MAX_LIMIT:
        raise ApiError(
            422,
            f"limit {limit}: give 1 to {MAX_LIMIT} (the default is {DEFAULT_LIMIT})",
            errors=[{"loc": ["query", "limit"], "msg": f"between 1 and {MAX_LIMIT}"}],
        )
    return limit


def cursor_encode(last_id: int) -> str:
    return base64.urlsafe_b64encode(f"after:{last_id}".encode()).decode().rstrip("=")


def cursor_decode(cursor: str | None) -> int:
    """The id after which the page starts (0: the first page)."""
    if not cursor:
        return 0
    try:
        text = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        prefix, _, number = text.partition(":")
        if prefix != "after" or not number.isdigit() or len(number) > 18:
            raise ValueError(text)
        return int(number)
    except (ValueError, UnicodeDecodeError, binascii.Error):
        raise ApiError(
            422,
            "cursor: not a cursor this API gave; pass next_cursor from the previous page",
            errors=[{"loc": ["query", "cursor"], "msg": "unknown cursor"}],
        ) from None


def page_of(rows: QuerySet[M], *, cursor: str | None, limit: int) -> tuple[list[M], str | None]:
    """One page of ``rows`` by ascending id, and the cursor of the next page."""
    after = cursor_decode(cursor)
    items = list(rows.filter(pk__gt=after).order_by("pk")[: check_limit(limit) + 1])
    more = len(items) > limit
    items = items[:limit]
    return items, cursor_encode(int(items[-1].pk)) if more and items else None


def finite(value: float) -> float | None:
    """JSON has no NaN: a figure without a value is null."""
    return None if value is None or math.isnan(value) else float(value)


def etagged(request: HttpRequest, body: str) -> HttpResponse:
    """``body`` (JSON) with a strong ETag; ``304 Not Modified`` when the client's
    ``If-None-Match`` already names it."""
    tag = '"' + hashlib.sha256(body.encode("utf-8")).hexdigest()[:32] + '"'
    wanted = request.headers.get("If-None-Match", "")
    if tag in [t.strip() for t in wanted.split(",")] or wanted.strip() == "*":
        response = HttpResponse(status=304)
    else:
        response = HttpResponse(body, content_type="application/json")
    response["ETag"] = tag
    response["Cache-Control"] = "private, no-cache"
    return response
