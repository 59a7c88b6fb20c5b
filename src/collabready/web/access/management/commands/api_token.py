"""``collabready-manage api_token create|revoke|list``: API tokens from the command line.

The token is printed once, on creation; only its SHA-256 is stored.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.contrib.auth.models import User
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from collabready.errors import UserError
from collabready.web.access.models import ApiToken
from collabready.web.access.services import api_token_create, api_token_revoke


class Command(BaseCommand):
    help = "Create, revoke or list API tokens (a token acts as its user, with the user's role)."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="what", required=True)
        create = sub.add_parser("create", help="create a token; it is printed once")
        create.add_argument("--user", required=True, help="the user the token acts as")
        create.add_argument("--name", required=True, help="what uses it, e.g. crm-sync")
        create.add_argument("--expires-days", type=int, default=None, help="days until expiry")
        revoke = sub.add_parser("revoke", help="revoke a token by its id")
        revoke.add_argument("token_id", type=int)
        sub.add_parser("list", help="list tokens (never their secrets)")

    def handle(self, *args: Any, **options: Any) -> None:
        what = options["what"]
        try:
            if what == "create":
                self._create(options)
            elif what == "revoke":
                if not api_token_revoke(token_id=options["token_id"]):
                    raise CommandError(
                        f"token {options['token_id']}: no such token, or already revoked"
                    )
                self.stdout.write(f"Revoked token {options['token_id']}.")
            else:
                for t in ApiToken.objects.select_related("user"):
                    state = "revoked" if t.revoked_at else "active"
                    expires = t.expires_at.isoformat() if t.expires_at else "never"
                    self.stdout.write(
                        f"{t.pk}\t{t.name}\t{t.prefix}…\t{t.user.get_username()}\t"
                        f"{state}\texpires {expires}"
                    )
        except UserError as exc:
            raise CommandError(str(exc)) from None

    def _create(self, options: dict[str, Any]) -> None:
        user = User.objects.filter(username=options["user"]).first()
        if user is None:
            raise CommandError(f"--user {options['user']}: no such user")
        days = options["expires_days"]
        if days is not None and days < 1:
            raise CommandError("--expires-days: at least 1")
        expires = timezone.now() + timedelta(days=days) if days is not None else None
        created = api_token_create(user=user, name=options["name"], expires_at=expires)
        self.stdout.write(f"Token {created.token.pk} ({created.token.name}) for {user}:")
        self.stdout.write(created.secret)
        self.stdout.write("Copy it now: it is not shown again.")
