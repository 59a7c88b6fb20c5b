"""The background task: write one export job (see ``jobs.export_job_run``)."""

from __future__ import annotations

from django_tasks import task

from collabready.web.exports.jobs import export_job_run


@task()
def run_export_job(job_id: int) -> None:
    """Write the export of an :class:`ExportJob`; progress and errors go to its row."""
    export_job_run(job_id)
