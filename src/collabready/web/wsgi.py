"""WSGI entry point: ``collabready.web.wsgi:application``."""

from __future__ import annotations

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "collabready.web.settings.base")

application = get_wsgi_application()
