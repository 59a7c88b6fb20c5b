"""Django's management commands for collabready (``collabready-manage``).

Uses ``collabready.web.settings.base`` unless ``DJANGO_SETTINGS_MODULE`` says
otherwise (``collabready.web.settings.production`` in production).
"""

from __future__ import annotations

import os
import sys


def main(argv: list[str] | None = None) -> None:
    """Run a management command, like ``manage.py``."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "collabready.web.settings.base")
    from django.core.management import execute_from_command_line

    execute_from_command_line(["collabready-manage", *(sys.argv[1:] if argv is None else argv)])


if __name__ == "__main__":
    main()
