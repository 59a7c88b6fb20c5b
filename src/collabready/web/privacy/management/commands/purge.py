"""``collabready-manage purge [--dry-run]`` (also ``collabready purge``): the retention policy."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from collabready.web.privacy.services.retention import purge


class Command(BaseCommand):
    help = (
        "Delete personal data (e-mail addresses, names, links, open answers if the wave's "
        "policy says so) of waves closed longer than their retention period; keep the "
        "anonymised answers. Run it daily (cron, a systemd timer)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--dry-run", action="store_true", help="list what would go")

    def handle(self, *args: Any, **options: Any) -> None:
        dry = bool(options["dry_run"])
        plans = purge(dry_run=dry)
        verb = "Would purge" if dry else "Purged"
        if not plans:
            self.stdout.write("Nothing to purge: no wave is past its retention period.")
        for p in plans:
            self.stdout.write(
                f"{verb} wave {p.wave_slug} (due {p.due_at:%Y-%m-%d}): {p.invitations} e-mail "
                f"addresses and names, {p.links} links, {p.open_answers} open answers, "
                f"{p.idempotency_records} API request records"
            )
