"""Which response the current browser session may reach (one, at most)."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Concatenate, ParamSpec

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

SESSION_KEY = "collabready_response_id"

P = ParamSpec("P")


def session_response_id(request: HttpRequest) -> int | None:
    value = request.session.get(SESSION_KEY)
    return int(value) if isinstance(value, int) else None


def session_open_response(request: HttpRequest, response_id: int) -> None:
    """Let this session reach ``response_id`` (and nothing else it reached before)."""
    request.session.cycle_key()
    request.session[SESSION_KEY] = response_id


def client_address(request: HttpRequest) -> str:
    """The client's address, used to count failed token look-ups and e-mails.

    ``REMOTE_ADDR``, unless ``COLLABREADY_TRUSTED_PROXY_HEADER`` names a header that
    the proxy in front sets (``X-Forwarded-For``, ``X-Real-IP``): then the address the
    proxy saw, which is the last entry of that header (entries before it were sent by
    the client, and can be forged). Set it only behind a proxy that sets the header.
    """
    header = settings.COLLABREADY_TRUSTED_PROXY_HEADER
    if header:
        meta_key = "HTTP_" + header.upper().replace("-", "_")
        forwarded = str(request.META.get(meta_key) or "")
        entries = [part.strip() for part in forwarded.split(",") if part.strip()]
        if entries:
            return entries[-1][:64]
    return str(request.META.get("REMOTE_ADDR") or "unknown")


def _exists(response_id: int) -> bool:
    from collabready.web.surveys.models import Response

    return bool(Response.objects.filter(pk=response_id).exists())


def _no_session(request: HttpRequest) -> HttpResponse:
    return render(request, "surveys/no_session.html", status=403)


def respondent_required(
    view: Callable[Concatenate[HttpRequest, int, P], HttpResponse],
) -> Callable[..., HttpResponse]:
    """Views for a respondent: pass the session's response id, or explain how to get in.

    The response is checked to exist first (one query); a view that reads the
    response itself before anything else uses :func:`respondent_loading` instead.
    """

    @wraps(view)
    def wrapper(request: HttpRequest, *args: P.args, **kwargs: P.kwargs) -> HttpResponse:
        response_id = session_response_id(request)
        if response_id is not None and not _exists(response_id):
            request.session.pop(SESSION_KEY, None)  # erased meanwhile (e.g. from another tab)
            response_id = None
        if response_id is None:
            return _no_session(request)
        return _gone_is_no_session(view, request, response_id, *args, **kwargs)

    return wrapper


def respondent_loading(
    view: Callable[Concatenate[HttpRequest, int, P], HttpResponse],
) -> Callable[..., HttpResponse]:
    """Like :func:`respondent_required`, for a view whose first step reads (or saves)
    the session's response through the survey selectors and services: they raise
    :class:`~collabready.web.surveys.errors.ResponseGoneError` when it no longer
    exists, so no separate query checks it first (the page save's hot path)."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: P.args, **kwargs: P.kwargs) -> HttpResponse:
        response_id = session_response_id(request)
        if response_id is None:
            return _no_session(request)
        return _gone_is_no_session(view, request, response_id, *args, **kwargs)

    return wrapper


def _gone_is_no_session(
    view: Callable[Concatenate[HttpRequest, int, P], HttpResponse],
    request: HttpRequest,
    response_id: int,
    *args: P.args,
    **kwargs: P.kwargs,
) -> HttpResponse:
    from collabready.web.surveys.errors import ResponseGoneError

    try:
        return view(request, response_id, *args, **kwargs)
    except ResponseGoneError:
        request.session.pop(SESSION_KEY, None)  # erased meanwhile (e.g. from another tab)
        return _no_session(request)
