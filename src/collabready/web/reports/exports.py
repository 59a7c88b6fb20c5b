"""Running an export job: from the queued row to the finished file (or a clear error).

The task (``tasks.run_export_job``) calls :func:`export_job_run`. It reads the
wave through the one loader (:func:`collabready.web.surveys.selectors.exports.
wave_export_data`, which streams the stored answers in chunks into the matrix),
builds the export in the pure core (:func:`collabready.formats.export.
export_responses`: the pipeline's score and weight steps) and writes it with
:func:`collabready.formats.writers.write_export` (Parquet, CSV and XLSX a chunk
at a time), recording the step and percentage on the job row as it goes. The
file is written beside its final name and renamed when complete, so a failed
job leaves no file.
"""

from __future__ import annotations

import contextlib
import logging
import os

from django.utils import timezone
from django.utils.crypto import salted_hmac

from collabready.errors import UserError
from collabready.formats.export import MIN_KEY_BYTES, export_responses
from collabready.formats.writers import write_export
from collabready.web.reports.jobs import (
    JobSupersededError,
    job_claim,
    job_file_name,
    job_remove_earlier_files,
    job_write,
    reports_dir,
)
from collabready.web.reports.models import ExportJob, ReportJob
from collabready.web.reports.selectors import wave_margins
from collabready.web.surveys.models import Wave
from collabready.web.surveys.selectors.exports import wave_export_data

logger = logging.getLogger(__name__)

#: The same variable as ``collabready export``'s: the key of the pseudonymous ids.
KEY_ENV = "COLLABREADY_EXPORT_ID_KEY"
_WRITE_FROM, _WRITE_TO = 40, 99


def export_id_key(*, wave: Wave) -> bytes:
    """The key of a wave's pseudonymous ids in back-office exports.

    ``COLLABREADY_EXPORT_ID_KEY`` when set (so the command line's exports of the
    wave carry the same ids), else a key derived from the site's secret key and
    the wave: stable across the wave's exports, never shown, different per wave.
    """
    given = os.environ.get(KEY_ENV, "")
    if len(given.encode()) >= MIN_KEY_BYTES:
        return given.encode()
    return salted_hmac("collabready.export.ids", wave.slug, algorithm="sha256").digest()


def export_job_run(job_id: int) -> None:
    """Write the export of job ``job_id``: progress, then the file or the error."""
    attempt = job_claim(
        ExportJob, job_id, started_at=timezone.now(), step="Loading the responses", progress=5
    )
    if attempt is None:  # already run, or gone
        return
    job = ExportJob.objects.select_related("wave").get(pk=job_id)
    job_remove_earlier_files("export", job_id, attempt, job.format)
    target = reports_dir() / job_file_name("export", job_id, attempt, job.format)

    def _update(**fields: object) -> None:
        job_write(ExportJob, job_id, attempt, **fields)

    try:
        data = wave_export_data(wave=job.wave, partial=job.partial, open_answers=job.open_answers)
        if len(data.matrix) == 0:
            raise UserError(f"wave {job.wave.slug}: no responses to export yet")
        margins = None
        if job.weights:
            stored = wave_margins(wave=job.wave)
            if stored is None:
                raise UserError(
                    f"wave {job.wave.slug} has no margins uploaded: upload them on the "
                    "reports page, or export without the weights"
                )
            margins = stored.frame
        if job.scores or job.weights:
            _update(step="Scoring and weighting", progress=20)
        table = export_responses(
            data.matrix,
            id_key=export_id_key(wave=job.wave),
            scope=f"wave:{job.wave.slug}",
            language=job.language,
            scores=job.scores,
            margins=margins,
            source=f"wave {job.wave.slug}",
            extras=data.extras,
            open_answers=job.open_answers,
            partial=job.partial,
        )
        del data
        total = max(table.height, 1)
        written = 0
        _update(step="Writing the file", progress=_WRITE_FROM)

        def advance(rows: int) -> None:
            nonlocal written
            written += rows
            share = (_WRITE_TO - _WRITE_FROM) * written // total
            _update(progress=min(_WRITE_TO, _WRITE_FROM + share))

        write_export(table, target, job.format, progress=advance)
        _update(
            status=ReportJob.Status.SUCCEEDED,
            step="Finished",
            progress=100,
            rows=table.height,
            file_name=target.name,
            size_bytes=target.stat().st_size,
            finished_at=timezone.now(),
        )
    except JobSupersededError:
        target.unlink(missing_ok=True)
        logger.warning(
            "export job %s: attempt %s was superseded (queued again after its worker was "
            "presumed stopped); its work is discarded",
            job_id,
            attempt,
        )
    except Exception as exc:
        target.unlink(missing_ok=True)
        message = (
            str(exc)
            if isinstance(exc, UserError)
            else f"The export could not be written because of an unexpected error "
            f"({type(exc).__name__}: {exc}). The details are in the server log."
        )
        logger.exception("export job %s failed: %s", job_id, message)
        with contextlib.suppress(Exception):
            _update(status=ReportJob.Status.FAILED, error=message, finished_at=timezone.now())
