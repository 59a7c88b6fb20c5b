"""`collabready worker` survives being killed: leases, heartbeats, recovery, fencing.

The process tests start real ``collabready worker`` processes on a real database
(a SQLite file, and PostgreSQL when COLLABREADY_TEST_DATABASE_URL points at one),
give them a real report job whose first attempt holds at its "render" step until
the test opens a gate (``worker_tasks.gated_report_job``), and ``kill -9`` (or
SIGSTOP) the worker that claimed it. Waits are bounded by generous deadlines; no
test asserts how long anything took.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.test import Client, override_settings
from django.utils import timezone

from tests.web.conftest import _on_postgres

BIN = Path(sys.executable).parent
ROOT = Path(__file__).resolve().parents[2]
#: Generous bound on every wait (a loaded machine is slow; never asserted as a speed).
DEADLINE = 400
DATABASE_TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}


@dataclass
class TaskDb:
    """The database the worker processes and the harness share."""

    env: dict[str, str]
    folder: Path

    def harness(self, *args: str) -> Any:
        run = subprocess.run(
            [sys.executable, "-m", "tests.web.worker_harness", *args],
            env=self.env,
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=DEADLINE,
            check=False,
        )
        assert run.returncode == 0, run.stderr[-3000:]
        return json.loads(run.stdout.strip().splitlines()[-1])

    def worker(self, worker_id: str, *extra: str, **env: str) -> subprocess.Popen[str]:
        log = (self.folder / f"{worker_id}.log").open("w")
        return subprocess.Popen(
            [BIN / "collabready", "worker", "--worker-id", worker_id, *extra],
            env={**self.env, **env},
            cwd=ROOT,
            stdout=log,
            stderr=subprocess.STDOUT,
            text=True,
        )

    def log(self, worker_id: str) -> str:
        return (self.folder / f"{worker_id}.log").read_text()

    @property
    def reports(self) -> Path:
        return Path(self.env["COLLABREADY_REPORTS_DIR"])


def _env(tmp_path: Path, url: str) -> dict[str, str]:
    return {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(tmp_path),
        "DJANGO_SETTINGS_MODULE": "collabready.web.settings.test",
        "COLLABREADY_TEST_DATABASE_URL": url,
        "COLLABREADY_TASK_BACKEND": "database",
        "COLLABREADY_REPORTS_DIR": str(tmp_path / "reports"),
        "COLLABREADY_DATA_DIR": str(tmp_path / "data"),
        "PYTHONPATH": str(ROOT),
        # a short lease so the tests need not wait minutes, long enough that a worker
        # starved of CPU on a loaded machine still stamps it in time
        "COLLABREADY_TASK_LEASE_SECONDS": "20",
        "COLLABREADY_TASK_HEARTBEAT_SECONDS": "2",
    }


@pytest.fixture(
    params=[
        "sqlite",
        pytest.param(
            "postgres", marks=[pytest.mark.postgres, pytest.mark.django_db(transaction=True)]
        ),
    ]
)
def task_db(request: pytest.FixtureRequest, tmp_path: Path) -> TaskDb:
    if request.param == "sqlite":
        if _on_postgres():
            pytest.skip("the SQLite-file variant runs in the SQLite run of the suite")
        env = _env(tmp_path, f"sqlite:///{tmp_path / 'tasks.sqlite3'}")
        subprocess.run(
            [BIN / "collabready-manage", "migrate", "--verbosity", "0", "--skip-checks"],
            env=env,
            cwd=ROOT,
            capture_output=True,
            timeout=DEADLINE,
            check=True,
        )
    else:
        s = connection.settings_dict
        env = _env(tmp_path, f"postgres://{s['USER']}@{s['HOST']}:{s['PORT']}/{s['NAME']}")
    return TaskDb(env=env, folder=tmp_path)


def _wait(ready: Callable[[], Any], what: str) -> Any:
    deadline = time.monotonic() + DEADLINE
    while time.monotonic() < deadline:
        got = ready()
        if got:
            return got
        time.sleep(0.2)
    raise AssertionError(f"gave up waiting for {what}")


def _lines(path: Path) -> list[list[str]]:
    if not path.exists():
        return []
    return [line.split() for line in path.read_text().splitlines() if line.strip()]


def _stop(*workers: subprocess.Popen[str]) -> None:
    for w in workers:
        if w.poll() is None:
            w.send_signal(signal.SIGCONT)
            w.send_signal(signal.SIGTERM)
    for w in workers:
        try:
            w.wait(timeout=120)
        except subprocess.TimeoutExpired:
            w.kill()
            w.wait()


@pytest.fixture
def started() -> Iterator[list[subprocess.Popen[str]]]:
    """Every worker a test starts is stopped at its end, whatever happens."""
    workers: list[subprocess.Popen[str]] = []
    yield workers
    _stop(*workers)


@pytest.mark.slow
def test_a_killed_workers_report_job_is_finished_once_by_the_other(
    task_db: TaskDb, tmp_path: Path, started: list[subprocess.Popen[str]]
) -> None:
    gate = tmp_path / "gate"
    gate.mkdir()
    made = task_db.harness("report", str(gate))
    job, task = made["job"], made["task"]
    workers = {w: task_db.worker(w, "--interval", "0.2") for w in ("w0", "w1")}
    started.extend(workers.values())
    runs = gate / "runs.log"

    [[event, attempt, pid]] = _wait(lambda: _lines(runs), "a worker to start the report")
    assert (event, attempt) == ("start", "1")
    killed = next(w for w, process in workers.items() if process.pid == int(pid))
    survivor = next(w for w in workers if w != killed)
    state = task_db.harness("state", str(job))
    assert state["job"]["status"] == "running"  # killed mid-run, with progress recorded
    assert state["job"]["progress"] > 0
    workers[killed].send_signal(signal.SIGKILL)
    assert workers[killed].wait(timeout=60) == -signal.SIGKILL

    # the other worker takes it back when the lease runs out, and finishes it
    _wait(lambda: any(line[0] == "returned" for line in _lines(runs)), "the report to finish")
    _stop(workers[survivor])
    assert workers[survivor].returncode == 0, task_db.log(survivor)

    lines = _lines(runs)
    assert lines == [
        ["start", "1", str(workers[killed].pid)],
        ["start", "2", str(workers[survivor].pid)],
        ["returned", "0", str(workers[survivor].pid)],
    ]
    state = task_db.harness("state", str(job))
    [result] = state["tasks"]
    assert result["id"] == task
    assert result["status"] == "SUCCESSFUL"
    assert result["worker_ids"] == [killed, survivor]
    assert state["leases"][task] == {"attempt": 2, "worker_id": "", "recoveries": 1}
    row = state["job"]
    assert row["status"] == "succeeded", row["error"]
    assert (row["attempt"], row["restarts"], row["progress"]) == (2, 1, 100)
    assert row["file_name"] == f"report-{job}-2.html"
    assert row["title"] == "The State of Collaboration"
    # the result is there once: one file, whole, the one the row names
    assert sorted(p.name for p in task_db.reports.iterdir()) == [row["file_name"]]
    html = (task_db.reports / row["file_name"]).read_bytes()
    assert len(html) == row["size_bytes"]
    assert b"The State of Collaboration" in html
    assert f"no heartbeat from worker {killed}" in task_db.log(survivor)


@pytest.mark.slow
def test_a_worker_presumed_dead_that_comes_back_cannot_overwrite_the_result(
    task_db: TaskDb, tmp_path: Path, started: list[subprocess.Popen[str]]
) -> None:
    gate = tmp_path / "gate"
    gate.mkdir()
    made = task_db.harness("report", str(gate))
    job, task = made["job"], made["task"]
    # the first worker runs one task then exits, so the test sees it finish its run
    first = task_db.worker("w0", "--interval", "0.2", "--max-tasks", "1")
    started.append(first)
    runs = gate / "runs.log"
    _wait(lambda: _lines(runs), "the first worker to start the report")
    first.send_signal(signal.SIGSTOP)  # no heartbeat from now on: presumed dead

    second = task_db.worker("w1", "--interval", "0.2")
    started.append(second)
    _wait(
        lambda: ["returned", "0", str(second.pid)] in _lines(runs),
        "the second worker to finish the report",
    )
    (gate / "open").touch()
    first.send_signal(signal.SIGCONT)  # it comes back, and carries on where it was
    assert first.wait(timeout=DEADLINE) == 0, task_db.log("w0")
    _stop(second)

    assert _lines(runs) == [
        ["start", "1", str(first.pid)],
        ["start", "2", str(second.pid)],
        ["returned", "0", str(second.pid)],
        ["resumed", "1", str(first.pid)],
        ["returned", "0", str(first.pid)],
    ]
    state = task_db.harness("state", str(job))
    [result] = state["tasks"]
    assert result["status"] == "SUCCESSFUL"
    assert result["worker_ids"] == ["w0", "w1"]
    assert state["leases"][task] == {"attempt": 2, "worker_id": "", "recoveries": 1}
    row = state["job"]
    assert (row["status"], row["attempt"], row["restarts"]) == ("succeeded", 2, 1)
    assert row["file_name"] == f"report-{job}-2.html"
    assert sorted(p.name for p in task_db.reports.iterdir()) == [row["file_name"]]
    log = task_db.log("w0")
    assert "attempt 1 was superseded" in log  # the job row refused its writes
    assert "lost its lease; its result is discarded" in log  # and the task row too


@pytest.mark.slow
def test_a_second_sigterm_stops_the_task_and_puts_it_straight_back_in_the_queue(
    task_db: TaskDb, tmp_path: Path, started: list[subprocess.Popen[str]]
) -> None:
    gate = tmp_path / "gate"
    gate.mkdir()
    made = task_db.harness("report", str(gate))
    # a lease far longer than the test: only the forced stop can give the task back
    worker = task_db.worker("w0", "--interval", "0.2", COLLABREADY_TASK_LEASE_SECONDS="3600")
    started.append(worker)
    _wait(lambda: _lines(gate / "runs.log"), "the worker to start the report")
    worker.send_signal(signal.SIGTERM)  # the first: finish the task first (it is held)
    _wait(lambda: "shutting down gracefully" in task_db.log("w0"), "the first SIGTERM")
    assert worker.poll() is None
    worker.send_signal(signal.SIGTERM)  # the second: stop it now
    assert worker.wait(timeout=DEADLINE) == 1

    state = task_db.harness("state", str(made["job"]))
    [result] = state["tasks"]
    assert result["status"] == "READY"  # back in the queue, for the next worker
    assert state["leases"][made["task"]] == {"attempt": 1, "worker_id": "", "recoveries": 1}
    row = state["job"]
    assert (row["status"], row["restarts"], row["step"]) == (
        "queued",
        1,
        "Restarted after the worker stopped",
    )
    assert "worker w0 was stopped" in task_db.log("w0")


@pytest.mark.slow
def test_two_workers_never_both_run_one_task(
    task_db: TaskDb, tmp_path: Path, started: list[subprocess.Popen[str]]
) -> None:
    workers = [task_db.worker(f"w{i}", "--interval", "0.05") for i in range(2)]
    started.extend(workers)
    for i in range(2):  # both polling before there is anything to take
        _wait(lambda i=i: "Starting worker" in task_db.log(f"w{i}"), f"worker w{i} to start")
    count = 60
    log = tmp_path / "runs.log"
    made = task_db.harness("many", str(count), str(log))
    _wait(lambda: len(_lines(log)) >= count, "every task to run")
    _stop(*workers)
    assert [w.returncode for w in workers] == [0, 0]

    runs = _lines(log)
    assert sorted(int(n) for n, _ in runs) == list(range(count))  # every task ran once
    assert {int(pid) for _, pid in runs} == {w.pid for w in workers}  # both took some
    state = task_db.harness("state")
    results = {r["id"]: r for r in state["tasks"]}
    assert sorted(results) == sorted(made["tasks"])
    for n, task in enumerate(made["tasks"]):
        assert results[task]["status"] == "SUCCESSFUL"
        assert results[task]["return_value"] == n
        assert len(results[task]["worker_ids"]) == 1  # claimed once
        assert state["leases"][task] == {
            "attempt": 1,
            "worker_id": "",
            "recoveries": 0,
        }
    assert {r["worker_ids"][0] for r in results.values()} == {"w0", "w1"}


def test_the_worker_refuses_a_lease_shorter_than_three_heartbeats(tmp_path: Path) -> None:
    env = _env(tmp_path, f"sqlite:///{tmp_path / 'none.sqlite3'}")
    env["COLLABREADY_TASK_LEASE_SECONDS"] = "5"
    env["COLLABREADY_TASK_HEARTBEAT_SECONDS"] = "2"
    run = subprocess.run(
        [BIN / "collabready", "worker"],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=DEADLINE,
        check=False,
    )
    assert run.returncode == 2
    assert "Traceback" not in run.stderr
    assert "COLLABREADY_TASK_LEASE_SECONDS (5) must be at least three heartbeats" in run.stderr
    env["COLLABREADY_TASK_LEASE_SECONDS"] = "five minutes"
    run = subprocess.run(
        [BIN / "collabready", "worker"],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=DEADLINE,
        check=False,
    )
    assert run.returncode == 2
    assert "Traceback" not in run.stderr
    assert "COLLABREADY_TASK_* setting is not a number" in run.stderr


# --- the lease rules, on the test database ---------------------------------------------


def _backdate(seconds: float) -> None:
    from collabready.web.worker.models import TaskLease

    TaskLease.objects.update(heartbeat_at=timezone.now() - timedelta(seconds=seconds))


@pytest.mark.django_db(transaction=True)
def test_an_expired_lease_requeues_the_job_then_gives_up_after_the_last_attempt(
    wave: Any,
) -> None:
    from django_tasks_db.models import DBTaskResult

    from collabready.web.reports.jobs import JobSupersededError, job_claim, job_write
    from collabready.web.reports.models import ReportJob
    from collabready.web.reports.tasks import run_report_job
    from collabready.web.worker.leases import (
        WORKER_LOST,
        claim_next,
        finish,
        heartbeat,
        recover_expired,
    )

    job = ReportJob.objects.create(wave=wave, kind="national", format="pdf")
    with override_settings(TASKS=DATABASE_TASKS):
        queued = run_report_job.enqueue(job.pk)

    def recover(max_attempts: int = 2) -> list[Any]:
        return recover_expired(backend_name="default", lease_seconds=60, max_attempts=max_attempts)

    first = claim_next(DBTaskResult.objects.ready(), worker_id="a")
    assert first is not None
    assert first.attempt == 1
    assert claim_next(DBTaskResult.objects.ready(), worker_id="b") is None  # taken
    assert job_claim(ReportJob, job.pk) == 1  # the task started the job
    assert recover() == []  # a fresh lease is left alone
    assert heartbeat(first)

    _backdate(61)  # worker "a" stops being heard from
    assert [str(i) for i in recover()] == [str(queued.id)]
    task = DBTaskResult.objects.get()
    assert task.status == "READY"
    job.refresh_from_db()
    assert (job.status, job.restarts, job.progress) == ("queued", 1, 0)
    assert job.step == "Restarted after the worker stopped"
    # "a" comes back: it may neither stamp the lease, nor write the job, nor record a result
    assert not heartbeat(first)
    with pytest.raises(JobSupersededError):
        job_write(ReportJob, job.pk, 1, progress=50)
    assert not finish(first, return_value=None)
    assert DBTaskResult.objects.get().status == "READY"

    second = claim_next(DBTaskResult.objects.ready(), worker_id="b")
    assert second is not None
    assert second.attempt == 2
    assert job_claim(ReportJob, job.pk) == 2
    _backdate(61)  # "b" stops too: that was the last attempt
    assert len(recover()) == 1
    task = DBTaskResult.objects.get()
    assert task.status == "FAILED"
    assert task.exception_class_path == WORKER_LOST
    assert task.worker_ids == ["a", "b"]
    job.refresh_from_db()
    assert job.status == "failed"
    assert "the worker generating this report stopped 2 times" in job.error

    staff = get_user_model().objects.create_user("analyst", "a@example.org", "pw-analyst-1")
    staff.is_staff = True
    staff.save()
    client = Client()
    client.force_login(staff)
    page = client.get(f"/backoffice/reports/{job.pk}/").content.decode()
    assert "Restarted after the worker stopped" in page
    assert "stopped 2 times before it was done" in page
    listing = client.get(f"/backoffice/waves/{wave.pk}/reports/").content.decode()
    assert "Failed, restarted after the worker stopped" in listing


@pytest.mark.django_db(transaction=True)
def test_a_running_task_without_a_lease_is_recovered_from_when_it_started(wave: Any) -> None:
    """A task claimed by a plain db_worker (or before leases existed) is not stuck for ever."""
    from django_tasks_db.models import DBTaskResult

    from collabready.web.worker.leases import recover_expired
    from collabready.web.worker.models import TaskLease
    from tests.web.worker_tasks import log_run

    with override_settings(TASKS=DATABASE_TASKS):
        log_run.enqueue(1, "/dev/null")
        log_run.enqueue(2, "/dev/null")
    old, recent = DBTaskResult.objects.order_by("enqueued_at")
    for row, age in ((old, 600), (recent, 5)):
        row.claim("plain-db-worker")
        DBTaskResult.objects.filter(pk=row.pk).update(
            started_at=timezone.now() - timedelta(seconds=age)
        )
    taken = recover_expired(backend_name="default", lease_seconds=60, max_attempts=3)
    assert [str(t) for t in taken] == [str(old.pk)]
    assert DBTaskResult.objects.get(pk=old.pk).status == "READY"
    assert DBTaskResult.objects.get(pk=recent.pk).status == "RUNNING"
    lease = TaskLease.objects.get()
    assert (lease.task_id, lease.attempt, lease.recoveries) == (old.pk, 1, 1)
