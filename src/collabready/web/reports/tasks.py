"""The background task: generate one report job (see ``jobs.report_job_run``)."""

from __future__ import annotations

from django.templatetags.static import static
from django_tasks import task

from collabready.web.reports.jobs import report_job_run
from collabready.web.reports.models import ExportJob, ReportJob
from collabready.web.reports.recovery import job_task

#: Where the web serves vega, vega-lite, vega-embed and collabready-charts.js.
VEGA_STATIC_DIR = "build/vega/"


@task()
def run_report_job(job_id: int) -> None:
    """Generate the report of a :class:`ReportJob`; progress and errors go to its row."""
    report_job_run(job_id, assets_url=static(VEGA_STATIC_DIR))


@task()
def run_export_job(job_id: int) -> None:
    """Write the export of an :class:`ExportJob`; progress and errors go to its row."""
    from collabready.web.reports.exports import export_job_run

    export_job_run(job_id)


# A job's row follows its task when the worker running it stops (``recovery``).
job_task(run_report_job, ReportJob)
job_task(run_export_job, ExportJob)
