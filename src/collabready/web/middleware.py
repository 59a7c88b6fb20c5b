"""Middleware of our own: response headers Django's settings do not cover, the idle
session timeout, and the 503 page when the database is unreachable."""

from __future__ import annotations

import time
from collections.abc import Callable

from django.conf import settings
from django.contrib.auth.backends import RemoteUserBackend
from django.contrib.auth.middleware import PersistentRemoteUserMiddleware
from django.http import HttpRequest, HttpResponse

#: No inline scripts or styles anywhere: everything comes from our own origin.
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "font-src 'self'; object-src 'none'; base-uri 'self'; form-action 'self'; "
    "frame-ancestors 'none'"
)


class SecurityHeadersMiddleware:
    """Adds a Content-Security-Policy and a Permissions-Policy to every page."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if request.path.startswith("/admin/"):
            # Django's admin uses inline scripts and styles of its own.
            response.headers.setdefault(
                "Content-Security-Policy", "frame-ancestors 'none'; object-src 'none'"
            )
        else:
            response.headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
        response.headers.setdefault(
            "Permissions-Policy", "camera=(), microphone=(), geolocation=(), interest-cohort=()"
        )
        return response


class NoStoreMiddleware:
    """``Cache-Control: no-store`` on every page this app renders (respondent pages, the
    back office, the admin): they show personal answers, so no browser or proxy may keep
    a copy. Static files never reach here (WhiteNoise answers them first)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if "no-store" not in response.headers.get("Cache-Control", ""):
            response.headers["Cache-Control"] = "no-store"
        return response


class IdleSessionMiddleware:
    """End a session that has been idle longer than ``COLLABREADY_SESSION_IDLE_MINUTES``.

    The session's expiry is ``SESSION_COOKIE_AGE`` (set to the idle timeout) from its last
    save; a session in use is saved again at most once a minute (``_seen``), which
    moves the expiry on, so the server forgets a session idle for longer than the
    timeout, and this middleware also refuses one whose last activity is too old.
    """

    TOUCH_SECONDS = 60

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        session = request.session
        if not session.is_empty():
            now = int(time.time())
            seen = session.get(SEEN_KEY)
            idle_limit = settings.COLLABREADY_SESSION_IDLE_MINUTES * 60
            if isinstance(seen, int) and now - seen > idle_limit:
                session.flush()
                if hasattr(request, "user"):
                    from django.contrib.auth.models import AnonymousUser

                    request.user = AnonymousUser()
            elif not isinstance(seen, int) or now - seen >= self.TOUCH_SECONDS:
                session[SEEN_KEY] = now
        return self.get_response(request)


SEEN_KEY = "_collabready_seen"


class DatabaseUnavailableMiddleware:
    """A styled 503 page with ``Retry-After`` when the database cannot be reached.

    A view that fails with :class:`~django.db.OperationalError` or
    :class:`~django.db.InterfaceError` (PostgreSQL restarting, a connection dropped)
    gets the "try again in a moment" page instead of a 500; the next request opens a
    fresh connection. Failures outside a view (saving the session) reach the same
    page through ``views.server_error``.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        from collabready.web.views import database_unavailable, is_database_unavailable

        if is_database_unavailable(exception):
            return database_unavailable(request, exception)
        return None


class SingleSignOnMiddleware(PersistentRemoteUserMiddleware):
    """Staff signed in by an authenticating proxy: the username comes from the header
    named by ``COLLABREADY_SSO_HEADER`` (only when that setting is on; the proxy must
    strip the header from clients' requests)."""

    header = "HTTP_" + settings.COLLABREADY_SSO_HEADER.upper().replace("-", "_")


class SingleSignOnBackend(RemoteUserBackend):
    """Only staff accounts that already exist can come in by single sign-on."""

    create_unknown_user = False
