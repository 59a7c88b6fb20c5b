"""Writing: wave margins, and report jobs requested, abandoned and found.

A job is a :class:`~collabready.web.reports.models.ReportJob` row;
:func:`report_job_create` records it and enqueues the django-tasks task
(``tasks.run_report_job``), which runs :func:`collabready.web.reports.jobs.report_job_run`.
(Imports go one way: services -> tasks -> jobs.)
"""

from __future__ import annotations

import logging
import tempfile
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from django.conf import settings
from django.contrib.auth.models import User
from django.db import transaction
from django.utils import timezone

from collabready.errors import UserError
from collabready.web.audit.services import audit_record
from collabready.web.reports.errors import WaveMarginsError
from collabready.web.reports.models import ExportJob, ReportJob, WaveMargins
from collabready.web.reports.selectors import content_sha256
from collabready.web.reports.tasks import run_export_job, run_report_job
from collabready.web.surveys.instruments import instrument_get
from collabready.web.surveys.models import Wave

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser

    # imported where used: the report builder imports the analysis and scipy, which an
    # export recorded from the command line does not need (a second of its run)
    from collabready.web.reports.build import ReportOptions

logger = logging.getLogger(__name__)

MAX_MARGINS_BYTES = 1024 * 1024


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


def _staff(user: User | AnonymousUser | None) -> User | None:
    """The signed-in staff user to record, if any."""
    return user if isinstance(user, User) else None


def margins_save(
    *, wave: Wave, data: bytes, filename: str, user: User | AnonymousUser | None = None
) -> WaveMargins:
    """Check and store a wave's margins, replacing any earlier ones."""
    text = margins_check(wave=wave, data=data, filename=filename)
    stored, _ = WaveMargins.objects.update_or_create(
        wave=wave,
        defaults={
            "filename": Path(filename).name or "margins.csv",
            "content": text,
            "sha256": content_sha256(text),
            "uploaded_by": _staff(user),
        },
    )
    return stored


def report_job_create(
    *,
    wave: Wave,
    kind: str,
    fmt: str,
    sector: str = "",
    options: ReportOptions | None = None,
    logo: bytes = b"",
    user: User | AnonymousUser | None = None,
    release_cutoff: datetime | None = None,
) -> ReportJob:
    """Record a job (with its options and logo) and enqueue it once the row is committed.

    ``release_cutoff``: a convenor's report, of the submissions up to then (the
    wave's release, :func:`collabready.web.access.policy.figures_until`)."""
    if kind not in ReportJob.Kind.values:
        raise UserError(f"report kind {kind!r}: choose national or sector")
    if fmt not in ReportJob.Format.values:
        raise UserError(f"report format {fmt!r}: choose pdf or html")
    if kind == ReportJob.Kind.SECTOR and not sector:
        raise UserError("a sector briefing needs a sector")
    from collabready.web.reports.build import ReportOptions

    job = ReportJob.objects.create(
        wave=wave,
        kind=kind,
        format=fmt,
        sector=sector if kind == ReportJob.Kind.SECTOR else "",
        created_by=_staff(user),
        step="Waiting to start",
        options=(options or ReportOptions()).to_json(),
        logo=logo,
        release_cutoff=release_cutoff,
    )
    job_id = job.pk
    transaction.on_commit(lambda: run_report_job.enqueue(job_id))
    return job


def report_job_record_cli(
    *,
    wave: Wave,
    kind: str,
    path: Path,
    title: str,
    sector: str = "",
    options: ReportOptions | None = None,
) -> ReportJob:
    """Record a report written by ``collabready report ... --wave`` in the wave's report list.

    The file is copied into ``COLLABREADY_REPORTS_DIR`` (all or nothing) so the
    back office can offer it for download like a report generated there.
    """
    from collabready.reporting.render import output_format
    from collabready.web.reports.build import ReportOptions
    from collabready.web.reports.jobs import reports_dir, write_atomically

    fmt = output_format(path).value
    data = path.read_bytes()
    now = timezone.now()
    with transaction.atomic():
        job = ReportJob.objects.create(
            wave=wave,
            kind=kind,
            format=fmt,
            sector=sector if kind == ReportJob.Kind.SECTOR else "",
            status=ReportJob.Status.SUCCEEDED,
            step="Finished",
            progress=100,
            title=title[:300],
            source=ReportJob.Source.CLI,
            options=(options or ReportOptions()).to_json(),
            size_bytes=len(data),
            started_at=now,
            finished_at=now,
        )
        target = reports_dir() / f"report-{job.pk}.{fmt}"
        write_atomically(target, data)
        try:
            job.file_name = target.name
            job.save(update_fields=["file_name"])
        except BaseException:
            target.unlink(missing_ok=True)
            raise
    return job


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


def export_job_create(
    *,
    wave: Wave,
    fmt: str,
    scores: bool = False,
    weights: bool = False,
    open_answers: bool = False,
    partial: bool = False,
    language: str = "en",
    user: User | AnonymousUser | None = None,
    actor_label: str | None = None,
) -> ExportJob:
    """Record an export job and its audit event in one transaction; enqueue it on commit.

    The one way an export job starts: the back office and the API call it
    (``actor_label`` names an API token's principal in the audit log).
    """
    if fmt not in ExportJob.Format.values:
        raise UserError(
            f"export format {fmt!r}: choose one of {', '.join(ExportJob.Format.values)}"
        )
    instrument = instrument_get(wave.instrument_key)
    if language not in instrument.languages:
        raise UserError(
            f"language {language!r}: {instrument.key} has {', '.join(instrument.languages)}"
        )
    if weights and not WaveMargins.objects.filter(wave=wave).exists():
        raise UserError(
            "the wave has no margins uploaded, so there is no weight to export: upload them "
            "on the reports page, or export without the weights"
        )
    with transaction.atomic():
        job = ExportJob.objects.create(
            wave=wave,
            format=fmt,
            scores=scores,
            weights=weights,
            open_answers=open_answers,
            partial=partial,
            language=language,
            created_by=_staff(user),
            step="Waiting to start",
        )
        audit_record(
            "export.create",
            actor=user,
            actor_label=actor_label,
            obj=job,
            wave=wave.slug,
            format=fmt,
            options=job.options,
        )
    job_id = job.pk
    transaction.on_commit(lambda: run_export_job.enqueue(job_id))
    return job


def export_jobs_abandon(*, reason: str = "the server stopped before the job finished") -> int:
    """Mark export jobs left queued or running by a previous server process as failed."""
    return ExportJob.objects.filter(
        status__in=(ReportJob.Status.QUEUED, ReportJob.Status.RUNNING)
    ).update(
        status=ReportJob.Status.FAILED,
        error=f"Not finished: {reason}. Start the export again.",
        finished_at=timezone.now(),
    )


def export_job_file(job: ExportJob) -> Path | None:
    """The finished file of an export job, if it is still there."""
    if job.status != ReportJob.Status.SUCCEEDED or not job.file_name:
        return None
    path = Path(settings.COLLABREADY_REPORTS_DIR) / Path(job.file_name).name
    return path if path.is_file() else None


def export_job_download(
    *, job: ExportJob, user: User | AnonymousUser | None, actor_label: str | None = None
) -> Path | None:
    """The finished file of an export job (None: none), its download recorded in the audit log."""
    path = export_job_file(job)
    if path is None:
        return None
    audit_record(
        "export.download",
        actor=user,
        actor_label=actor_label,
        obj=job,
        wave=job.wave.slug,
        format=job.format,
    )
    return path


def export_jobs_withdraw(*, wave_id: int, reason: str) -> int:
    """Cancel the wave's queued and running exports and delete its finished files
    (after an erasure: no export may still hold the erased response)."""
    jobs = ExportJob.objects.filter(wave_id=wave_id)
    for job in jobs.filter(status=ReportJob.Status.SUCCEEDED):
        path = export_job_file(job)
        if path is not None:
            path.unlink(missing_ok=True)
    return jobs.exclude(status=ReportJob.Status.FAILED).update(
        status=ReportJob.Status.FAILED,
        error=f"Withdrawn: {reason}. Start the export again.",
        file_name="",
        finished_at=timezone.now(),
    )


def export_record_cli(
    *, wave: Wave, actor_label: str, fmt: str, options: list[str], rows: int
) -> None:
    """Record an export of ``wave`` written by ``collabready export --wave``."""
    audit_record(
        "export.create",
        actor_label=actor_label,
        object_type="surveys.wave",
        object_id=wave.pk,
        wave=wave.slug,
        format=fmt,
        options=options,
        rows=rows,
        via="command line",
    )
