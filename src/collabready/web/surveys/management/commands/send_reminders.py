"""``collabready-manage send_reminders``: enqueue the scheduled reminders that are due."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from collabready.web.surveys.services.reminders import reminders_enqueue_due


class Command(BaseCommand):
    help = "Send the scheduled reminders that are due (run it hourly from cron or a timer)."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument(
            "--wait", action="store_true", help="wait for the worker to finish before exiting"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        waves = reminders_enqueue_due()
        if options["wait"]:
            from collabready.web.reports.backend import wait_for_tasks

            wait_for_tasks(timeout=3600)
        self.stdout.write(f"Scheduled reminders enqueued for {len(waves)} wave(s).")
