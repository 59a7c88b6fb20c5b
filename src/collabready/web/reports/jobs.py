"""Running a report job: from the queued row to the finished file (or a clear error).

The task (``tasks.run_report_job``) calls :func:`report_job_run`, which records
the step and percentage as it goes (the steps of
:mod:`collabready.analysis.steps`), writes the file atomically into
``COLLABREADY_REPORTS_DIR`` and then marks the job finished, or records a clear
error message when it fails.

Running a job again is safe. Each run is an *attempt* (``ReportJob.attempt``, taken
from a queued row by compare-and-set, :func:`job_claim`), writes its own file
(:func:`job_file_name`) and writes to the row only while the row is still running
its attempt (:func:`job_write`). When the worker running a job stops and the job is
queued again (``collabready.web.worker``: the row goes back to "waiting", with
``restarts`` counted), the next attempt starts from the beginning; should the
earlier worker come back, its writes change nothing and its file is removed.
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

from collabready.analysis.steps import Step, progress
from collabready.errors import UserError
from collabready.web.reports.models import ExportJob, ReportJob

logger = logging.getLogger(__name__)


#: Attempts at a job-row write that SQLite refuses because another thread holds the lock
#: (shared-cache in-memory databases, as in tests, fail at once instead of waiting).
LOCKED_RETRIES = 50


def job_update(
    model: type[ReportJob | ExportJob],
    job_id: int,
    *,
    only_status: str | None = None,
    only_attempt: int | None = None,
    **fields: object,
) -> int:
    """Update a job row (a report's or an export's); retry briefly if SQLite says the
    table is locked."""
    rows = model.objects.filter(pk=job_id)
    if only_status is not None:
        rows = rows.filter(status=only_status)
    if only_attempt is not None:
        rows = rows.filter(attempt=only_attempt)
    for attempt in range(LOCKED_RETRIES):
        try:
            return rows.update(**fields)
        except OperationalError as exc:
            if "locked" not in str(exc) or attempt == LOCKED_RETRIES - 1:
                raise
            time.sleep(0.1)
    return 0  # pragma: no cover - the loop returns or raises


class JobSupersededError(Exception):
    """This attempt no longer owns the job row: it was queued again (its worker was
    presumed dead) or another attempt runs it. Stop, and write nothing more."""


def job_claim(model: type[ReportJob | ExportJob], job_id: int, **fields: object) -> int | None:
    """Mark a queued job running as its next attempt (compare-and-set on ``attempt``);
    the attempt's number, or None when the job is not queued (already run, or gone)."""
    current = (
        model.objects.filter(pk=job_id, status=ReportJob.Status.QUEUED)
        .values_list("attempt", flat=True)
        .first()
    )
    if current is None:
        return None
    won = job_update(
        model,
        job_id,
        only_status=ReportJob.Status.QUEUED,
        only_attempt=current,
        status=ReportJob.Status.RUNNING,
        attempt=current + 1,
        **fields,
    )
    return current + 1 if won else None


def job_write(
    model: type[ReportJob | ExportJob], job_id: int, attempt: int, **fields: object
) -> None:
    """Write to the row of a running job, as its attempt ``attempt``; raise
    :class:`JobSupersededError` when the row is no longer this attempt's."""
    if not job_update(
        model, job_id, only_status=ReportJob.Status.RUNNING, only_attempt=attempt, **fields
    ):
        raise JobSupersededError(f"{model.__name__} {job_id}: attempt {attempt} was superseded")


def job_file_name(prefix: str, job_id: int, attempt: int, extension: str) -> str:
    """The file of one attempt (``report-7.pdf``; ``report-7-2.pdf`` for a second one),
    so two attempts never write the same file."""
    if attempt <= 1:
        return f"{prefix}-{job_id}.{extension}"
    return f"{prefix}-{job_id}-{attempt}.{extension}"


def job_remove_earlier_files(prefix: str, job_id: int, attempt: int, extension: str) -> None:
    """Remove what earlier attempts of a job may have left (a worker killed between
    writing its file and recording it, or half-written temporary files)."""
    folder = reports_dir()
    for earlier in range(1, attempt):
        name = job_file_name(prefix, job_id, earlier, extension)
        (folder / name).unlink(missing_ok=True)
        for leftover in folder.glob(f".{name}.*"):
            leftover.unlink(missing_ok=True)


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


def report_job_run(
    job_id: int, *, assets_url: str | None = None, on_step: Step | None = None
) -> None:
    """Generate the report of job ``job_id``: progress, then the file or the error.

    ``on_step`` is called with each step's name before it is recorded (for a caller
    that watches the job: the worker tests hold a run at a step)."""
    from collabready.reporting.logo import read_logo
    from collabready.reporting.render import render_html, render_pdf
    from collabready.web.reports.build import ReportOptions, build_wave_report

    attempt = job_claim(
        ReportJob, job_id, started_at=timezone.now(), step=_LOAD[0], progress=_LOAD[1]
    )
    if attempt is None:  # already run, or gone
        return
    job = ReportJob.objects.select_related("wave").get(pk=job_id)
    job_remove_earlier_files("report", job_id, attempt, job.format)
    target: Path | None = None

    def step(name: str) -> None:
        if on_step is not None:
            on_step(name)
        known = progress(name)
        if known is not None:
            job_write(ReportJob, job_id, attempt, step=known[0], progress=known[1])

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
        target = reports_dir() / job_file_name("report", job_id, attempt, job.format)
        write_atomically(target, data)
        job_write(
            ReportJob,
            job_id,
            attempt,
            status=ReportJob.Status.SUCCEEDED,
            step="Finished",
            progress=100,
            title=report.title[:300],
            file_name=target.name,
            size_bytes=len(data),
            finished_at=timezone.now(),
        )
    except JobSupersededError:
        if target is not None:
            target.unlink(missing_ok=True)
        logger.warning(
            "report job %s: attempt %s was superseded (queued again after its worker was "
            "presumed stopped); its work is discarded",
            job_id,
            attempt,
        )
    except Exception as exc:
        if target is not None:
            target.unlink(missing_ok=True)
        message = _error_message(exc)
        logger.exception("report job %s failed: %s", job_id, message)
        with contextlib.suppress(Exception):
            job_write(
                ReportJob,
                job_id,
                attempt,
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
