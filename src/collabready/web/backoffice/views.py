"""The back office: staff create waves, import invitations, send e-mails, close waves."""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from typing import TypeVar

from django.contrib import messages
from django.contrib.admin.views.decorators import staff_member_required
from django.http import HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from collabready.errors import UserError
from collabready.web.backoffice.forms import InvitationUploadForm, WaveForm
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

_View = TypeVar("_View", bound=Callable[..., HttpResponseBase])


def staff_required(view: _View) -> _View:
    """Staff only: anyone else is sent to the back-office sign-in page."""
    return staff_member_required(view, login_url="backoffice:login")


MAX_UPLOAD_BYTES = 20 * 1024 * 1024


def _base_url(request: HttpRequest) -> str:
    return str(request.build_absolute_uri("/")).rstrip("/")


@staff_required
def home(request: HttpRequest) -> HttpResponse:
    return render(request, "backoffice/home.html", {"summaries": wave_summaries()})


@staff_required
def wave_new(request: HttpRequest) -> HttpResponse:
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
    wave = get_object_or_404(Wave, pk=wave_id)
    return render(
        request,
        "backoffice/wave_detail.html",
        {
            "summary": wave_summary(wave_id=wave.pk),
            "wave": wave,
            "by_sector": wave_submissions_by_sector(wave=wave),
            "open_link": _base_url(request) + reverse("surveys:open_start", args=[wave.slug]),
            "upload_form": InvitationUploadForm(),
        },
    )


@staff_required
def invitations_upload(request: HttpRequest, wave_id: int) -> HttpResponse:
    wave = get_object_or_404(Wave, pk=wave_id)
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
    wave = get_object_or_404(Wave, pk=wave_id)
    reminder = request.POST.get("kind") == "reminder"
    sent = invitations_send(wave=wave, base_url=_base_url(request), reminder=reminder)
    what = "reminders" if reminder else "invitations"
    messages.success(request, f"Sent {sent} {what}.")
    return redirect("backoffice:wave_detail", wave_id=wave.pk)


@staff_required
@require_POST
def wave_close_view(request: HttpRequest, wave_id: int) -> HttpResponse:
    wave = get_object_or_404(Wave, pk=wave_id)
    if wave_close(wave_id=wave.pk):
        messages.success(request, f"{wave.name} is closed: no more answers can be saved.")
    else:
        messages.info(request, f"{wave.name} was already closed.")
    return redirect("backoffice:wave_detail", wave_id=wave.pk)


@staff_required
@require_POST
def wave_open_link_view(request: HttpRequest, wave_id: int) -> HttpResponse:
    wave = get_object_or_404(Wave, pk=wave_id)
    enabled = request.POST.get("enabled") == "1"
    wave_set_open_link(wave_id=wave.pk, enabled=enabled)
    messages.success(request, "Open link turned on." if enabled else "Open link turned off.")
    return redirect("backoffice:wave_detail", wave_id=wave.pk)
