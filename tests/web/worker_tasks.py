"""A task for the worker test: it records which process ran it, in a table of its own."""

from __future__ import annotations

import os
import time

from django.db import connection
from django_tasks import task

RUNS_TABLE = "worker_test_runs"


@task()
def record_run(n: int) -> None:
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {RUNS_TABLE} (n, pid) VALUES (%s, %s)",
            [n, os.getpid()],
        )
    time.sleep(0.1)
