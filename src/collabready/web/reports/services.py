"""Writing: wave margins, and report jobs from request to finished file.

A job is a :class:`~collabready.web.reports.models.ReportJob` row; the work runs
as a django-tasks task (``tasks.run_report_job``), which records the step and
percentage as it goes, writes the file atomically into
``COLLABREADY_REPORTS_DIR`` and then marks the job finished, or records a clear
error message when it fails.
"""

from __future__ import annotations

import contextlib
import logging
import os
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from django.conf import settings
from django.db import OperationalError, transaction
from django.utils import timezone

from collabready.errors import UserError
from collabready.web.reports.errors import WaveMarginsError
from collabready.web.reports.models import ReportJob, WaveMargins
from collabready.web.reports.selectors import content_sha256
from collabready.web.surveys.instruments import instrument_get
from collabready.web.surveys.models import Wave

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser, AnonymousUser

logger = logging.getLogger(__name__)

MAX_MARGINS_BYTES = 1024 * 1024

#: Report-building steps and the percentage reached when each starts.
STEP_PROGRESS = {
    "load": 5,
    "score": 15,
    "rake": 25,
    "estimates": 35,
    "validation": 50,
    "reliability": 60,
    "charts": 70,
    "render": 80,
    "save": 95,
}
STEP_TEXT = {
    "load": "Loading the responses",
    "score": "Scoring",
    "rake": "Weighting to the margins",
    "estimates": "Estimating",
    "validation": "Validating the index",
    "reliability": "Reliability",
    "charts": "Drawing the charts",
    "render": "Laying out the document",
    "save": "Saving the file",
}


def margins_check(*, wave: Wave, data: bytes, filename: str) -> str:
    """The margins CSV as text, after checking it fits the wave; else WaveMarginsError."""
    from collabready.stats import read_margins_csv

    name = Path(filename).name or "margins.csv"
    if len(data) > MAX_MARGINS_BYTES:
        raise WaveMarginsError(f"{name}: the file is larger than 1 MB; is it a margins file?")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise WaveMarginsError(f"{name}: not a UTF-8 text file") from None
    with tempfile.TemporaryDirectory(prefix="collabready-margins-") as tmp:
        path = Path(tmp) / "upload.csv"
        path.write_text(text, encoding="utf-8")
        try:
            margins = read_margins_csv(path)
        except UserError as exc:
            raise WaveMarginsError(str(exc).replace(str(path), name)) from None
    instrument = instrument_get(wave.instrument_key)
    profile = {q.id: q for q in instrument.profile}
    for margin in margins.margins:
        question = profile.get(margin.variable)
        if question is None:
            raise WaveMarginsError(
                f"{name}: variable {margin.variable!r} is not a profile question of "
                f"{instrument.key} (one of {', '.join(profile)})"
            )
        values = [c.value for c in question.choices]
        for level in margin.levels:
            if level not in values:
                raise WaveMarginsError(
                    f"{name}: {margin.variable} level {level!r} is not one of its choices "
                    f"({', '.join(values)})"
                )
    return text


def margins_save(
    *, wave: Wave, data: bytes, filename: str, user: AbstractBaseUser | AnonymousUser | None = None
) -> WaveMargins:
    """Check and store a wave's margins, replacing any earlier ones."""
    text = margins_check(wave=wave, data=data, filename=filename)
    stored, _ = WaveMargins.objects.update_or_create(
        wave=wave,
        defaults={
            "filename": Path(filename).name or "margins.csv",
            "content": text,
            "sha256": content_sha256(text),
            "uploaded_by": user if user is not None and user.is_authenticated else None,
        },
    )
    return stored


def report_job_create(
    *,
    wave: Wave,
    kind: str,
    fmt: str,
    sector: str = "",
    user: AbstractBaseUser | AnonymousUser | None = None,
) -> ReportJob:
    """Record a job and enqueue it once the row is committed."""
    from collabready.web.reports.tasks import run_report_job

    if kind not in ReportJob.Kind.values:
        raise UserError(f"report kind {kind!r}: choose national or sector")
    if fmt not in ReportJob.Format.values:
        raise UserError(f"report format {fmt!r}: choose pdf or html")
    if kind == ReportJob.Kind.SECTOR and not sector:
        raise UserError("a sector briefing needs a sector")
    job = ReportJob.objects.create(
        wave=wave,
        kind=kind,
        format=fmt,
        sector=sector if kind == ReportJob.Kind.SECTOR else "",
        created_by=user if user is not None and user.is_authenticated else None,
        step="Waiting to start",
    )
    job_id = job.pk
    transaction.on_commit(lambda: run_report_job.enqueue(job_id))
    return job


#: Attempts at a job-row write that SQLite refuses because another thread holds the lock
#: (shared-cache in-memory databases, as in tests, fail at once instead of waiting).
LOCKED_RETRIES = 50


def _update(job_id: int, *, only_status: str | None = None, **fields: object) -> int:
    """Update the job row; retry briefly if SQLite says the table is locked."""
    rows = ReportJob.objects.filter(pk=job_id)
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
    _update(job_id, **fields)


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


def report_job_run(job_id: int, *, assets_url: str | None = None) -> None:
    """Generate the report of job ``job_id``: progress, then the file or the error."""
    from collabready.reporting.render import render_html, render_pdf
    from collabready.web.reports.build import build_wave_report

    claimed = _update(
        job_id,
        only_status=ReportJob.Status.QUEUED,
        status=ReportJob.Status.RUNNING,
        started_at=timezone.now(),
        step=STEP_TEXT["load"],
        progress=STEP_PROGRESS["load"],
    )
    if not claimed:  # already run, or gone
        return
    job = ReportJob.objects.select_related("wave").get(pk=job_id)
    target: Path | None = None

    def step(name: str) -> None:
        if name in STEP_PROGRESS:
            _record(job_id, step=STEP_TEXT[name], progress=STEP_PROGRESS[name])

    try:
        report = build_wave_report(
            wave=job.wave, kind=job.kind, sector=job.sector or None, step=step
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


def report_jobs_abandon(*, reason: str = "the server stopped before the job finished") -> int:
    """Mark jobs left queued or running by a previous server process as failed."""
    return ReportJob.objects.filter(
        status__in=(ReportJob.Status.QUEUED, ReportJob.Status.RUNNING)
    ).update(
        status=ReportJob.Status.FAILED,
        error=f"Not finished: {reason}. Generate the report again.",
        finished_at=timezone.now(),
    )


def report_job_file(job: ReportJob) -> Path | None:
    """The finished file of a job, if it is still there."""
    if job.status != ReportJob.Status.SUCCEEDED or not job.file_name:
        return None
    path = Path(settings.COLLABREADY_REPORTS_DIR) / Path(job.file_name).name
    return path if path.is_file() else None


StepCallback = Callable[[str], None]
