"""The lease of a queued task: which worker holds it, since when it was last heard from."""

from __future__ import annotations

from django.db import models
from django_tasks_db.models import DBTaskResult


class TaskLease(models.Model):
    """One row per task a ``collabready worker`` has claimed (django-tasks-db's own row,
    ``DBTaskResult``, has nowhere to keep a heartbeat).

    ``attempt`` is the fencing token: it goes up by one at every claim, and a worker
    may heartbeat, or record the task's result, only while the row still names its
    ``worker_id`` and its ``attempt``. When the lease expires the row is released
    (``worker_id`` emptied), so a worker that was presumed dead and comes back
    finds it is no longer the holder and its late result is discarded.
    """

    task = models.OneToOneField(
        DBTaskResult, on_delete=models.CASCADE, primary_key=True, related_name="lease"
    )
    attempt = models.PositiveIntegerField(default=0)
    #: The holder; empty while the task is not running (finished, or back in the queue).
    worker_id = models.CharField(max_length=64, blank=True)
    #: The database's clock at the holder's last heartbeat (one clock for all machines).
    heartbeat_at = models.DateTimeField()
    #: How many times the task was taken back from a worker that stopped being heard from.
    recoveries = models.PositiveIntegerField(default=0)

    class Meta:
        indexes = (models.Index(fields=["heartbeat_at"], name="worker_lease_heartbeat_idx"),)

    def __str__(self) -> str:
        holder = self.worker_id or "nobody"
        return f"lease of task {self.task_id}: attempt {self.attempt}, held by {holder}"
