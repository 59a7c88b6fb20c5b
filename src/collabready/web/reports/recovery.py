"""Report and export jobs whose worker stopped: queued again, or failed with a reason.

``collabready worker`` takes a task back from a worker that stopped being heard from
(``collabready.web.worker.leases``) and sends ``task_requeued`` inside that
transaction. Here the job row follows its task: back to "waiting to start" with
its restart counted (the back office says "restarted after the worker stopped"),
or, when no attempts are left, failed with a message that says why.
"""

from __future__ import annotations

from typing import Any, TypeVar

from django.db.models import F
from django.utils import timezone

from collabready.web.reports.models import ExportJob, ReportJob

RESTARTED_STEP = "Restarted after the worker stopped"


#: The tasks that run a job, by module path: the job's id is their first argument.
_JOB_TASKS: dict[str, type[ReportJob | ExportJob]] = {}

T = TypeVar("T")


def job_task(task: T, model: type[ReportJob | ExportJob]) -> T:
    """Declare that ``task`` runs a job of ``model`` (the job's id first), so the job
    row follows the task when its worker stops. Returns the task."""
    _JOB_TASKS[task.module_path] = model  # type: ignore[attr-defined]
    return task


def job_follow_task(
    *, task_path: str, args: list[Any], attempt: int, final: bool, **_: Any
) -> None:
    """Receiver of ``task_requeued``: put the job row in step with its task."""
    model = _JOB_TASKS.get(task_path)
    if model is None or not args:
        return
    unfinished = model.objects.filter(
        pk=args[0], status__in=(ReportJob.Status.QUEUED, ReportJob.Status.RUNNING)
    )
    what = "report" if model is ReportJob else "export"
    if final:
        unfinished.update(
            status=ReportJob.Status.FAILED,
            error=(
                f"Not finished: the worker generating this {what} stopped "
                f"{attempt} times before it was done, so it was not tried again. "
                f"Generate the {what} again; if it stops again, tell the people who run "
                "the service (a worker may be running out of memory)."
            ),
            finished_at=timezone.now(),
        )
        return
    # Still running in the row: the stopped worker had started it. Queue it again,
    # counted; a job the stopped worker had not started yet is still queued as it was.
    unfinished.filter(status=ReportJob.Status.RUNNING).update(
        status=ReportJob.Status.QUEUED,
        step=RESTARTED_STEP,
        progress=0,
        restarts=F("restarts") + 1,
    )
