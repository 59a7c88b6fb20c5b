"""Export jobs requested (audited), found and cancelled: the one service the API and the
back office share. Imports go one way: services -> tasks -> jobs."""

from __future__ import annotations

from pathlib import Path

from django.conf import settings
from django.contrib.auth.models import User
from django.db import transaction
from django.utils import timezone

from collabready.errors import UserError
from collabready.web.audit.services import audit_record
from collabready.web.exports.models import ExportJob
from collabready.web.exports.tasks import run_export_job
from collabready.web.surveys.models import Wave


def export_job_create(
    *,
    wave: Wave,
    fmt: str,
    language: str = "en",
    scores: bool = False,
    user: User | None = None,
    actor_label: str | None = None,
) -> ExportJob:
    """Record an export job (audited) and enqueue it once the row is committed."""
    if fmt not in ExportJob.Format.values:
        raise UserError(f"format {fmt!r}: choose one of {', '.join(ExportJob.Format.values)}")
    if language not in ("en", "cy"):
        raise UserError(f"language {language!r}: choose en or cy")
    with transaction.atomic():
        job = ExportJob.objects.create(
            wave=wave, format=fmt, language=language, scores=scores, created_by=user
        )
        audit_record(
            "export.create",
            actor=user,
            actor_label=actor_label,
            obj=job,
            wave=wave.slug,
            format=fmt,
            scores=scores,
        )
        job_id = job.pk
        transaction.on_commit(lambda: run_export_job.enqueue(job_id))
    return job


def export_job_file(job: ExportJob) -> Path | None:
    """The finished file of a job, if it is still there."""
    if job.status != ExportJob.Status.SUCCEEDED or not job.file_name:
        return None
    path = Path(settings.COLLABREADY_EXPORTS_DIR) / Path(job.file_name).name
    return path if path.is_file() else None


def export_jobs_withdraw(*, wave_id: int, reason: str) -> int:
    """Cancel the wave's queued and running exports and delete its finished files
    (after an erasure: no export may still hold the erased response)."""
    jobs = ExportJob.objects.filter(wave_id=wave_id)
    for job in jobs.filter(status=ExportJob.Status.SUCCEEDED):
        path = export_job_file(job)
        if path is not None:
            path.unlink(missing_ok=True)
    return jobs.exclude(status=ExportJob.Status.FAILED).update(
        status=ExportJob.Status.FAILED,
        error=f"Withdrawn: {reason}. Start the export again.",
        file_name="",
        finished_at=timezone.now(),
    )
