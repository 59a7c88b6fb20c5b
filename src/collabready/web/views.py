"""Site-wide pages: home, the health check, and the error pages (404, 500, 503)."""

from __future__ import annotations

import logging
import sys

from django.conf import settings
from django.db import DatabaseError, InterfaceError, OperationalError, connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.template.loader import render_to_string
from django.utils import timezone

from collabready.web.context_processors import site
from collabready.web.surveys.models import Wave

logger = logging.getLogger(__name__)


def home(request: HttpRequest) -> HttpResponse:
    now = timezone.now()
    waves = Wave.objects.filter(
        open_link_enabled=True, closed_at__isnull=True, opens_at__lte=now, closes_at__gt=now
    )
    return render(request, "home.html", {"waves": waves})


def health(request: HttpRequest) -> HttpResponse:
    """``/healthz``: 200 ``{"status": "ok", "database": "ok"}`` when a query succeeds,
    503 with the reason when the database cannot be reached."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except DatabaseError as exc:
        logger.warning("health check: database unavailable: %s", type(exc).__name__)
        return _health_unavailable(exc)
    return JsonResponse({"status": "ok", "database": "ok"})


def _health_unavailable(exc: BaseException) -> HttpResponse:
    return JsonResponse(
        {"status": "unavailable", "database": f"unavailable ({type(exc).__name__})"},
        status=503,
        headers={"Retry-After": str(settings.COLLABREADY_RETRY_AFTER_SECONDS)},
    )


def is_database_unavailable(exc: BaseException | None) -> bool:
    """Whether ``exc`` says the database cannot be reached (not a bad query)."""
    return isinstance(exc, OperationalError | InterfaceError)


def _plain_render(request: HttpRequest, template: str, status: int) -> HttpResponse:
    """An error page rendered without the request's context processors, none of which
    may touch the database (the session, the messages) when it is failing."""
    html = render_to_string(template, site(request))
    return HttpResponse(html, status=status)


def database_unavailable(request: HttpRequest, exc: BaseException) -> HttpResponse:
    """The styled 503 page: the database is unreachable; try again shortly."""
    logger.warning(
        "database unavailable (%s): answering 503 to %s %s",
        type(exc).__name__,
        request.method,
        request.path,
    )
    if request.path == "/healthz":
        return _health_unavailable(exc)
    response = _plain_render(request, "503.html", 503)
    response.headers["Retry-After"] = str(settings.COLLABREADY_RETRY_AFTER_SECONDS)
    return response


def permission_denied(request: HttpRequest, exception: Exception) -> HttpResponse:
    """The styled 403 page (``handler403``), with the policy's reason when it gave one."""
    reason = str(exception) if str(exception) not in ("", "None") else ""
    return render(request, "403.html", {"reason": reason}, status=403)


def page_not_found(request: HttpRequest, exception: Exception) -> HttpResponse:
    """The styled 404 page (``handler404``)."""
    return render(request, "404.html", status=404)


def server_error(request: HttpRequest) -> HttpResponse:
    """The styled 500 page (``handler500``); a 503 when the cause is the database."""
    exc = sys.exc_info()[1]
    if is_database_unavailable(exc):
        assert exc is not None
        return database_unavailable(request, exc)
    return _plain_render(request, "500.html", 500)
