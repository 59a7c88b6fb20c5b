"""Exports and reports: start a background job, poll it, download its file."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.http import FileResponse, HttpRequest
from django.urls import reverse
from ninja import Router, Status

from collabready.errors import UserError
from collabready.web.access.policy import Action, figures_until
from collabready.web.api.common import ApiError, ObjectId, obtain, principal
from collabready.web.api.routes_waves import ERRORS
from collabready.web.api.schemas import ExportIn, ExportOut, ReportIn, ReportOut
from collabready.web.reports.models import ExportJob, ReportJob
from collabready.web.reports.services import (
    export_job_create,
    export_job_download,
    report_job_create,
    report_job_file,
)
from collabready.web.surveys.models import Wave

router = Router()

CONTENT_TYPES = {
    "sav": "application/x-spss-sav",
    "dta": "application/x-stata-dta",
    "parquet": "application/vnd.apache.parquet",
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "pdf": "application/pdf",
    "html": "text/html; charset=utf-8",
}


def _export(job: ExportJob) -> dict[str, Any]:
    done = job.status == ExportJob.Status.SUCCEEDED and bool(job.file_name)
    return {
        "id": job.pk,
        "wave_id": job.wave_id,
        "format": job.format,
        "language": job.language,
        "scores": job.scores,
        "weights": job.weights,
        "partial": job.partial,
        "status": job.status,
        "progress": job.progress,
        "error": job.error,
        "rows": job.rows,
        "size_bytes": job.size_bytes,
        "created_at": job.created_at,
        "finished_at": job.finished_at,
        "download": reverse("api:exports_download", args=[job.pk]) if done else None,
    }


def _report(job: ReportJob) -> dict[str, Any]:
    done = job.status == ReportJob.Status.SUCCEEDED and bool(job.file_name)
    return {
        "id": job.pk,
        "wave_id": job.wave_id,
        "kind": job.kind,
        "sector": job.sector,
        "format": job.format,
        "status": job.status,
        "step": job.step,
        "progress": job.progress,
        "error": job.error,
        "title": job.title,
        "size_bytes": job.size_bytes,
        "created_at": job.created_at,
        "finished_at": job.finished_at,
        "download": reverse("api:reports_download", args=[job.pk]) if done else None,
    }


@router.post("/waves/{wave_id}/exports", response={202: ExportOut, **ERRORS}, tags=["exports"])
def exports_start(request: HttpRequest, body: ExportIn, wave_id: ObjectId) -> Any:
    """Start a microdata export of the wave's submitted responses (pseudonymous ids, no
    e-mail addresses or names); poll it, then download it."""
    wave = obtain(request, Wave.objects.all(), wave_id, Action.EXPORT_CREATE, "wave")
    who = principal(request)
    job = export_job_create(
        wave=wave,
        fmt=body.format,
        language=body.language,
        scores=body.scores,
        weights=body.weights,
        partial=body.partial,
        user=who.user,
        actor_label=who.label,
    )
    return Status(202, _export(job))


@router.get("/exports/{job_id}", response={200: ExportOut, **ERRORS}, tags=["exports"])
def exports_get(request: HttpRequest, job_id: ObjectId) -> Any:
    return _export(obtain(request, ExportJob.objects.all(), job_id, Action.EXPORT_VIEW, "export"))


@router.get(
    "/exports/{job_id}/download",
    response={200: None, **ERRORS},
    tags=["exports"],
    url_name="exports_download",
)
def exports_download(request: HttpRequest, job_id: ObjectId) -> Any:
    """The finished export's file (409 while it is not finished)."""
    job = obtain(request, ExportJob.objects.all(), job_id, Action.EXPORT_VIEW, "export")
    who = principal(request)
    with transaction.atomic():
        path = export_job_download(job=job, user=who.user, actor_label=who.label)
    if path is None:
        raise ApiError(409, f"export {job.pk} is {job.status}: there is no file to download")
    response = FileResponse(
        path.open("rb"),
        as_attachment=True,
        filename=f"{job.wave.slug}-export-{job.pk}.{job.format}",
        content_type=CONTENT_TYPES[job.format],
    )
    response["Cache-Control"] = "private, no-store"
    return response


@router.post("/waves/{wave_id}/reports", response={202: ReportOut, **ERRORS}, tags=["reports"])
def reports_start(request: HttpRequest, body: ReportIn, wave_id: ObjectId) -> Any:
    """Start the national report or a sector briefing (PDF or HTML)."""
    wave = obtain(request, Wave.objects.all(), wave_id, Action.REPORT_CREATE, "wave")
    try:
        job = report_job_create(
            wave=wave,
            kind=body.kind,
            fmt=body.format,
            sector=body.sector,
            user=principal(request).user,
            release_cutoff=figures_until(principal(request), wave),
        )
    except UserError as exc:
        raise ApiError(422, str(exc)) from None
    return Status(202, _report(job))


@router.get("/reports/{job_id}", response={200: ReportOut, **ERRORS}, tags=["reports"])
def reports_get(request: HttpRequest, job_id: ObjectId) -> Any:
    return _report(obtain(request, ReportJob.objects.all(), job_id, Action.REPORT_VIEW, "report"))


@router.get(
    "/reports/{job_id}/download",
    response={200: None, **ERRORS},
    tags=["reports"],
    url_name="reports_download",
)
def reports_download(request: HttpRequest, job_id: ObjectId) -> Any:
    """The finished report's file (409 while it is not finished)."""
    job = obtain(request, ReportJob.objects.all(), job_id, Action.REPORT_VIEW, "report")
    path = report_job_file(job)
    if path is None:
        raise ApiError(409, f"report {job.pk} is {job.status}: there is no file to download")
    response = FileResponse(
        path.open("rb"),
        as_attachment=True,
        filename=path.name,
        content_type=CONTENT_TYPES[job.format],
    )
    response["Cache-Control"] = "private, no-store"
    return response
