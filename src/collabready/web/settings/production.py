"""Production settings: HTTPS only, secrets and hosts from the environment.

Required: ``COLLABREADY_SECRET_KEY`` (at least 50 characters),
``COLLABREADY_ALLOWED_HOSTS``, ``DATABASE_URL`` (PostgreSQL).
:func:`production_problems` lists what is missing; ``collabready serve
--production`` and ``collabready worker --production`` print that list and stop
before starting anything, and importing these settings without them fails.

Defaults that differ from development: JSON log lines, background tasks queued
in the database for ``collabready worker``, static files collected into
``<data dir>/static`` and served compressed and cache-busted by WhiteNoise
(``serve --production`` runs ``collectstatic``; see docs/deployment.md for why).
"""

from __future__ import annotations

import os

from django.core.exceptions import ImproperlyConfigured

from collabready.web.settings.required import production_problems

_problems = production_problems(os.environ)
# Checked before base is read, so that base never generates a key in production.
if _problems:
    raise ImproperlyConfigured("; ".join(_problems))

os.environ.setdefault("COLLABREADY_LOG_FORMAT", "json")
os.environ.setdefault("COLLABREADY_TASK_BACKEND", "database")

from collabready.web.settings.base import *  # noqa: E402, F403
from collabready.web.settings.base import env_bool  # noqa: E402

DEBUG = False
SECURE_SSL_REDIRECT = env_bool("COLLABREADY_SSL_REDIRECT", default=True)
SECURE_HSTS_SECONDS = int(os.environ.get("COLLABREADY_HSTS_SECONDS", "31536000"))
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = True
SESSION_COOKIE_SECURE = env_bool("COLLABREADY_SECURE_COOKIES", default=True)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
if env_bool("COLLABREADY_BEHIND_PROXY", default=False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
# /healthz answers the load balancer over plain HTTP inside the network
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]

STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "collabready.web.storage.StaticStorage"},
}
WHITENOISE_USE_FINDERS = False
