"""Every API error as RFC 9457 problem details (``application/problem+json``).

:func:`problem` builds one. :class:`ApiProblemMiddleware` makes sure nothing under
``/api/`` answers an error any other way: a 404 from the URL resolver, a 405, a
500 from an unexpected exception, Django's CSRF or size refusals, all become
problem details; no HTML page and no traceback ever leaves the API.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from http import HTTPStatus
from typing import Any

from django.http import HttpRequest, HttpResponse

logger = logging.getLogger(__name__)

PROBLEM_TYPE = "application/problem+json"
API_PREFIX = "/api/"


def problem(
    status: int,
    detail: str,
    *,
    title: str | None = None,
    errors: list[dict[str, Any]] | None = None,
    headers: dict[str, str] | None = None,
    instance: str | None = None,
) -> HttpResponse:
    """A problem-details response: ``type`` is ``about:blank`` (the status says it all),
    ``title`` the status phrase, ``detail`` what was wrong; ``errors`` lists every
    problem with where it is (``loc``) when there are several."""
    body: dict[str, Any] = {
        "type": "about:blank",
        "title": title or HTTPStatus(status).phrase,
        "status": status,
        "detail": detail,
    }
    if instance:
        body["instance"] = instance
    if errors:
        body["errors"] = errors
    response = HttpResponse(json.dumps(body), status=status, content_type=PROBLEM_TYPE)
    for name, value in (headers or {}).items():
        response[name] = value
    return response


_DETAILS = {
    400: "the request could not be read",
    403: "you may not do this",
    404: "there is nothing at this address in the API",
    405: "this address does not accept the {method} method",
    413: "the request is too large",
}


class ApiProblemMiddleware:
    """Turn any non-JSON error under /api/ into problem details, and any exception
    under /api/ into a 500 problem (the traceback goes to the server log only)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if not request.path.startswith(API_PREFIX) or response.status_code < 400:
            return response
        content_type = response.get("Content-Type", "")
        if content_type.startswith((PROBLEM_TYPE, "application/json")):
            if content_type.startswith("application/json"):
                response["Content-Type"] = PROBLEM_TYPE
            return response
        status = response.status_code
        detail = _DETAILS.get(status, HTTPStatus(status).phrase.lower()).format(
            method=request.method
        )
        replaced = problem(status, detail, instance=request.path)
        for header in ("Allow", "Retry-After", "WWW-Authenticate"):
            if response.has_header(header):
                replaced[header] = response[header]
        return replaced

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if not request.path.startswith(API_PREFIX):
            return None
        logger.exception("API error on %s %s", request.method, request.path, exc_info=exception)
        return problem(
            500,
            f"an unexpected error ({type(exception).__name__}); the details are in the server log",
            instance=request.path,
        )
