"""Settings shared by every environment, read from the environment.

- ``COLLABREADY_DATA_DIR`` (default ``./var``): where the SQLite database, the
  generated secret key and collected static files live.
- ``DATABASE_URL``: a database URL (``postgres://user@host:5432/name``); SQLite in
  the data directory when unset.
- ``COLLABREADY_SECRET_KEY``: the secret key; generated once into the data
  directory when unset (development only; production requires it).
- ``COLLABREADY_PUBLIC_URL``: the address respondents reach, used in e-mailed links.
- ``COLLABREADY_REPORTS_DIR`` (default ``<data dir>/reports``): generated reports.
- ``COLLABREADY_EMAIL_HOST`` (+ ``_PORT``, ``_USER``, ``_PASSWORD``, ``_USE_TLS``):
  send e-mail by SMTP; without it e-mails are printed to the console.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

import dj_database_url
import django_stubs_ext
from django.core.exceptions import ImproperlyConfigured

from collabready.analysis.policy import DEFAULT_K
from collabready.web.logs import logging_config

# Django's generic classes can be subscripted at run time as the type checker sees
# them (``admin.ModelAdmin[Wave]``); django-stubs documents doing this in settings.
django_stubs_ext.monkeypatch()

WEB_DIR = Path(__file__).resolve().parent.parent
DATA_DIR = Path(os.environ.get("COLLABREADY_DATA_DIR", "var")).resolve()


def env_bool(name: str, *, default: bool) -> bool:
    """A yes/no environment variable (1/true/yes/on)."""
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, *, default: list[str]) -> list[str]:
    value = os.environ.get(name)
    if not value:
        return default
    return [part.strip() for part in value.split(",") if part.strip()]


def _development_secret_key() -> str:
    """A secret key kept in the data directory, so sessions survive restarts."""
    DATA_DIR.mkdir(parents=True, exist_ok=True)
    path = DATA_DIR / "secret_key"
    if not path.exists():
        path.write_text(secrets.token_urlsafe(50), encoding="utf-8")
        path.chmod(0o600)
    return path.read_text(encoding="utf-8").strip()


SECRET_KEY = os.environ.get("COLLABREADY_SECRET_KEY") or _development_secret_key()
DEBUG = env_bool("COLLABREADY_DEBUG", default=False)
ALLOWED_HOSTS = env_list("COLLABREADY_ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "[::1]"])
CSRF_TRUSTED_ORIGINS = env_list("COLLABREADY_CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "collabready.web.admin_site.PolicyAdminConfig",  # django.contrib.admin, asking the policy
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django_tasks",
    "ninja",  # serves the API docs' Swagger UI from our static files, not a CDN
    "django_tasks_db",
    "collabready.web.surveys",
    "collabready.web.backoffice",
    "collabready.web.reports",
    "collabready.web.audit",
    "collabready.web.access",
    "collabready.web.api",
    "collabready.web.privacy",
    "collabready.web.worker",
]

MIDDLEWARE = [
    "collabready.web.logs.RequestIdMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "collabready.web.middleware.SecurityHeadersMiddleware",
    "collabready.web.middleware.NoStoreMiddleware",
    "collabready.web.middleware.IdleSessionMiddleware",
    "collabready.web.middleware.DatabaseUnavailableMiddleware",
    "collabready.web.api.problems.ApiProblemMiddleware",
]

ROOT_URLCONF = "collabready.web.urls"
WSGI_APPLICATION = "collabready.web.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [WEB_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "collabready.web.context_processors.site",
                "collabready.web.context_processors.respondent",
            ],
        },
    },
]

DATABASES = {
    "default": dj_database_url.config(
        default=f"sqlite:///{DATA_DIR / 'collabready.sqlite3'}",
        conn_max_age=int(os.environ.get("COLLABREADY_DB_CONN_MAX_AGE", "60")),
        conn_health_checks=True,
    )
}
if env_bool("COLLABREADY_DB_POOLER", default=False):
    # Behind PgBouncer in transaction pooling mode: no server-side cursors (they do not
    # survive a transaction), and no persistent connections (the pooler keeps them).
    DATABASES["default"]["DISABLE_SERVER_SIDE_CURSORS"] = True
    DATABASES["default"]["CONN_MAX_AGE"] = 0
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Wait for a lock rather than fail at once; the demo serves several threads.
    DATABASES["default"].setdefault("OPTIONS", {})["timeout"] = 20
    DATABASES["default"]["OPTIONS"]["transaction_mode"] = "IMMEDIATE"
    DATABASES["default"]["CONN_MAX_AGE"] = 0

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en"
LANGUAGES = [("en", "English"), ("cy", "Cymraeg")]
LOCALE_PATHS = [WEB_DIR / "locale"]
TIME_ZONE = "Europe/London"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = DATA_DIR / "static"
STATICFILES_DIRS = [WEB_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
# Serve static files straight from the package without collectstatic (development, demo).
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = False

#: Staff passwords are checked by Django's ModelBackend behind the sign-in lock.
AUTHENTICATION_BACKENDS = ["collabready.web.backoffice.auth.ThrottledModelBackend"]
#: Failed sign-ins allowed per username, and per client address, in one window.
COLLABREADY_LOGIN_MAX_FAILURES = int(os.environ.get("COLLABREADY_LOGIN_MAX_FAILURES", "10"))
COLLABREADY_LOGIN_MAX_FAILURES_PER_ADDRESS = int(
    os.environ.get("COLLABREADY_LOGIN_MAX_FAILURES_PER_ADDRESS", "50")
)
COLLABREADY_LOGIN_WINDOW_SECONDS = int(os.environ.get("COLLABREADY_LOGIN_WINDOW_SECONDS", "900"))
#: Single sign-on: the header an authenticating proxy sets to the signed-in staff
#: member's username (e.g. X-Remote-User, from an OIDC proxy enforcing a second
#: factor). Only existing accounts are let in. Unset (the default): passwords only.
COLLABREADY_SSO_HEADER = os.environ.get("COLLABREADY_SSO_HEADER", "")
if COLLABREADY_SSO_HEADER:
    MIDDLEWARE.insert(
        MIDDLEWARE.index("django.contrib.auth.middleware.AuthenticationMiddleware") + 1,
        "collabready.web.middleware.SingleSignOnMiddleware",
    )
    AUTHENTICATION_BACKENDS.insert(0, "collabready.web.middleware.SingleSignOnBackend")

LOGIN_URL = "backoffice:login"
LOGIN_REDIRECT_URL = "backoffice:home"
LOGOUT_REDIRECT_URL = "backoffice:login"

#: Database sessions (server-side, so signing out ends them), read without the ORM.
SESSION_ENGINE = "collabready.web.sessions"
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
#: A session (respondent or staff) ends after this many idle minutes (middleware.IdleSession).
COLLABREADY_SESSION_IDLE_MINUTES = int(os.environ.get("COLLABREADY_SESSION_IDLE_MINUTES", "120"))
SESSION_COOKIE_AGE = COLLABREADY_SESSION_IDLE_MINUTES * 60
CSRF_COOKIE_HTTPONLY = True
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"

CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# E-mail: printed to the console unless an SMTP host is configured.
DEFAULT_FROM_EMAIL = os.environ.get("COLLABREADY_FROM_EMAIL", "collabready@localhost")
if os.environ.get("COLLABREADY_EMAIL_HOST"):
    EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    EMAIL_HOST = os.environ["COLLABREADY_EMAIL_HOST"]
    EMAIL_PORT = int(os.environ.get("COLLABREADY_EMAIL_PORT", "587"))
    EMAIL_HOST_USER = os.environ.get("COLLABREADY_EMAIL_USER", "")
    EMAIL_HOST_PASSWORD = os.environ.get("COLLABREADY_EMAIL_PASSWORD", "")
    EMAIL_USE_TLS = env_bool("COLLABREADY_EMAIL_USE_TLS", default=True)
else:
    EMAIL_BACKEND = "django.core.mail.backends.console.EmailBackend"

# collabready's own settings
COLLABREADY_PUBLIC_URL = os.environ.get("COLLABREADY_PUBLIC_URL", "http://127.0.0.1:8000").rstrip(
    "/"
)
#: The disclosure threshold k of the peer benchmark shown to respondents (default: the
#: analysis policy's DEFAULT_K). The benchmark needs max(2k, 10) organisations and its
#: snapshot moves in steps of k organisations (collabready.analysis.peers).
COLLABREADY_PEER_MIN_K = int(os.environ.get("COLLABREADY_PEER_MIN_K", str(DEFAULT_K)))
#: A sector's peer snapshot is re-read from the submissions at most this often.
COLLABREADY_PEER_REFRESH_SECONDS = int(os.environ.get("COLLABREADY_PEER_REFRESH_SECONDS", "60"))
#: Failed token look-ups allowed per client address in one window before refusing.
COLLABREADY_TOKEN_MAX_FAILURES = int(os.environ.get("COLLABREADY_TOKEN_MAX_FAILURES", "20"))
COLLABREADY_TOKEN_WINDOW_SECONDS = int(os.environ.get("COLLABREADY_TOKEN_WINDOW_SECONDS", "600"))
#: The Retry-After (seconds) of the 503 page shown while the database is unreachable.
COLLABREADY_RETRY_AFTER_SECONDS = int(os.environ.get("COLLABREADY_RETRY_AFTER_SECONDS", "5"))
#: Personal links and resume codes stop working this many days after their wave closes.
COLLABREADY_TOKEN_GRACE_DAYS = int(os.environ.get("COLLABREADY_TOKEN_GRACE_DAYS", "30"))
#: Behind a proxy: the header it sets to the client's address (e.g. X-Forwarded-For).
#: Its last entry is used as the client address for the rate limits. Unset: REMOTE_ADDR.
COLLABREADY_TRUSTED_PROXY_HEADER = os.environ.get("COLLABREADY_TRUSTED_PROXY_HEADER", "")
#: Resume-code e-mails allowed per response, and per client address, in one window.
COLLABREADY_RESUME_EMAILS_PER_RESPONSE = int(
    os.environ.get("COLLABREADY_RESUME_EMAILS_PER_RESPONSE", "3")
)
COLLABREADY_RESUME_EMAILS_PER_ADDRESS = int(
    os.environ.get("COLLABREADY_RESUME_EMAILS_PER_ADDRESS", "10")
)
COLLABREADY_RESUME_EMAIL_WINDOW_SECONDS = int(
    os.environ.get("COLLABREADY_RESUME_EMAIL_WINDOW_SECONDS", "3600")
)

#: Generated reports (staff downloads) are kept here, written atomically.
COLLABREADY_REPORTS_DIR = Path(
    os.environ.get("COLLABREADY_REPORTS_DIR", str(DATA_DIR / "reports"))
).resolve()

#: Key of the pseudonymous ids in exports (else derived from the secret key).
COLLABREADY_EXPORT_ID_KEY = os.environ.get("COLLABREADY_EXPORT_ID_KEY", "")
#: API requests allowed per token in each window of COLLABREADY_API_RATE_WINDOW seconds.
COLLABREADY_API_RATE = int(os.environ.get("COLLABREADY_API_RATE", "600"))
COLLABREADY_API_RATE_WINDOW = int(os.environ.get("COLLABREADY_API_RATE_WINDOW", "60"))

#: The privacy notice's defaults for waves without their own settings (WavePrivacy).
COLLABREADY_CONTROLLER = os.environ.get("COLLABREADY_CONTROLLER", "The survey's organisers")
COLLABREADY_CONTROLLER_CONTACT = os.environ.get("COLLABREADY_CONTROLLER_CONTACT", "")
COLLABREADY_RETENTION_DAYS = int(os.environ.get("COLLABREADY_RETENTION_DAYS", "365"))

# Background tasks (django-tasks). COLLABREADY_TASK_BACKEND chooses where they run:
# - "thread" (the default here): on a thread of the web process, so `collabready demo`
#   needs no extra worker process;
# - "database" (production's default): queued in the database (django-tasks-db) and run
#   by `collabready worker` processes, on any number of machines; each task is claimed
#   by one worker with SELECT ... FOR UPDATE SKIP LOCKED, so none runs twice.
COLLABREADY_TASK_BACKEND = os.environ.get("COLLABREADY_TASK_BACKEND", "thread")
TASK_BACKENDS = {
    "thread": {
        "BACKEND": "collabready.web.reports.backend.ThreadPoolBackend",
        "OPTIONS": {"WORKERS": int(os.environ.get("COLLABREADY_REPORT_WORKERS", "1"))},
    },
    "database": {"BACKEND": "django_tasks_db.DatabaseBackend"},
}
if COLLABREADY_TASK_BACKEND not in TASK_BACKENDS:
    raise ImproperlyConfigured(
        f"COLLABREADY_TASK_BACKEND is {COLLABREADY_TASK_BACKEND!r}: use 'thread' or 'database'"
    )
TASKS = {"default": TASK_BACKENDS[COLLABREADY_TASK_BACKEND]}
# `collabready worker` leases each task it claims (collabready.web.worker.leases): it
# stamps the lease every HEARTBEAT seconds while the task runs; a running task whose
# lease is LEASE seconds old (its worker was killed, or its machine lost) is queued
# again, at most MAX_ATTEMPTS attempts in all, then marked failed.
try:
    COLLABREADY_TASK_LEASE_SECONDS = float(os.environ.get("COLLABREADY_TASK_LEASE_SECONDS", "300"))
    COLLABREADY_TASK_HEARTBEAT_SECONDS = float(
        os.environ.get("COLLABREADY_TASK_HEARTBEAT_SECONDS", "30")
    )
    COLLABREADY_TASK_MAX_ATTEMPTS = int(os.environ.get("COLLABREADY_TASK_MAX_ATTEMPTS", "3"))
except ValueError as exc:
    raise ImproperlyConfigured(f"a COLLABREADY_TASK_* setting is not a number ({exc})") from None

#: Log lines: "json" (one JSON object a line; production's default) or "text".
COLLABREADY_LOG_FORMAT = os.environ.get("COLLABREADY_LOG_FORMAT", "text")
#: Behind a proxy that sets a request id header (e.g. X-Request-ID): reuse its ids.
COLLABREADY_REQUEST_ID_HEADER = os.environ.get("COLLABREADY_REQUEST_ID_HEADER", "")
LOGGING = logging_config(
    json_lines=COLLABREADY_LOG_FORMAT == "json",
    level=os.environ.get("COLLABREADY_LOG_LEVEL", "INFO"),
)
