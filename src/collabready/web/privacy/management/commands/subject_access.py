"""``collabready-manage subject_access EMAIL [-o FILE]``: everything held about one address."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction

from collabready.web.audit.services import audit_record
from collabready.web.privacy.selectors import subject_access


class Command(BaseCommand):
    help = "Everything held about one e-mail address, as JSON (a subject access request)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("email")
        parser.add_argument("-o", "--output", type=Path, default=None, help="write to a file")

    def handle(self, *args: Any, **options: Any) -> None:
        with transaction.atomic():
            held = subject_access(email=options["email"])
            audit_record(
                "personal_data.subject_access", object_type="email", held=len(held["held"])
            )
        text = json.dumps(held, cls=DjangoJSONEncoder, indent=2, ensure_ascii=False)
        if options["output"] is not None:
            options["output"].write_text(text + "\n", encoding="utf-8")
            self.stdout.write(f"Wrote {options['output']}")
        else:
            self.stdout.write(text)
