"""Tasks for the worker tests, run by real ``collabready worker`` processes.

- :func:`log_run` records which process ran it, as a line appended to a file (which
  works whatever the database);
- :func:`gated_report_job` runs a real report job (``report_job_run``) and, on its
  first attempt, holds at the "render" step until the test creates the file
  ``<gate dir>/open``: a worker can be killed (or stopped) in the middle of a report
  without any part of the report or the database being faked.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

from django.templatetags.static import static
from django_tasks import task

#: Generous bound on the gate (never reached when the test goes as planned).
GATE_WAIT_SECONDS = 600


def append_line(path: Path, line: str) -> None:
    """Append one line in one write (O_APPEND: lines from processes never interleave)."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
    try:
        os.write(fd, (line + "\n").encode())
    finally:
        os.close(fd)


@task()
def log_run(n: int, log: str) -> int:
    append_line(Path(log), f"{n} {os.getpid()}")
    time.sleep(0.05)
    return n


@task()
def gated_report_job(job_id: int, gate_dir: str) -> None:
    from collabready.web.reports.jobs import report_job_run
    from collabready.web.reports.models import ReportJob
    from collabready.web.reports.tasks import VEGA_STATIC_DIR

    gate = Path(gate_dir)
    log = gate / "runs.log"

    def on_step(name: str) -> None:
        if name != "render":
            return
        attempt = ReportJob.objects.values_list("attempt", flat=True).get(pk=job_id)
        append_line(log, f"start {attempt} {os.getpid()}")
        if attempt != 1:
            return
        deadline = time.monotonic() + GATE_WAIT_SECONDS
        while not (gate / "open").exists():
            if time.monotonic() > deadline:
                raise TimeoutError("the test never opened the gate")
            time.sleep(0.05)
        append_line(log, f"resumed {attempt} {os.getpid()}")

    report_job_run(job_id, assets_url=static(VEGA_STATIC_DIR), on_step=on_step)
    append_line(log, f"returned 0 {os.getpid()}")


def _follows_its_job() -> None:
    from collabready.web.reports.models import ReportJob
    from collabready.web.reports.recovery import job_task

    job_task(gated_report_job, ReportJob)


_follows_its_job()
