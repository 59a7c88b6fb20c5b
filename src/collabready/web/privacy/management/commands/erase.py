"""``collabready-manage erase (--response ID | --email ADDRESS) --reason TEXT``: erasure on
request, done by staff (see ``services.erasure``)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from collabready.web.privacy.services.erasure import email_erase, response_erase
from collabready.web.surveys.models import Response


class Command(BaseCommand):
    help = "Erase a response (or every response of an e-mail address) completely; audited."

    def add_arguments(self, parser: CommandParser) -> None:
        which = parser.add_mutually_exclusive_group(required=True)
        which.add_argument("--response", type=int)
        which.add_argument("--email")
        parser.add_argument("--reason", required=True, help="e.g. the request's reference")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["response"] is not None:
            try:
                done = [
                    response_erase(
                        response_id=options["response"], by="staff", reason=options["reason"]
                    )
                ]
            except Response.DoesNotExist:
                raise CommandError(f"--response {options['response']}: no such response") from None
        else:
            done = email_erase(email=options["email"], reason=options["reason"])
        for e in done:
            self.stdout.write(
                f"Erased response {e.response_id} of wave {e.wave_id}: {e.links_deleted} links, "
                f"invitation {'deleted' if e.invitation_deleted else 'none'}, "
                f"{e.exports_withdrawn} exports withdrawn; {e.reports_not_rewritten} published "
                "reports are not rewritten."
            )
        if not done:
            self.stdout.write("No response found to erase.")
