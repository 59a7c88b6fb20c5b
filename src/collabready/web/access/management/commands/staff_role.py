"""``collabready-manage staff_role USER ROLE [--personal-data] [--wave SLUG ...]``."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import User
from django.core.management.base import BaseCommand, CommandError, CommandParser

from collabready.errors import UserError
from collabready.web.access.models import Role
from collabready.web.access.services import convenor_link, role_set
from collabready.web.surveys.models import Wave


class Command(BaseCommand):
    help = "Give a user a staff role (audited); for a convenor, link the waves they may see."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("user")
        parser.add_argument("role", choices=Role.values)
        parser.add_argument("--personal-data", action="store_true", help="researcher: grant")
        parser.add_argument("--wave", action="append", default=[], help="convenor: a wave slug")

    def handle(self, *args: Any, **options: Any) -> None:
        user = User.objects.filter(username=options["user"]).first()
        if user is None:
            raise CommandError(f"{options['user']}: no such user")
        waves = []
        for slug in options["wave"]:
            wave = Wave.objects.filter(slug=slug).first()
            if wave is None:
                raise CommandError(f"--wave {slug}: no such wave")
            waves.append(wave)
        try:
            role_set(user=user, role=options["role"], personal_data=options["personal_data"])
        except UserError as exc:
            raise CommandError(str(exc)) from None
        for wave in waves:
            convenor_link(user=user, wave_id=wave.pk)
        self.stdout.write(f"{user} is now {options['role']}.")
