"""Back office: microdata exports of a wave as background jobs (start, follow, download)."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.text import slugify

from collabready.errors import UserError
from collabready.web.access.policy import Action
from collabready.web.backoffice.forms import ExportForm
from collabready.web.backoffice.permissions import may, object_for, staff_required
from collabready.web.reports.models import ExportJob, WaveMargins
from collabready.web.reports.selectors import export_jobs_for_wave
from collabready.web.reports.services import export_job_create, export_job_download
from collabready.web.surveys.instruments import instrument_get
from collabready.web.surveys.models import Wave

#: Seconds between refreshes of a job's page while it runs (no JavaScript needed).
REFRESH_SECONDS = 2
LANGUAGE_NAMES = {"en": "English", "cy": "Welsh (Cymraeg)"}
CONTENT_TYPES = {
    "sav": "application/x-spss-sav",
    "dta": "application/x-stata-dta",
    "parquet": "application/vnd.apache.parquet",
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


def _languages(wave: Wave) -> list[tuple[str, str]]:
    return [(c, LANGUAGE_NAMES.get(c, c)) for c in instrument_get(wave.instrument_key).languages]


@staff_required
def exports(request: HttpRequest, wave_id: int) -> HttpResponse:
    wave = object_for(request, Wave.objects.all(), wave_id, Action.EXPORT_VIEW)
    form = ExportForm(request.POST or None, languages=_languages(wave))
    status = 200
    if request.method == "POST":
        object_for(request, Wave.objects.all(), wave_id, Action.EXPORT_CREATE)
        # open answers are free text: personal data unless the role is granted it
        personal = form.is_valid() and form.cleaned_data["open_answers"]
        if personal and not may(request, Action.PERSONAL_DATA_VIEW, wave):
            raise PermissionDenied("your role may not export open answers (personal data)")
        if form.is_valid():
            try:
                job = export_job_create(
                    wave=wave,
                    fmt=form.cleaned_data["format"],
                    scores=form.cleaned_data["scores"],
                    weights=form.cleaned_data["weights"],
                    open_answers=form.cleaned_data["open_answers"],
                    partial=form.cleaned_data["partial"],
                    language=form.cleaned_data["language"],
                    user=request.user,
                )
            except UserError as exc:
                form.add_error(None, str(exc))
            else:
                return redirect("backoffice:export_job", job_id=job.pk)
        status = 400
    return render(
        request,
        "backoffice/exports.html",
        {
            "wave": wave,
            "form": form,
            "has_margins": WaveMargins.objects.filter(wave=wave).exists(),
            "jobs": export_jobs_for_wave(wave=wave),
        },
        status=status,
    )


@staff_required
def export_job(request: HttpRequest, job_id: int) -> HttpResponse:
    job = object_for(
        request, ExportJob.objects.select_related("wave", "created_by"), job_id, Action.EXPORT_VIEW
    )
    return render(
        request,
        "backoffice/export_job.html",
        {"job": job, "wave": job.wave, "refresh": None if job.finished else REFRESH_SECONDS},
    )


@staff_required
def export_download(request: HttpRequest, job_id: int) -> FileResponse:
    job = object_for(request, ExportJob.objects.select_related("wave"), job_id, Action.EXPORT_VIEW)
    path = export_job_download(job=job, user=request.user)
    if path is None:
        raise Http404("this export has no file to download")
    day = job.finished_at.date().isoformat() if job.finished_at else "undated"
    response = FileResponse(
        path.open("rb"),
        as_attachment=True,
        filename=f"{slugify(job.wave.slug)}-export-{job.pk}-{day}.{job.format}",
        content_type=CONTENT_TYPES[job.format],
    )
    response.headers["Cache-Control"] = "private, no-store"
    return response
