"""The open link: anonymous responses, and coming back with a resume code."""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from collabready.web.surveys.access import (
    client_address,
    session_open_response,
    session_response_id,
)
from collabready.web.surveys.errors import (
    TokenExpiredError,
    TokenInvalidError,
    TooManyAttemptsError,
    WaveClosedError,
)
from collabready.web.surveys.forms import ResumeCodeForm
from collabready.web.surveys.instruments import instrument_get
from collabready.web.surveys.models import Response, Wave
from collabready.web.surveys.selectors.waves import wave_get_open_link, wave_is_open
from collabready.web.surveys.services.responses import response_create
from collabready.web.surveys.services.tokens import token_expires_at, token_resolve


def _wave(slug: str) -> Wave:
    wave = wave_get_open_link(slug=slug)
    if wave is None:
        raise Http404("no open survey here")
    return wave


@require_http_methods(["GET", "POST"])
def open_start(request: HttpRequest, slug: str) -> HttpResponse:
    """The open link's start page; posting it starts a new anonymous response."""
    wave = _wave(slug)
    is_open = wave_is_open(wave=wave)
    if request.method == "POST":
        if not is_open:
            return render(request, "surveys/problem.html", {"problem": "closed"}, status=403)
        current = session_response_id(request)
        if (
            current is not None
            and Response.objects.filter(pk=current, wave=wave, submitted_at__isnull=True).exists()
        ):
            return redirect("surveys:start")  # a double click does not start two responses
        try:
            response = response_create(wave=wave, language=get_language() or "en")
        except WaveClosedError:
            return render(request, "surveys/problem.html", {"problem": "closed"}, status=403)
        session_open_response(request, response.pk)
        return redirect("surveys:start")
    instrument = instrument_get(wave.instrument_key)
    return render(
        request,
        "surveys/open_start.html",
        {
            "wave": wave,
            "instrument": instrument,
            "introduction": instrument.introduction.get(get_language() or "en"),
            "is_open": is_open,
            "token_expires_at": token_expires_at(wave),
        },
    )


@require_http_methods(["GET", "POST"])
def open_resume(request: HttpRequest, slug: str) -> HttpResponse:
    """Enter a resume code to continue an open-link response."""
    wave = _wave(slug)
    form = ResumeCodeForm(request.POST or None)
    status = 200
    if request.method == "POST" and form.is_valid():
        try:
            response = token_resolve(
                token=form.cleaned_data["code"], client=client_address(request)
            )
        except TooManyAttemptsError:
            form.add_error(
                "code",
                _(
                    "There have been too many attempts with links or codes we do not "
                    "recognise from your connection. Wait 10 minutes and try again."
                ),
            )
            status = 429
        except TokenExpiredError:
            form.add_error("code", _("This resume code has expired because the survey has closed"))
        except TokenInvalidError:
            form.add_error("code", _("Enter the resume code exactly as it appears in your email"))
        else:
            if response.wave_id != wave.pk:
                form.add_error(
                    "code", _("Enter the resume code exactly as it appears in your email")
                )
            else:
                session_open_response(request, response.pk)
                return redirect("surveys:start")
    return render(request, "surveys/open_resume.html", {"wave": wave, "form": form}, status=status)
