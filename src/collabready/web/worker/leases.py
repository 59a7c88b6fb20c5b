"""Leases on queued tasks: claim, heartbeat, recover, and record a result only while held.

django-tasks-db claims a task with ``SELECT ... FOR UPDATE SKIP LOCKED`` and marks it
running, but a worker killed outright (``kill -9``, out of memory, a lost machine)
leaves the task running for ever. Here every claim also takes a lease
(:class:`~collabready.web.worker.models.TaskLease`), in the same transaction:

- **claim** (:func:`claim_next`): the oldest ready task, locked and skipped by
  other workers, is marked running and its lease's ``attempt`` goes up by one;
- **heartbeat** (:func:`heartbeat`): while the task runs, its worker stamps the
  lease with the database's clock every ``COLLABREADY_TASK_HEARTBEAT_SECONDS``;
  the stamp succeeds only while the lease still names that worker and attempt;
- **recovery** (:func:`recover_expired`): a running task whose lease has not been
  stamped for ``COLLABREADY_TASK_LEASE_SECONDS`` goes back to the queue (its lease
  released), or, after ``COLLABREADY_TASK_MAX_ATTEMPTS`` attempts, is marked
  failed; :data:`task_requeued` tells the task's owner (report jobs reset or fail
  their own row, in the same transaction);
- **fencing** (:func:`finish`): the result is written, under the task's row lock,
  only if the lease is still this worker's attempt. A worker presumed dead that
  comes back finds the lease gone and its result is discarded.

Every time is the database's (``Now()``), so the clocks of the machines the workers
run on do not matter.
"""

from __future__ import annotations

import contextlib
import logging
from dataclasses import dataclass
from datetime import timedelta
from traceback import format_exception
from typing import Any

from django.conf import settings
from django.core.exceptions import SuspiciousOperation
from django.db import models, transaction
from django.db.models.functions import Now
from django.dispatch import Signal
from django_tasks_db.compat import TaskResultStatus
from django_tasks_db.models import DBTaskResult, DBTaskResultQuerySet
from django_tasks_db.utils import exclusive_transaction

from collabready.web.worker.models import TaskLease

logger = logging.getLogger(__name__)

#: Sent, inside the transaction that takes a task back from a worker that stopped,
#: with ``task_path``, ``args``, ``kwargs``, ``attempt`` (the one that stopped) and
#: ``final`` (True: no attempts left, the task is marked failed; False: it is queued
#: again). Receivers put their own rows in step (a report job goes back to
#: "waiting", or fails with a clear message).
task_requeued = Signal()

#: ``exception_class_path`` of a task given up after its workers stopped.
WORKER_LOST = "collabready.web.worker.leases.WorkerLostError"


class WorkerLostError(Exception):
    """The worker running a task stopped being heard from (never raised; named in results)."""


@dataclass(frozen=True)
class LeaseSettings:
    lease_seconds: float
    heartbeat_seconds: float
    max_attempts: int

    @classmethod
    def from_settings(cls) -> LeaseSettings:
        return cls(
            lease_seconds=float(settings.COLLABREADY_TASK_LEASE_SECONDS),
            heartbeat_seconds=float(settings.COLLABREADY_TASK_HEARTBEAT_SECONDS),
            max_attempts=int(settings.COLLABREADY_TASK_MAX_ATTEMPTS),
        )


def lease_problems(
    *, lease_seconds: float, heartbeat_seconds: float, max_attempts: int
) -> list[str]:
    """What is wrong with a lease configuration (empty: nothing)."""
    problems = []
    if heartbeat_seconds <= 0:
        problems.append(f"COLLABREADY_TASK_HEARTBEAT_SECONDS is {heartbeat_seconds:g}: use > 0")
    if lease_seconds < 3 * heartbeat_seconds:
        problems.append(
            f"COLLABREADY_TASK_LEASE_SECONDS ({lease_seconds:g}) must be at least three "
            f"heartbeats (COLLABREADY_TASK_HEARTBEAT_SECONDS={heartbeat_seconds:g}), or a "
            "slow heartbeat would hand a live worker's task to another"
        )
    if max_attempts < 1:
        problems.append(f"COLLABREADY_TASK_MAX_ATTEMPTS is {max_attempts}: use 1 or more")
    return problems


@dataclass(frozen=True)
class Claim:
    """A task this worker holds: the fencing token is ``(worker_id, attempt)``."""

    result: DBTaskResult[Any, Any]
    worker_id: str
    attempt: int
    using: str = "default"

    @property
    def task_id(self) -> Any:
        return self.result.pk


def _holds(claim: Claim) -> models.QuerySet[TaskLease]:
    return TaskLease.objects.filter(
        task_id=claim.task_id, worker_id=claim.worker_id, attempt=claim.attempt
    )


def claim_next(tasks: DBTaskResultQuerySet, *, worker_id: str) -> Claim | None:
    """Claim the first ready task of ``tasks`` and take its lease (one transaction), or
    None when none is ready. Another worker's claim of the same row is skipped
    (``SKIP LOCKED``; on SQLite the transaction is exclusive)."""
    with exclusive_transaction(tasks.db):
        result = tasks.get_locked()
        if result is None:
            return None
        result.claim(worker_id)
        taken = TaskLease.objects.filter(task_id=result.pk).update(
            attempt=models.F("attempt") + 1, worker_id=worker_id, heartbeat_at=Now()
        )
        if not taken:
            TaskLease.objects.create(
                task=result, attempt=1, worker_id=worker_id, heartbeat_at=Now()
            )
        attempt = TaskLease.objects.values_list("attempt", flat=True).get(task_id=result.pk)
    return Claim(result=result, worker_id=worker_id, attempt=attempt, using=tasks.db)


def heartbeat(claim: Claim) -> bool:
    """Stamp the lease; False when it is no longer this worker's (taken back)."""
    return _holds(claim).update(heartbeat_at=Now()) == 1


def finish(claim: Claim, *, return_value: Any = None, error: BaseException | None = None) -> bool:
    """Record the task's result, if the lease is still held; release the lease.

    Returns False (and records nothing) when the lease was taken back meanwhile: the
    task has been queued again or given to another worker, whose result counts.
    """
    with exclusive_transaction(claim.using):
        running = (
            DBTaskResult.objects.select_for_update()
            .filter(pk=claim.task_id, status=TaskResultStatus.RUNNING)
            .exists()
        )
        if not running or not _holds(claim).exists():
            logger.warning(
                "task %s: this worker (%s, attempt %s) lost its lease; its result is discarded",
                claim.task_id,
                claim.worker_id,
                claim.attempt,
            )
            return False
        rows = DBTaskResult.objects.filter(pk=claim.task_id)
        if error is None:
            try:
                with transaction.atomic(using=claim.using):
                    rows.update(
                        status=TaskResultStatus.SUCCESSFUL,
                        finished_at=Now(),
                        return_value=return_value,
                        exception_class_path="",
                        traceback="",
                    )
            except (TypeError, ValueError) as exc:  # a return value JSON cannot hold
                error = exc
        if error is not None:
            rows.update(
                status=TaskResultStatus.FAILED,
                finished_at=Now(),
                return_value=None,
                exception_class_path=f"{type(error).__module__}.{type(error).__qualname__}",
                traceback="".join(format_exception(error)),
            )
        _holds(claim).update(worker_id="", heartbeat_at=Now())
    return True


def release(claim: Claim, *, reason: str) -> bool:
    """Put a task this worker holds back in the queue at once (a forced shutdown)."""
    with exclusive_transaction(claim.using):
        held = (
            DBTaskResult.objects.select_for_update()
            .filter(pk=claim.task_id, status=TaskResultStatus.RUNNING)
            .first()
        )
        if held is None or not _holds(claim).exists():
            return False
        return _take_back(
            held, _holds(claim), _holds(claim).get(), max_attempts=claim.attempt + 1, reason=reason
        )


def recover_expired(
    *, backend_name: str, lease_seconds: float, max_attempts: int, using: str = "default"
) -> list[Any]:
    """Take back every running task whose lease has not been stamped for
    ``lease_seconds`` (by the database's clock): queue it again, or, once it has had
    ``max_attempts`` attempts, mark it failed. Returns the ids taken back.

    A running task with no lease (claimed by a plain ``db_worker``, or before leases
    existed) counts from when it started.
    """
    cutoff = Now() - timedelta(seconds=lease_seconds)
    with exclusive_transaction(using):
        stale = list(
            DBTaskResult.objects.using(using)
            .running()
            .filter(backend_name=backend_name)
            .alias(beat=models.functions.Coalesce("lease__heartbeat_at", "started_at"))
            .filter(beat__lt=cutoff)
            .select_for_update(skip_locked=True, of=("self",))
            .order_by()
        )
        taken = []
        for result in stale:
            lease = TaskLease.objects.using(using).filter(task_id=result.pk).first()
            if lease is None:  # claimed without a lease: this was its first attempt
                lease = TaskLease.objects.using(using).create(
                    task=result, attempt=1, worker_id="", heartbeat_at=result.started_at
                )
            # only if still unstamped: a heartbeat that lands now keeps the task its worker's
            still_stale = TaskLease.objects.filter(
                pk=lease.pk, attempt=lease.attempt, heartbeat_at__lt=cutoff
            )
            if _take_back(
                result,
                still_stale,
                lease,
                max_attempts=max_attempts,
                reason=f"no heartbeat from worker {lease.worker_id or '(unknown)'} "
                f"for {lease_seconds:g} s",
            ):
                taken.append(result.pk)
    return taken


def _take_back(
    result: DBTaskResult[Any, Any],
    condition: models.QuerySet[TaskLease],
    lease: TaskLease,
    *,
    max_attempts: int,
    reason: str,
) -> bool:
    """Queue ``result`` again, or fail it after ``max_attempts``, and tell its owner;
    first release its lease, if ``condition`` (the lease as it must still be) holds.
    Called with the task's row locked."""
    released = condition.update(
        worker_id="", heartbeat_at=Now(), recoveries=models.F("recoveries") + 1
    )
    if not released:
        return False
    final = lease.attempt >= max_attempts
    rows = DBTaskResult.objects.filter(pk=result.pk)
    if final:
        rows.update(
            status=TaskResultStatus.FAILED,
            finished_at=Now(),
            exception_class_path=WORKER_LOST,
            traceback=(
                f"{WORKER_LOST}: attempt {lease.attempt} of {max_attempts} stopped ({reason}); "
                "not retried\n"
            ),
        )
    else:
        rows.update(status=TaskResultStatus.READY)
    logger.warning(
        "task %s (%s): attempt %s stopped (%s); %s",
        result.pk,
        result.task_path,
        lease.attempt,
        reason,
        "marked failed, no attempts left" if final else "queued again",
    )
    with contextlib.suppress(ImportError, SuspiciousOperation):
        # import the task's module: it declares what the task's own rows are (a job)
        result.task  # noqa: B018
    task_requeued.send(
        sender=DBTaskResult,
        task_path=result.task_path,
        args=result.args_kwargs.get("args", []),
        kwargs=result.args_kwargs.get("kwargs", {}),
        attempt=lease.attempt,
        final=final,
    )
    return True
