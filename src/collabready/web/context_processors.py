"""Template context every page needs: the service name, the language switch, and
whether a respondent is signed in (a separate processor: it reads the session)."""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest
from django.urls import translate_url
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

SERVICE_NAME = _("Collaboration Readiness Index")


def site(request: HttpRequest) -> dict[str, object]:
    """The service name and links to this page in each language."""
    current = get_language() or settings.LANGUAGE_CODE
    languages = [
        {
            "code": code,
            "name": name,
            "current": code == current,
            "href": translate_url(request.get_full_path(), code),
        }
        for code, name in settings.LANGUAGES
    ]
    return {"service_name": SERVICE_NAME, "language_links": languages}


def respondent(request: HttpRequest) -> dict[str, object]:
    """Whether this browser session holds a response (it then shows "Sign out")."""
    from collabready.web.surveys.access import SESSION_KEY

    session = getattr(request, "session", None)
    return {"respondent_signed_in": session is not None and SESSION_KEY in session}
