"""Back office: a wave's margins, and report jobs (generate, follow progress, download)."""

from __future__ import annotations

from django.contrib import messages
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.text import slugify
from django.views.decorators.http import require_POST

from collabready.analysis.policy import DEFAULT_K
from collabready.web.access.policy import Action, Kind, figures_until
from collabready.web.backoffice.forms import MarginsUploadForm
from collabready.web.backoffice.forms_reports import ReportForm
from collabready.web.backoffice.permissions import object_for, principal_of, staff_required
from collabready.web.reports.errors import WaveMarginsError
from collabready.web.reports.models import ReportJob, WaveMargins
from collabready.web.reports.selectors import (
    report_jobs_for_wave,
    wave_empty_margin_levels,
    wave_sector_choices,
)
from collabready.web.reports.services import margins_save, report_job_create, report_job_file
from collabready.web.surveys.instruments import instrument_get
from collabready.web.surveys.models import Wave
from collabready.web.surveys.services.release import wave_release

#: Seconds between refreshes of a job's page while it runs (no JavaScript needed).
REFRESH_SECONDS = 2

#: The served HTML report has an inline stylesheet and Vega compiles its expressions
#: with ``new Function``; still nothing from any origin but ours.
REPORT_CONTENT_SECURITY_POLICY = (
    "default-src 'none'; script-src 'self' 'unsafe-eval'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; font-src 'self' data:; connect-src 'self'; base-uri 'none'; "
    "form-action 'none'; frame-ancestors 'none'"
)


def _report_form(request: HttpRequest, wave: Wave, *, bound: bool = False) -> ReportForm:
    """The report form (``bound``: to the POST), with a merge choice per margin level that
    has no respondents yet."""
    return ReportForm(
        request.POST if bound else None,
        request.FILES if bound else None,
        sectors=wave_sector_choices(wave=wave),
        empty_levels=wave_empty_margin_levels(wave=wave),
        instrument=instrument_get(wave.instrument_key),
    )


def _reports_page(
    request: HttpRequest,
    wave: Wave,
    *,
    form: ReportForm | None = None,
    margins_form: MarginsUploadForm | None = None,
    margins_problem: str = "",
    status: int = 200,
) -> HttpResponse:
    convenor = principal_of(request).kind is Kind.CONVENOR
    return render(
        request,
        "backoffice/reports.html",
        {
            "wave": wave,
            "form": form or _report_form(request, wave),
            "margins": WaveMargins.objects.filter(wave=wave).first(),
            "margins_form": margins_form or MarginsUploadForm(),
            "margins_problem": margins_problem,
            "jobs": report_jobs_for_wave(wave=wave, releases_only=convenor),
            "release": wave_release(wave=wave) if convenor else None,
            "release_k": DEFAULT_K,
        },
        status=status,
    )


@staff_required
def reports(request: HttpRequest, wave_id: int) -> HttpResponse:
    wave = object_for(request, Wave.objects.all(), wave_id, Action.REPORT_VIEW)
    if request.method != "POST":
        return _reports_page(request, wave)
    object_for(request, Wave.objects.all(), wave_id, Action.REPORT_CREATE)
    form = _report_form(request, wave, bound=True)
    if not form.is_valid():
        return _reports_page(request, wave, form=form, status=400)
    job = report_job_create(
        wave=wave,
        kind=form.cleaned_data["kind"],
        fmt=form.cleaned_data["format"],
        sector=form.cleaned_data.get("sector") or "",
        options=form.options(),
        logo=form.logo_bytes(),
        user=request.user,
        release_cutoff=figures_until(principal_of(request), wave),
    )
    return redirect("backoffice:report_job", job_id=job.pk)


@staff_required
@require_POST
def margins_upload(request: HttpRequest, wave_id: int) -> HttpResponse:
    wave = object_for(request, Wave.objects.all(), wave_id, Action.WAVE_CHANGE)
    form = MarginsUploadForm(request.POST, request.FILES)
    if not form.is_valid():
        return _reports_page(request, wave, margins_form=form, status=400)
    upload = form.cleaned_data["file"]
    try:
        stored = margins_save(
            wave=wave, data=upload.read(), filename=upload.name, user=request.user
        )
    except WaveMarginsError as exc:
        return _reports_page(request, wave, margins_problem=str(exc), status=400)
    messages.success(request, f"Margins {stored.filename} saved: reports now weight to them.")
    return redirect("backoffice:reports", wave_id=wave.pk)


@staff_required
def report_job(request: HttpRequest, job_id: int) -> HttpResponse:
    job = object_for(request, ReportJob.objects.select_related("wave"), job_id, Action.REPORT_VIEW)
    file_there = report_job_file(job) is not None
    return render(
        request,
        "backoffice/report_job.html",
        {
            "job": job,
            "wave": job.wave,
            "refresh": None if job.finished else REFRESH_SECONDS,
            "file_there": file_there,
        },
    )


def _download_name(job: ReportJob) -> str:
    what = "national-report" if job.kind == ReportJob.Kind.NATIONAL else f"{job.sector}-briefing"
    day = job.finished_at.date().isoformat() if job.finished_at else "undated"
    return f"{slugify(job.wave.slug)}-{what}-{day}.{job.format}"


@staff_required
def report_download(request: HttpRequest, job_id: int) -> FileResponse:
    job = object_for(request, ReportJob.objects.select_related("wave"), job_id, Action.REPORT_VIEW)
    path = report_job_file(job)
    if path is None:
        raise Http404("this report has no file to download")
    content_type = "application/pdf" if job.format == "pdf" else "text/html; charset=utf-8"
    response = FileResponse(
        path.open("rb"),
        as_attachment=True,
        filename=_download_name(job),
        content_type=content_type,
    )
    response.headers["Cache-Control"] = "private, no-store"
    return response


@staff_required
def report_view(request: HttpRequest, job_id: int) -> FileResponse:
    """An HTML report shown in the browser, with interactive charts."""
    job = object_for(request, ReportJob.objects.select_related("wave"), job_id, Action.REPORT_VIEW)
    path = report_job_file(job)
    if path is None or job.format != ReportJob.Format.HTML:
        raise Http404("this report has no HTML to show")
    response = FileResponse(path.open("rb"), content_type="text/html; charset=utf-8")
    response.headers["Content-Security-Policy"] = REPORT_CONTENT_SECURITY_POLICY
    response.headers["Cache-Control"] = "private, no-store"
    return response
