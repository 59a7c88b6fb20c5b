"""The back office: staff create, edit, preview, test, close and reopen waves.

Invitations, e-mails and monitoring have their own view modules; every view
parses, calls one service or selector, and renders.
"""

from __future__ import annotations

import contextlib

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone, translation
from django.views.decorators.http import require_http_methods, require_POST

from collabready.errors import UserError
from collabready.web.access.policy import Action, visible_waves
from collabready.web.backoffice.forms import (
    InvitationUploadForm,
    WaveEditForm,
    WaveForm,
    last_day_of,
)
from collabready.web.backoffice.permissions import (
    may,
    object_for,
    principal_of,
    require,
    staff_required,
)
from collabready.web.surveys.access import session_open_response
from collabready.web.surveys.instruments import instrument_get, instrument_latest
from collabready.web.surveys.journey import journey_page, journey_pages, page_after, page_before
from collabready.web.surveys.models import Response, Wave
from collabready.web.surveys.presenters import page_view
from collabready.web.surveys.selectors.responses import ResponseState
from collabready.web.surveys.selectors.waves import (
    wave_has_opened,
    wave_summaries,
    wave_summary,
)
from collabready.web.surveys.services.emails import email_backend_is_console, public_url
from collabready.web.surveys.services.responses import response_new
from collabready.web.surveys.services.waves import (
    WaveError,
    wave_close,
    wave_create,
    wave_reopen,
    wave_set_open_link,
    wave_test_response,
    wave_test_responses_delete,
    wave_update,
)

__all__ = ["staff_required"]

MAX_UPLOAD_BYTES = 20 * 1024 * 1024


@staff_required
def home(request: HttpRequest) -> HttpResponse:
    waves = visible_waves(principal_of(request), Wave.objects.all())
    return render(
        request,
        "backoffice/home.html",
        {"summaries": wave_summaries(waves=waves), "can_create": may(request, Action.WAVE_CREATE)},
    )


@staff_required
def wave_new(request: HttpRequest) -> HttpResponse:
    require(request, Action.WAVE_CREATE)
    initial = {}
    with contextlib.suppress(ImportError, UserError):
        initial["instrument_key"] = instrument_latest().key
    form = WaveForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            wave = wave_create(**form.cleaned_data, actor=request.user)
        except WaveError as exc:
            for problem in exc.problems:
                form.add_error(None, problem)
        except UserError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, f"Wave {wave.name} created.")
            return redirect("backoffice:wave_detail", wave_id=wave.pk)
    return render(request, "backoffice/wave_new.html", {"form": form})


@staff_required
def wave_edit(request: HttpRequest, wave_id: int) -> HttpResponse:
    wave = object_for(request, Wave.objects.all(), wave_id, Action.WAVE_CHANGE)
    opened = wave_has_opened(wave=wave)
    initial = {
        "name": wave.name,
        "public_title": wave.public_title,
        "public_title_cy": wave.public_title_cy,
        "instrument_key": wave.instrument_key,
        "opens_on": timezone.localtime(wave.opens_at).date(),
        "closes_on": last_day_of(wave.closes_at),
        "privacy_notice": wave.privacy_notice,
        "open_link_enabled": wave.open_link_enabled,
    }
    form = WaveEditForm(
        request.POST or None,
        initial=initial,
        opened=opened,
        opens_at=wave.opens_at,
        closes_at=wave.closes_at,
    )
    if request.method == "POST" and form.is_valid():
        try:
            wave_update(wave_id=wave.pk, actor=request.user, **form.cleaned_data)
        except WaveError as exc:
            for problem in exc.problems:
                form.add_error(None, problem)
        except UserError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, f"Wave {wave.name} saved.")
            return redirect("backoffice:wave_detail", wave_id=wave.pk)
    return render(
        request,
        "backoffice/wave_edit.html",
        {"form": form, "wave": wave, "opened": opened},
        status=400 if form.errors else 200,
    )


@staff_required
def wave_detail(request: HttpRequest, wave_id: int) -> HttpResponse:
    wave = object_for(request, Wave.objects.all(), wave_id, Action.WAVE_VIEW)
    summary = wave_summary(wave_id=wave.pk)
    return render(
        request,
        "backoffice/wave_detail.html",
        {
            "summary": summary,
            "wave": wave,
            "last_day": last_day_of(wave.closes_at),
            "opened": wave_has_opened(wave=wave),
            "by_sector": summary.by_sector,
            "open_link": public_url(reverse("surveys:open_start", args=[wave.slug])),
            "upload_form": InvitationUploadForm(),
            "can_change": may(request, Action.WAVE_CHANGE, wave),
            "console_email": email_backend_is_console(),
            "test_responses": Response.objects.filter(wave=wave, is_test=True).count(),
            "first_page": journey_pages(instrument_get(wave.instrument_key))[0].slug,
        },
    )


@staff_required
def wave_preview(request: HttpRequest, wave_id: int, language: str, slug: str) -> HttpResponse:
    """One question page as a respondent sees it, in English or Welsh; nothing is saved
    (the page is drawn from an unsaved, empty response)."""
    wave = object_for(request, Wave.objects.all(), wave_id, Action.WAVE_VIEW)
    if language not in ("en", "cy"):
        raise Http404("no such language")
    instrument = instrument_get(wave.instrument_key)
    page = journey_page(instrument, slug)
    if page is None:
        raise Http404("no such page")
    state = ResponseState(
        response=response_new(wave=wave, instrument=instrument),
        instrument=instrument,
        answers={},
        profile={},
        open_answers={},
    )
    after, before = page_after(instrument, page), page_before(instrument, page)
    with translation.override(language):
        view = page_view(page, state, language=language)
        return render(
            request,
            "backoffice/wave_preview.html",
            {
                "wave": wave,
                "page": view,
                "language": language,
                "other_language": "cy" if language == "en" else "en",
                "next": after.slug if after else None,
                "previous": before.slug if before else None,
                "pages": journey_pages(instrument),
                "slug": slug,
            },
        )


@staff_required
@require_POST
def wave_test_start(request: HttpRequest, wave_id: int) -> HttpResponse:
    """Start a test response and open it in this browser session (test mode)."""
    wave = object_for(request, Wave.objects.all(), wave_id, Action.WAVE_CHANGE)
    language = "cy" if request.POST.get("language") == "cy" else "en"
    response = wave_test_response(wave_id=wave.pk, language=language, actor=request.user)
    session_open_response(request, response.pk)
    return redirect(("/cy" if language == "cy" else "") + reverse("surveys:start"))


@staff_required
@require_http_methods(["GET", "POST"])
def wave_test_delete(request: HttpRequest, wave_id: int) -> HttpResponse:
    wave = object_for(request, Wave.objects.all(), wave_id, Action.WAVE_CHANGE)
    count = Response.objects.filter(wave=wave, is_test=True).count()
    if request.method == "POST":
        deleted = wave_test_responses_delete(wave_id=wave.pk, actor=request.user)
        messages.success(request, f"Deleted {deleted} test response(s).")
        return redirect("backoffice:wave_detail", wave_id=wave.pk)
    return _confirm(
        request,
        wave,
        title="Delete the test responses",
        lines=[
            f"This deletes {count} test response(s) of {wave.name}. Real responses are not touched."
        ],
        button="Delete the test responses",
        warning=True,
    )


def _confirm(
    request: HttpRequest,
    wave: Wave,
    *,
    title: str,
    lines: list[str],
    button: str,
    warning: bool = False,
    hidden: dict[str, str] | None = None,
) -> HttpResponse:
    return render(
        request,
        "backoffice/confirm.html",
        {
            "wave": wave,
            "title": title,
            "lines": lines,
            "button": button,
            "warning": warning,
            "hidden": (hidden or {}).items(),
            "action": request.path,
        },
    )


@staff_required
@require_http_methods(["GET", "POST"])
def wave_close_view(request: HttpRequest, wave_id: int) -> HttpResponse:
    wave = object_for(request, Wave.objects.all(), wave_id, Action.WAVE_CHANGE)
    if request.method == "POST":
        if wave_close(wave_id=wave.pk, actor=request.user):
            messages.success(request, f"{wave.name} is closed: no more answers can be saved.")
        else:
            messages.info(request, f"{wave.name} was already closed.")
        return redirect("backoffice:wave_detail", wave_id=wave.pk)
    in_progress = Response.objects.filter(
        wave=wave, is_test=False, version__gt=0, submitted_at__isnull=True
    ).count()
    not_started = Response.objects.filter(
        wave=wave, is_test=False, version=0, submitted_at__isnull=True
    ).count()
    return _confirm(
        request,
        wave,
        title=f"Close {wave.name}",
        lines=[
            f"{in_progress} respondent(s) have started and not submitted: their saved answers "
            "are kept but they can no longer change or submit them.",
            f"{not_started} invitee(s) have not started and can no longer answer.",
            "No invitations or reminders are sent to a closed wave. You can reopen it before "
            "its closing date.",
        ],
        button="Close the wave",
        warning=True,
    )


@staff_required
@require_http_methods(["GET", "POST"])
def wave_reopen_view(request: HttpRequest, wave_id: int) -> HttpResponse:
    wave = object_for(request, Wave.objects.all(), wave_id, Action.WAVE_CHANGE)
    if request.method == "POST":
        try:
            reopened = wave_reopen(wave_id=wave.pk, actor=request.user)
        except WaveError as exc:
            messages.error(request, f"Not reopened: {exc}")
        else:
            messages.success(
                request, f"{wave.name} is open again." if reopened else "The wave was not closed."
            )
        return redirect("backoffice:wave_detail", wave_id=wave.pk)
    waiting = Response.objects.filter(wave=wave, is_test=False, submitted_at__isnull=True).count()
    return _confirm(
        request,
        wave,
        title=f"Reopen {wave.name}",
        lines=[
            f"{waiting} invitee(s) or respondent(s) who have not submitted will be able to "
            f"answer again until the end of {last_day_of(wave.closes_at):%d/%m/%Y}.",
        ],
        button="Reopen the wave",
    )


@staff_required
@require_POST
def wave_open_link_view(request: HttpRequest, wave_id: int) -> HttpResponse:
    wave = object_for(request, Wave.objects.all(), wave_id, Action.WAVE_CHANGE)
    enabled = request.POST.get("enabled") == "1"
    wave_set_open_link(wave_id=wave.pk, enabled=enabled, actor=request.user)
    messages.success(request, "Open link turned on." if enabled else "Open link turned off.")
    return redirect("backoffice:wave_detail", wave_id=wave.pk)
