"""A django-tasks backend that runs tasks on a small pool of threads in the web process.

``collabready demo`` (and a single-process deployment) needs background work with
no extra process to start: a task enqueued here runs on one of
``OPTIONS["WORKERS"]`` threads (default 1) shared by the whole process, while the
request that enqueued it returns at once. Task state lives in the task's own
rows (for reports, :class:`~collabready.web.reports.models.ReportJob`), so a
page can show progress from any thread or process. Jobs left unfinished when the
process stops are marked failed at the next ``collabready demo`` start.

A deployment with several processes, or that wants jobs to survive restarts,
can point ``TASKS`` at a queue-backed django-tasks backend with its own worker;
the task functions do not change.
"""

from __future__ import annotations

import logging
import threading
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any, TypeVar

from django.db import close_old_connections, connections
from django.utils import timezone
from django_tasks.backends.base import BaseTaskBackend
from django_tasks.base import Task, TaskContext, TaskError, TaskResult, TaskResultStatus
from django_tasks.utils import get_exception_traceback, get_module_path, get_random_id
from typing_extensions import ParamSpec

logger = logging.getLogger(__name__)

T = TypeVar("T")
P = ParamSpec("P")

_lock = threading.Lock()
_pools: dict[str, ThreadPoolExecutor] = {}
_pending: set[Future[None]] = set()


def _pool(alias: str, workers: int) -> ThreadPoolExecutor:
    with _lock:
        pool = _pools.get(alias)
        if pool is None:
            pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix=f"tasks-{alias}")
            _pools[alias] = pool
        return pool


def wait_for_tasks(timeout: float | None = None) -> None:
    """Block until every task enqueued so far has finished (tests, shutdown)."""
    from concurrent.futures import wait

    with _lock:
        pending = set(_pending)
    wait(pending, timeout=timeout)


class ThreadPoolBackend(BaseTaskBackend):
    """Run tasks on background threads of the current process."""

    supports_async_task = False
    supports_get_result = False
    supports_priority = False
    supports_defer = False

    def __init__(self, alias: str, params: dict[str, Any]) -> None:
        super().__init__(alias, params)
        self.workers = int(self.options.get("WORKERS", 1))
        self.worker_id = get_random_id()

    # The signature is BaseTaskBackend.enqueue's, ignores included: django-tasks passes
    # the task's *args and **kwargs on as plain values, which P.args cannot describe.
    def enqueue(
        self,
        task: Task[P, T],
        args: P.args,  # type: ignore[valid-type]
        kwargs: P.kwargs,  # type: ignore[valid-type]
    ) -> TaskResult[T]:
        self.validate_task(task)
        result: TaskResult[T] = TaskResult(
            task=task,
            id=get_random_id(),
            status=TaskResultStatus.READY,
            enqueued_at=timezone.now(),
            started_at=None,
            last_attempted_at=None,
            finished_at=None,
            args=args,
            kwargs=kwargs,
            backend=self.alias,
            errors=[],
            worker_ids=[],
        )
        future = _pool(self.alias, self.workers).submit(self._run, result)
        with _lock:
            _pending.add(future)
        future.add_done_callback(_forget)
        return result

    def _run(self, result: TaskResult[Any]) -> None:
        task = result.task
        now = timezone.now()
        object.__setattr__(result, "status", TaskResultStatus.RUNNING)
        object.__setattr__(result, "started_at", now)
        object.__setattr__(result, "last_attempted_at", now)
        result.worker_ids.append(self.worker_id)
        close_old_connections()
        try:
            if task.takes_context:
                task.call(TaskContext(task_result=result), *result.args, **result.kwargs)
            else:
                task.call(*result.args, **result.kwargs)
        except Exception as exc:
            logger.exception("task %s failed", task.name)
            result.errors.append(
                TaskError(
                    exception_class_path=get_module_path(type(exc)),
                    traceback=get_exception_traceback(exc),
                )
            )
            object.__setattr__(result, "status", TaskResultStatus.FAILED)
        else:
            object.__setattr__(result, "status", TaskResultStatus.SUCCESSFUL)
        finally:
            object.__setattr__(result, "finished_at", timezone.now())
            connections.close_all()


def _forget(future: Future[None]) -> None:
    with _lock:
        _pending.discard(future)
