"""``collabready worker``: django-tasks-db's worker loop, with leases (see ``leases``).

The loop is django-tasks-db's ``Worker`` (its signals, graceful SIGTERM, ``--batch``
and ``--max-tasks``); what changes is how a task is claimed (with a lease), that a
thread stamps the lease while the task runs, that the result is recorded only while
the lease is held, and that the worker takes back expired tasks before it looks
for work (at most once a heartbeat).
"""

from __future__ import annotations

import logging
import random
import signal
import threading
import time
from types import FrameType
from typing import Any

from django.db import close_old_connections, connections
from django.db.utils import OperationalError
from django_tasks_db.compat import TaskContext, task_finished, task_started
from django_tasks_db.management.commands.db_worker import Worker
from django_tasks_db.models import DBTaskResult
from django_tasks_db.utils import is_locked_database_exception

from collabready.web.worker import leases
from collabready.web.worker.leases import Claim, LeaseSettings

logger = logging.getLogger("django_tasks_db")


class _Heartbeat(threading.Thread):
    """Stamps a claim's lease every ``every`` seconds until stopped or the lease is lost."""

    def __init__(self, claim: Claim, every: float) -> None:
        super().__init__(name=f"heartbeat-{claim.task_id}", daemon=True)
        self.claim = claim
        self.every = every
        self.stopped = threading.Event()
        self.lost = threading.Event()

    def run(self) -> None:
        try:
            while not self.stopped.wait(self.every):
                try:
                    held = leases.heartbeat(self.claim)
                except Exception:  # the database is away: try again at the next beat
                    logger.warning("task %s: heartbeat failed", self.claim.task_id, exc_info=True)
                    close_old_connections()
                    continue
                if not held:
                    logger.warning(
                        "task %s: the lease of attempt %s was taken back from this worker (%s); "
                        "its result will be discarded",
                        self.claim.task_id,
                        self.claim.attempt,
                        self.claim.worker_id,
                    )
                    self.lost.set()
                    return
        finally:
            connections.close_all()  # this thread's own connection

    def stop(self) -> None:
        self.stopped.set()
        self.join()


class LeasedWorker(Worker):
    def __init__(self, *, lease: LeaseSettings, **options: Any) -> None:
        super().__init__(**options)
        self.lease = lease
        self._last_recovery = float("-inf")
        self._wake = threading.Event()

    def shutdown(self, signum: int, frame: FrameType | None) -> None:
        """SIGTERM/SIGINT: stop after the current task, or at once when idle; a second
        one stops the current task too (it goes straight back to the queue).

        Unlike django-tasks-db's, the first signal never exits in the middle of the
        loop's own transactions (a claim, a recovery): it only ends the loop."""
        if not self.running:
            super().shutdown(signum, frame)  # the second signal: exits
            return
        logger.warning(
            "Received %s - shutting down gracefully... (press Ctrl+C again to force)",
            signal.strsignal(signum),
        )
        self.running = False
        self._wake.set()

    def recover(self) -> list[Any]:
        """Take back expired tasks (at most once a heartbeat interval)."""
        now = time.monotonic()
        if now - self._last_recovery < self.lease.heartbeat_seconds:
            return []
        self._last_recovery = now
        try:
            return leases.recover_expired(
                backend_name=self.backend_name,
                lease_seconds=self.lease.lease_seconds,
                max_attempts=self.lease.max_attempts,
            )
        except OperationalError as exc:
            if is_locked_database_exception(exc):
                return []
            raise

    def run(self) -> None:
        logger.info(
            "Starting worker worker_id=%s queues=%s lease=%gs heartbeat=%gs attempts=%d",
            self.worker_id,
            ",".join(self.queue_names),
            self.lease.lease_seconds,
            self.lease.heartbeat_seconds,
            self.lease.max_attempts,
        )
        if self.startup_delay and self.interval:
            self._wake.wait(random.random())  # noqa: S311 (no thundering herd)

        while self.running:
            close_old_connections()
            self.recover()
            tasks = DBTaskResult.objects.ready().filter(backend_name=self.backend_name)
            if not self.process_all_queues:
                tasks = tasks.filter(queue_name__in=self.queue_names)
            if self.excluded_queue_names:
                tasks = tasks.exclude(queue_name__in=self.excluded_queue_names)
            try:
                claim = leases.claim_next(tasks, worker_id=self.worker_id)
                looked = True
            except OperationalError as exc:
                if not is_locked_database_exception(exc):
                    raise
                claim, looked = None, False

            if claim is not None:
                self.run_claimed(claim)

            if self.batch and looked and claim is None:
                logger.info(
                    "No more tasks to run for worker_id=%s - exiting gracefully.", self.worker_id
                )
                return
            if self.max_tasks is not None and self._run_tasks >= self.max_tasks:
                logger.info(
                    "Run maximum tasks (%d) on worker=%s - exiting gracefully.",
                    self._run_tasks,
                    self.worker_id,
                )
                return
            close_old_connections()
            if self.running and claim is None:
                self._wake.wait(self.interval)

    def run_claimed(self, claim: Claim) -> None:
        """Run a claimed task with its heartbeat; record the result only if still held."""
        db_result = claim.result
        beat = _Heartbeat(claim, self.lease.heartbeat_seconds)
        self.running_task = True
        beat.start()
        recorded = False
        sender: type | None = None
        try:
            task = db_result.task
            task_result = db_result.task_result
            sender = type(task.get_backend())
            task_started.send(sender=sender, task_result=task_result)
            if task.takes_context:
                value = task.call(
                    TaskContext(task_result=task_result), *task_result.args, **task_result.kwargs
                )
            else:
                value = task.call(*task_result.args, **task_result.kwargs)
            beat.stop()
            recorded = leases.finish(claim, return_value=value)
        except (KeyboardInterrupt, SystemExit):
            beat.stop()
            # a forced stop (a second SIGTERM): hand the task straight back to the queue
            if leases.release(claim, reason=f"worker {self.worker_id} was stopped"):
                recorded = True
            raise
        except Exception as exc:
            beat.stop()
            logger.exception("Task id=%s failed", claim.task_id)
            recorded = leases.finish(claim, error=exc)
        finally:
            beat.stop()  # (again: idempotent)
            self.running_task = False
            self._run_tasks += 1
        if recorded and sender is not None:
            db_result.refresh_from_db()
            try:
                task_finished.send(sender=sender, task_result=db_result.task_result)
            except Exception:  # pragma: no cover - a receiver's bug must not stop the worker
                logger.exception("task_finished receiver failed for task %s", claim.task_id)
