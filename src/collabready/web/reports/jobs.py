"""Running a report job: from the queued row to the finished file (or a clear error).

The task (``tasks.run_report_job``) calls :func:`report_job_run`, which records
the step and percentage as it goes (the steps of
:mod:`collabready.analysis.steps`), writes the file atomically into
``COLLABREADY_REPORTS_DIR`` and then marks the job finished, or records a clear
error message when it fails.
"""

from __future__ import annotations

import contextlib
import logging
import os
import tempfile
import time
from pathlib import Path

from django.conf import settings
from django.db import OperationalError
from django.utils import timezone

from collabready.analysis.steps import progress
from collabready.errors import UserError
from collabready.web.reports.models import ExportJob, ReportJob

logger = logging.getLogger(__name__)


#: Attempts at a job-row write that SQLite refuses because another thread holds the lock
#: (shared-cache in-memory databases, as in tests, fail at once instead of waiting).
LOCKED_RETRIES = 50


def _update(job_id: int, *, only_status: str | None = None, **fields: object) -> int:
    """Update the report job row (see :func:`job_update`)."""
    return job_update(ReportJob, job_id, only_status=only_status, **fields)


def job_update(
    model: type[ReportJob | ExportJob],
    job_id: int,
    *,
    only_status: str | None = None,
    **fields: object,
) -> int:
    """Update a job row (a report's or an export's); retry briefly if SQLite says the
    table is locked."""
    rows = model.objects.filter(pk=job_id)
    if only_status is not None:
        rows = rows.filter(status=only_status)
    for attempt in range(LOCKED_RETRIES):
        try:
            return rows.update(**fields)
        except OperationalError as exc:
            if "locked" not in str(exc) or attempt == LOCKED_RETRIES - 1:
                raise
            time.sleep(0.1)
    return 0  # pragma: no cover - the loop returns or raises


def _record(job_id: int, **fields: object) -> None:
    _update(job_id, only_status=None, **fields)


def reports_dir() -> Path:
    path = Path(settings.COLLABREADY_REPORTS_DIR)
    path.mkdir(parents=True, exist_ok=True)
    return path


def write_atomically(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` all or nothing (temporary file beside it, then rename)."""
    fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".part", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        Path(tmp_name).replace(path)
    except BaseException:
        Path(tmp_name).unlink(missing_ok=True)
        raise


_LOAD = progress("load") or ("Loading the responses", 5)


def report_job_run(job_id: int, *, assets_url: str | None = None) -> None:
    """Generate the report of job ``job_id``: progress, then the file or the error."""
    from collabready.reporting.logo import read_logo
    from collabready.reporting.render import render_html, render_pdf
    from collabready.web.reports.build import ReportOptions, build_wave_report

    claimed = _update(
        job_id,
        only_status=ReportJob.Status.QUEUED,
        status=ReportJob.Status.RUNNING,
        started_at=timezone.now(),
        step=_LOAD[0],
        progress=_LOAD[1],
    )
    if not claimed:  # already run, or gone
        return
    job = ReportJob.objects.select_related("wave").get(pk=job_id)
    target: Path | None = None

    def step(name: str) -> None:
        known = progress(name)
        if known is not None:
            _record(job_id, step=known[0], progress=known[1])

    try:
        options = ReportOptions.from_json(job.options or {})
        logo_bytes = bytes(job.logo or b"")
        logo = (
            read_logo(logo_bytes, filename="logo", alt_text=options.logo_alt)
            if logo_bytes
            else None
        )
        report = build_wave_report(
            wave=job.wave,
            kind=job.kind,
            sector=job.sector or None,
            options=options,
            logo=logo,
            step=step,
            submitted_until=job.release_cutoff,
        )
        step("render")
        if job.format == ReportJob.Format.PDF:
            data = render_pdf(report)
        else:
            data = render_html(report, assets_url=assets_url).encode("utf-8")
        step("save")
        target = reports_dir() / f"report-{job_id}.{job.format}"
        write_atomically(target, data)
        _record(
            job_id,
            status=ReportJob.Status.SUCCEEDED,
            step="Finished",
            progress=100,
            title=report.title[:300],
            file_name=target.name,
            size_bytes=len(data),
            finished_at=timezone.now(),
        )
    except Exception as exc:
        if target is not None:
            target.unlink(missing_ok=True)
        message = _error_message(exc)
        logger.exception("report job %s failed: %s", job_id, message)
        with contextlib.suppress(Exception):
            _record(
                job_id,
                status=ReportJob.Status.FAILED,
                error=message,
                finished_at=timezone.now(),
            )


def _error_message(exc: Exception) -> str:
    if isinstance(exc, UserError):
        return str(exc)
    return (
        f"The report could not be generated because of an unexpected error "
        f"({type(exc).__name__}: {exc}). The details are in the server log."
    )
