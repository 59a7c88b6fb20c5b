"""Set-up and read-back for the worker tests, run as a separate process on the
database the workers use (``python -m tests.web.worker_harness ...`` with
``DJANGO_SETTINGS_MODULE`` and ``COLLABREADY_TEST_DATABASE_URL`` set), so the same
test runs on a SQLite file and on PostgreSQL. Prints one JSON object.

- ``report GATE_DIR``: a wave of synthetic responses, a queued national HTML report
  job, and its task (``worker_tasks.gated_report_job``) in the database queue;
- ``many COUNT LOG``: COUNT queued ``worker_tasks.log_run`` tasks;
- ``state [JOB_ID]``: the queue's rows, their leases and the job's row.
"""

from __future__ import annotations

import json
import sys
from datetime import timedelta
from typing import Any


def _report(gate_dir: str) -> dict[str, Any]:
    from django.utils import timezone

    from collabready.instrument import load_instrument
    from collabready.synth import generate_wave
    from collabready.web.reports.models import ReportJob
    from collabready.web.surveys.models import Wave
    from collabready.web.surveys.services.bulk import responses_bulk_load
    from tests.web.worker_tasks import gated_report_job

    instrument = load_instrument()
    now = timezone.now()
    wave = Wave.objects.create(
        slug="worker-kill",
        name="Worker kill wave",
        instrument_key=instrument.key,
        opens_at=now - timedelta(days=20),
        closes_at=now + timedelta(days=20),
        privacy_notice="Only totals are published.",
    )
    frame = generate_wave(respondents=120, seed=13, instrument=instrument).responses
    responses_bulk_load(wave=wave, responses=frame)
    job = ReportJob.objects.create(wave=wave, kind="national", format="html")
    result = gated_report_job.enqueue(job.pk, gate_dir)
    return {"job": job.pk, "task": str(result.id)}


def _many(count: int, log: str) -> dict[str, Any]:
    from tests.web.worker_tasks import log_run

    return {"tasks": [str(log_run.enqueue(n, log).id) for n in range(count)]}


def _state(job_id: int | None) -> dict[str, Any]:
    from django_tasks_db.models import DBTaskResult

    from collabready.web.reports.models import ReportJob
    from collabready.web.worker.models import TaskLease

    tasks = [
        {
            "id": str(r.pk),
            "status": r.status,
            "worker_ids": r.worker_ids,
            "return_value": r.return_value,
            "exception_class_path": r.exception_class_path,
        }
        for r in DBTaskResult.objects.order_by("enqueued_at")
    ]
    leases = {
        str(lease.task_id): {
            "attempt": lease.attempt,
            "worker_id": lease.worker_id,
            "recoveries": lease.recoveries,
        }
        for lease in TaskLease.objects.all()
    }
    state: dict[str, Any] = {"tasks": tasks, "leases": leases}
    if job_id is not None:
        job = ReportJob.objects.get(pk=job_id)
        state["job"] = {
            field: getattr(job, field)
            for field in (
                "status",
                "attempt",
                "restarts",
                "progress",
                "step",
                "error",
                "file_name",
                "size_bytes",
                "title",
            )
        }
    return state


def main(argv: list[str]) -> int:
    import django

    django.setup()
    command, *args = argv
    if command == "report":
        out = _report(args[0])
    elif command == "many":
        out = _many(int(args[0]), args[1])
    elif command == "state":
        out = _state(int(args[0]) if args else None)
    else:
        print(f"unknown command {command!r}", file=sys.stderr)
        return 2
    print(json.dumps(out))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
