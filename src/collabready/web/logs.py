"""Logs: JSON lines (python-json-logger) with a request id, and no respondent token.

- :class:`RequestIdMiddleware` gives every request an id (the trusted proxy's
  ``X-Request-ID`` when ``COLLABREADY_REQUEST_ID_HEADER`` names it, else a new
  random one), returns it as ``X-Request-ID``, and writes one ``request`` log
  line per request: method, path, status, duration.
- :class:`RequestIdFilter` puts that id on every record logged while the request
  runs (``request_id``), whichever logger wrote it.
- :class:`JsonFormatter` writes each record as one JSON object per line, and
  :class:`TextFormatter` as text (development); both pass the finished line
  through :func:`redact`, so a token can never reach the log, whatever logged
  it: Django's "Not Found: /r/<token>/", an exception message, a traceback.

A token appears in personal links (``/r/<token>/``, also under ``/cy/``) and
is 43 characters of URL-safe base64 (``secrets.token_urlsafe(32)``); both
shapes are replaced by ``[redacted]``.
"""

from __future__ import annotations

import contextvars
import logging
import re
import time
import uuid
from collections.abc import Callable

from django.conf import settings
from django.core.signals import request_finished
from django.http import HttpRequest, HttpResponse
from pythonjsonlogger.json import JsonFormatter as _JsonFormatter

_request_id: contextvars.ContextVar[str | None] = contextvars.ContextVar(
    "collabready_request_id", default=None
)

#: A personal link's token in a path, and any free-standing 43-character URL-safe
#: base64 word (a token or resume code quoted anywhere else).
_LINK = re.compile(r"(/r/)[^/\s\"'?#&]+")
_BARE = re.compile(r"(?<![A-Za-z0-9_-])[A-Za-z0-9_-]{43}(?![A-Za-z0-9_-])")
REDACTED = "[redacted]"
_REQUEST_ID = re.compile(r"[A-Za-z0-9._-]{1,64}")

request_logger = logging.getLogger("collabready.request")


def redact(text: str) -> str:
    """``text`` with every token-shaped string replaced by ``[redacted]``."""
    return _BARE.sub(REDACTED, _LINK.sub(r"\1" + REDACTED, text))


def current_request_id() -> str | None:
    return _request_id.get()


class RequestIdFilter(logging.Filter):
    """Adds ``request_id`` (or None outside a request) to every record."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = _request_id.get()
        # Django's request logger attaches the request object; its repr holds the path
        if hasattr(record, "request"):
            record.request = None
        return True


class JsonFormatter(_JsonFormatter):
    """One JSON object per line: timestamp, level, logger, message, request_id, extras."""

    def __init__(self) -> None:
        super().__init__(
            "%(levelname)s %(name)s %(message)s %(request_id)s",
            rename_fields={"levelname": "level", "name": "logger"},
            timestamp=True,
        )

    def format(self, record: logging.LogRecord) -> str:
        return redact(super().format(record))


class TextFormatter(logging.Formatter):
    """Plain text for development, redacted the same way."""

    def __init__(self) -> None:
        super().__init__("%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s")

    def format(self, record: logging.LogRecord) -> str:
        if not hasattr(record, "request_id"):
            record.request_id = None
        return redact(super().format(record))


def logging_config(*, json_lines: bool, level: str) -> dict[str, object]:
    """The ``LOGGING`` setting: everything to stderr through one formatter."""
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "filters": {"request_id": {"()": "collabready.web.logs.RequestIdFilter"}},
        "formatters": {
            "line": {
                "()": "collabready.web.logs.JsonFormatter"
                if json_lines
                else "collabready.web.logs.TextFormatter"
            }
        },
        "handlers": {
            "console": {
                "class": "logging.StreamHandler",
                "formatter": "line",
                "filters": ["request_id"],
            }
        },
        "root": {"handlers": ["console"], "level": level},
        "loggers": {
            # Django's own request lines duplicate ours; keep its errors (5xx, 4xx)
            "django.server": {"level": "ERROR"},
            # WeasyPrint logs every layout step at INFO and CSS it ignores as warnings.
            "weasyprint": {"level": "ERROR"},
            "fontTools": {"level": "WARNING"},
            # gunicorn's own loggers go through the same handler (serve --production)
            "gunicorn.error": {"handlers": ["console"], "level": level, "propagate": False},
            "gunicorn.access": {"handlers": [], "level": "CRITICAL", "propagate": False},
        },
    }


def _forget_request_id(**_: object) -> None:
    _request_id.set(None)


request_finished.connect(_forget_request_id, dispatch_uid="collabready-request-id")


class RequestIdMiddleware:
    """A request id for every request, on its log lines and its response; one log line
    per request. Put it first in ``MIDDLEWARE`` so that it times and tags everything."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        request_id = self._incoming(request) or uuid.uuid4().hex
        # kept until the response is closed (request_finished), so that Django's own
        # lines written after the middleware ("Not Found: ...") carry it too
        _request_id.set(request_id)
        started = time.perf_counter()
        response = self.get_response(request)
        response.headers["X-Request-ID"] = request_id
        request_logger.info(
            "%s %s %s",
            request.method,
            request.path,
            response.status_code,
            extra={
                "method": request.method,
                "path": redact(request.path),
                "status": response.status_code,
                "duration_ms": round((time.perf_counter() - started) * 1000, 1),
            },
        )
        return response

    @staticmethod
    def _incoming(request: HttpRequest) -> str | None:
        header = settings.COLLABREADY_REQUEST_ID_HEADER
        if not header:
            return None
        value = str(request.META.get("HTTP_" + header.upper().replace("-", "_")) or "")
        return value if _REQUEST_ID.fullmatch(value) else None
