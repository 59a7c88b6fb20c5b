"""Running an export job: the wave's submitted responses through the core's export
(:func:`collabready.formats.export.export_responses` and ``write_export``, which
writes atomically), into ``COLLABREADY_EXPORTS_DIR``; the job row records progress,
the file or a clear error (as :mod:`collabready.web.reports.jobs` does for reports).
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import logging
from pathlib import Path

from django.conf import settings
from django.utils import timezone

from collabready.web.exports.models import ExportJob
from collabready.web.reports.jobs import LOCKED_RETRIES, _error_message

logger = logging.getLogger(__name__)

__all__ = ["LOCKED_RETRIES", "export_id_key", "export_job_run", "exports_dir"]


def exports_dir() -> Path:
    path = Path(settings.COLLABREADY_EXPORTS_DIR)
    path.mkdir(parents=True, exist_ok=True)
    return path


def export_id_key() -> bytes:
    """The key of the pseudonymous ids: ``COLLABREADY_EXPORT_ID_KEY``, else derived from
    the secret key (the same ids in every export of a wave from this installation)."""
    configured = str(getattr(settings, "COLLABREADY_EXPORT_ID_KEY", "") or "")
    if configured:
        return configured.encode()
    return hmac.new(settings.SECRET_KEY.encode(), b"export-ids", hashlib.sha256).digest()


def _record(job_id: int, *, only_status: str | None = None, **fields: object) -> int:
    rows = ExportJob.objects.filter(pk=job_id)
    if only_status is not None:
        rows = rows.filter(status=only_status)
    return rows.update(**fields)


def export_job_run(job_id: int) -> None:
    """Write the export of job ``job_id``: progress, then the file or the error."""
    from collabready.formats.export import export_responses
    from collabready.formats.writers import write_export
    from collabready.web.surveys.selectors.responses import wave_responses

    claimed = _record(
        job_id,
        only_status=ExportJob.Status.QUEUED,
        status=ExportJob.Status.RUNNING,
        started_at=timezone.now(),
        progress=5,
    )
    if not claimed:  # already run, cancelled by an erasure, or gone
        return
    job = ExportJob.objects.select_related("wave").get(pk=job_id)
    target = exports_dir() / f"export-{job_id}.{job.format}"
    try:
        matrix = wave_responses(wave=job.wave)
        table = export_responses(
            matrix,
            id_key=export_id_key(),
            scope=f"wave:{job.wave.slug}",
            language=job.language,
            scores=job.scores,
            source=f"wave {job.wave.slug}",
        )
        _record(job_id, progress=30)
        write_export(table, target, job.format)
        done = _record(
            job_id,
            only_status=ExportJob.Status.RUNNING,
            status=ExportJob.Status.SUCCEEDED,
            progress=100,
            rows=table.height,
            file_name=target.name,
            size_bytes=target.stat().st_size,
            finished_at=timezone.now(),
        )
        if not done:  # cancelled while running (an erasure): the file may hold the response
            target.unlink(missing_ok=True)
    except Exception as exc:
        target.unlink(missing_ok=True)
        message = _error_message(exc).replace("report", "export")
        logger.exception("export job %s failed: %s", job_id, message)
        with contextlib.suppress(Exception):
            _record(
                job_id, status=ExportJob.Status.FAILED, error=message, finished_at=timezone.now()
            )
