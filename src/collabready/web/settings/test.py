"""Settings for the test suite.

``COLLABREADY_TEST_DATABASE_URL`` chooses the database (SQLite in memory when
unset; ``postgres://postgres@127.0.0.1:5432/test`` for the PostgreSQL run).
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import dj_database_url

# Set before base is read, so that it does not write a key into the data directory.
os.environ.setdefault("COLLABREADY_SECRET_KEY", "test-only-" + "k" * 50)

from collabready.web.settings.base import *  # noqa: F403

DEBUG = False
ALLOWED_HOSTS = ["*"]

_url = os.environ.get("COLLABREADY_TEST_DATABASE_URL")
if _url:
    DATABASES = {"default": dj_database_url.parse(_url, conn_max_age=0)}
    DATABASES["default"]["TEST"] = {"NAME": DATABASES["default"]["NAME"]}
else:
    DATABASES = {"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": ":memory:"}}

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
COLLABREADY_PUBLIC_URL = "http://testserver"
LOGGING = {"version": 1, "disable_existing_loggers": False}
STATIC_ROOT = WEB_DIR / "static"  # noqa: F405 (exists, so WhiteNoise does not warn)
# Generated reports go to a throw-away directory (tests may override it per test), or
# to COLLABREADY_REPORTS_DIR when set (worker processes a test starts share one).
COLLABREADY_REPORTS_DIR = Path(
    os.environ.get("COLLABREADY_REPORTS_DIR")
    or tempfile.mkdtemp(prefix="collabready-test-reports-")
)
