"""The back office's import of responses from another survey tool (staff only)."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from collabready.formats.imports import ImportMappingError, ResponseImportError
from collabready.web.access.policy import Action
from collabready.web.backoffice.forms import ResponsesImportForm
from collabready.web.backoffice.permissions import object_for, staff_required
from collabready.web.backoffice.views import MAX_UPLOAD_BYTES
from collabready.web.surveys.models import Wave
from collabready.web.surveys.services.imports import responses_import

#: The page lists at most this many problems (the command line lists them all).
MAX_SHOWN = 500


@staff_required
def responses_import_view(request: HttpRequest, wave_id: int) -> HttpResponse:
    wave = object_for(request, Wave.objects.all(), wave_id, Action.WAVE_CHANGE)
    form = ResponsesImportForm(request.POST or None, request.FILES or None)
    problems: list[str] = []
    summary: list[str] = []
    if request.method == "POST" and form.is_valid():
        upload, mapping = form.cleaned_data["file"], form.cleaned_data["mapping"]
        limit = MAX_UPLOAD_BYTES // (1024 * 1024)
        if upload.size > MAX_UPLOAD_BYTES or mapping.size > MAX_UPLOAD_BYTES:
            problems = [f"each file may be at most {limit} MB"]
        else:
            try:
                outcome = responses_import(
                    wave=wave,
                    data=upload.read(),
                    file_name=upload.name,
                    mapping_text=mapping.read().decode("utf-8", errors="replace"),
                    mapping_name=mapping.name,
                    actor=request.user,
                    dry_run=bool(form.cleaned_data["dry_run"]),
                )
            except (ImportMappingError, ResponseImportError) as exc:
                problems = [f"{exc.file}: {p}" for p in exc.problems]
            else:
                if not outcome.dry_run:
                    messages.success(request, outcome.summary()[0])
                    return redirect("backoffice:wave_detail", wave_id=wave.pk)
                summary = outcome.summary()
    hidden = max(0, len(problems) - MAX_SHOWN)
    return render(
        request,
        "backoffice/responses_import.html",
        {
            "wave": wave,
            "form": form,
            "problems": problems[:MAX_SHOWN],
            "hidden": hidden,
            "summary": summary,
        },
        status=400 if problems else 200,
    )
