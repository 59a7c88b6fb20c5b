"""The back office: staff create waves, import invitations, send e-mails, close waves."""

from __future__ import annotations

import contextlib

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from collabready.errors import UserError
from collabready.web.access.policy import Action, visible_waves
from collabready.web.backoffice.forms import InvitationUploadForm, WaveForm
from collabready.web.backoffice.permissions import (
    may,
    object_for,
    principal_of,
    require,
    staff_required,
)
from collabready.web.surveys.errors import InvitationImportError
from collabready.web.surveys.instruments import instrument_latest
from collabready.web.surveys.models import Wave
from collabready.web.surveys.selectors.waves import (
    wave_submissions_by_sector,
    wave_summaries,
    wave_summary,
)
from collabready.web.surveys.services.invitations import invitations_import_csv, invitations_send
from collabready.web.surveys.services.waves import wave_close, wave_create, wave_set_open_link

__all__ = ["staff_required"]  # the views_* modules import it from here


def _wave(request: HttpRequest, wave_id: int, action: Action) -> Wave:
    return object_for(request, Wave.objects.all(), wave_id, action)


MAX_UPLOAD_BYTES = 20 * 1024 * 1024


def _base_url(request: HttpRequest) -> str:
    return str(request.build_absolute_uri("/")).rstrip("/")


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
            wave = wave_create(**form.cleaned_data)
        except UserError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, f"Wave {wave.name} created.")
            return redirect("backoffice:wave_detail", wave_id=wave.pk)
    return render(request, "backoffice/wave_new.html", {"form": form})


@staff_required
def wave_detail(request: HttpRequest, wave_id: int) -> HttpResponse:
    wave = _wave(request, wave_id, Action.WAVE_VIEW)
    return render(
        request,
        "backoffice/wave_detail.html",
        {
            "summary": wave_summary(wave_id=wave.pk),
            "wave": wave,
            "by_sector": wave_submissions_by_sector(wave=wave),
            "open_link": _base_url(request) + reverse("surveys:open_start", args=[wave.slug]),
            "upload_form": InvitationUploadForm(),
            "can_change": may(request, Action.WAVE_CHANGE, wave),
        },
    )


@staff_required
def invitations_upload(request: HttpRequest, wave_id: int) -> HttpResponse:
    wave = _wave(request, wave_id, Action.INVITATION_CREATE)
    form = InvitationUploadForm(request.POST or None, request.FILES or None)
    problems: list[str] = []
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        if upload.size > MAX_UPLOAD_BYTES:
            problems = [f"the file is larger than {MAX_UPLOAD_BYTES // (1024 * 1024)} MB"]
        else:
            try:
                result = invitations_import_csv(wave=wave, data=upload.read())
            except InvitationImportError as exc:
                problems = exc.problems
            else:
                messages.success(request, f"Imported {result.created} invitations.")
                return redirect("backoffice:wave_detail", wave_id=wave.pk)
    return render(
        request,
        "backoffice/invitations_upload.html",
        {"wave": wave, "form": form, "problems": problems},
        status=400 if problems else 200,
    )


@staff_required
@require_POST
def invitations_send_view(request: HttpRequest, wave_id: int) -> HttpResponse:
    wave = _wave(request, wave_id, Action.INVITATION_CREATE)
    reminder = request.POST.get("kind") == "reminder"
    sent = invitations_send(wave=wave, base_url=_base_url(request), reminder=reminder)
    what = "reminders" if reminder else "invitations"
    messages.success(request, f"Sent {sent} {what}.")
    return redirect("backoffice:wave_detail", wave_id=wave.pk)


@staff_required
@require_POST
def wave_close_view(request: HttpRequest, wave_id: int) -> HttpResponse:
    wave = _wave(request, wave_id, Action.WAVE_CHANGE)
    if wave_close(wave_id=wave.pk):
        messages.success(request, f"{wave.name} is closed: no more answers can be saved.")
    else:
        messages.info(request, f"{wave.name} was already closed.")
    return redirect("backoffice:wave_detail", wave_id=wave.pk)


@staff_required
@require_POST
def wave_open_link_view(request: HttpRequest, wave_id: int) -> HttpResponse:
    wave = _wave(request, wave_id, Action.WAVE_CHANGE)
    enabled = request.POST.get("enabled") == "1"
    wave_set_open_link(wave_id=wave.pk, enabled=enabled)
    messages.success(request, "Open link turned on." if enabled else "Open link turned off.")
    return redirect("backoffice:wave_detail", wave_id=wave.pk)
