"""Production settings: HTTPS only, secrets and hosts from the environment.

Required: ``COLLABREADY_SECRET_KEY``, ``COLLABREADY_ALLOWED_HOSTS``,
``DATABASE_URL`` (PostgreSQL). Run ``collabready-manage collectstatic`` once per
release; static files are then served compressed and cache-busted by WhiteNoise.
"""

from __future__ import annotations

import os

from django.core.exceptions import ImproperlyConfigured

# Checked before base is read, so that base never generates a key in production.
if not os.environ.get("COLLABREADY_SECRET_KEY"):
    raise ImproperlyConfigured(
        "COLLABREADY_SECRET_KEY is not set: production needs a long random secret key "
        "(for example: python -c 'import secrets; print(secrets.token_urlsafe(50))')"
    )

from collabready.web.settings.base import *  # noqa: F403
from collabready.web.settings.base import env_bool

DEBUG = False
SECURE_SSL_REDIRECT = env_bool("COLLABREADY_SSL_REDIRECT", default=True)
SECURE_HSTS_SECONDS = int(os.environ.get("COLLABREADY_HSTS_SECONDS", "31536000"))
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = True
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
if env_bool("COLLABREADY_BEHIND_PROXY", default=False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = False
