"""Personal links and resume codes.

A token is ``secrets.token_urlsafe(32)`` (256 bits). Only its SHA-256 is
stored, so a copy of the database opens no one's response. Every e-mail mints a
new token; earlier ones keep working until the wave's tokens expire:
``COLLABREADY_TOKEN_GRACE_DAYS`` days after the wave closes (its ``closes_at``,
or the day staff closed it, whichever is earlier), no token of the wave opens
anything, and the start page says so.

Guessing is limited without locking anyone out. A valid token always works: it
is looked up first, whatever the client address has done. Only failed look-ups
are counted, per client address (see ``access.client_address`` for the trusted
proxy header), by one atomic statement (:func:`throttle_count`), so parallel
guesses cannot overshoot: of any number of concurrent bad guesses from one
address, exactly the first ``COLLABREADY_TOKEN_MAX_FAILURES`` in the window are
told "not recognised", and every later one is refused with "too many
attempts". With 2**256 possible tokens a guess never succeeds; what the limit
stops is an address probing freely, and it never touches a respondent with a
real link. The same counter limits other abusable actions, such as e-mailing
resume codes.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta

from django.conf import settings
from django.db import connection
from django.utils import timezone

from collabready.web.surveys.errors import (
    TokenExpiredError,
    TokenInvalidError,
    TooManyAttemptsError,
)
from collabready.web.surveys.models import AccessThrottle, AccessToken, Response, Wave

TOKEN_BYTES = 32


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def token_issue(*, response: Response, purpose: str) -> str:
    """A new token opening ``response``; the caller sends it, nothing keeps it."""
    token = secrets.token_urlsafe(TOKEN_BYTES)
    AccessToken.objects.create(response=response, token_hash=token_hash(token), purpose=purpose)
    return token


def token_expires_at(wave: Wave) -> datetime:
    """When the wave's tokens stop working: its close, plus the grace period."""
    closed = wave.closes_at if wave.closed_at is None else min(wave.closes_at, wave.closed_at)
    return closed + timedelta(days=settings.COLLABREADY_TOKEN_GRACE_DAYS)


def token_resolve(*, token: str, client: str) -> Response:
    """The response a token opens. A failure is counted against ``client``; past the
    limit in the window, failures are refused as too many attempts."""
    cleaned = token.strip()
    found = (
        AccessToken.objects.select_related("response", "response__wave")
        .filter(token_hash=token_hash(cleaned))
        .first()
        if 20 <= len(cleaned) <= 100
        else None
    )
    if found is None:
        failures = throttle_count(
            key=_throttle_key(client), window_seconds=settings.COLLABREADY_TOKEN_WINDOW_SECONDS
        )
        if failures > settings.COLLABREADY_TOKEN_MAX_FAILURES:
            minutes = max(1, settings.COLLABREADY_TOKEN_WINDOW_SECONDS // 60)
            raise TooManyAttemptsError(
                "there have been too many attempts with unrecognised links or codes from your "
                f"connection; wait {minutes} minutes and try again"
            )
        raise TokenInvalidError("this link or code is not recognised")
    response: Response = found.response
    if timezone.now() >= token_expires_at(response.wave):
        raise TokenExpiredError("this link or code has expired: the survey closed")
    AccessToken.objects.filter(pk=found.pk).update(last_used_at=timezone.now())
    return response


def _throttle_key(client: str) -> str:
    return f"token:{client}"[:100]


def throttle_exhausted(*, key: str, limit: int, window_seconds: int) -> bool:
    """Whether ``key`` has been counted ``limit`` times in the current window."""
    window = timedelta(seconds=window_seconds)
    row = AccessThrottle.objects.filter(key=key[:100]).first()
    return (
        row is not None
        and row.window_started_at > timezone.now() - window
        and row.failures >= limit
    )


def throttle_count(*, key: str, window_seconds: int) -> int:
    """Count one more event for ``key`` in its window (a run-out window starts again);
    returns the count in the window, this event included.

    One ``INSERT ... ON CONFLICT DO UPDATE ... RETURNING`` statement (PostgreSQL and
    SQLite alike): the row lock it takes makes concurrent counts queue, so each caller
    sees a distinct count and none can slip past a limit.
    """
    key = key[:100]
    now = timezone.now()
    window_start = now - timedelta(seconds=window_seconds)
    table = connection.ops.quote_name(AccessThrottle._meta.db_table)
    sql = (
        f"INSERT INTO {table} (key, window_started_at, failures) VALUES (%s, %s, 1) "  # noqa: S608 (the table name is ours)
        f"ON CONFLICT (key) DO UPDATE SET "
        f"failures = CASE WHEN {table}.window_started_at <= %s THEN 1 "
        f"ELSE {table}.failures + 1 END, "
        f"window_started_at = CASE WHEN {table}.window_started_at <= %s THEN %s "
        f"ELSE {table}.window_started_at END "
        f"RETURNING failures"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [key, now, window_start, window_start, now])
        row = cursor.fetchone()
    return int(row[0])
