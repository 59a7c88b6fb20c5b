"""Personal links and resume codes.

A token is ``secrets.token_urlsafe(32)`` (256 bits). Only its SHA-256 is
stored, so a copy of the database opens no one's response. Every e-mail mints a
new token; earlier ones keep working. Failed look-ups are counted per client
address, and an address with too many failures in the window is refused before
any look-up, so tokens cannot be guessed by trying. The same counters
(:func:`throttle_count`, :func:`throttle_exhausted`) limit other abusable
actions, such as e-mailing resume codes.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from collabready.web.surveys.errors import TokenInvalidError, TooManyAttemptsError
from collabready.web.surveys.models import AccessThrottle, AccessToken, Response

TOKEN_BYTES = 32


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def token_issue(*, response: Response, purpose: str) -> str:
    """A new token opening ``response``; the caller sends it, nothing keeps it."""
    token = secrets.token_urlsafe(TOKEN_BYTES)
    AccessToken.objects.create(response=response, token_hash=token_hash(token), purpose=purpose)
    return token


def token_resolve(*, token: str, client: str) -> Response:
    """The response a token opens; counts failures per ``client`` address."""
    _check_throttle(client)
    cleaned = token.strip()
    found = (
        AccessToken.objects.select_related("response", "response__wave")
        .filter(token_hash=token_hash(cleaned))
        .first()
        if 20 <= len(cleaned) <= 100
        else None
    )
    if found is None:
        _record_failure(client)
        raise TokenInvalidError("this link or code is not recognised")
    AccessToken.objects.filter(pk=found.pk).update(last_used_at=timezone.now())
    response: Response = found.response
    return response


def _throttle_key(client: str) -> str:
    return f"token:{client}"[:100]


def _check_throttle(client: str) -> None:
    if throttle_exhausted(
        key=_throttle_key(client),
        limit=settings.COLLABREADY_TOKEN_MAX_FAILURES,
        window_seconds=settings.COLLABREADY_TOKEN_WINDOW_SECONDS,
    ):
        raise TooManyAttemptsError(
            "there have been too many attempts with unrecognised links or codes from your "
            "connection; wait 10 minutes and try again"
        )


def _record_failure(client: str) -> None:
    throttle_count(
        key=_throttle_key(client), window_seconds=settings.COLLABREADY_TOKEN_WINDOW_SECONDS
    )


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
    returns the count in the window, this event included."""
    key = key[:100]
    now = timezone.now()
    window_start = now - timedelta(seconds=window_seconds)
    with transaction.atomic():
        # A window that has run out starts again; otherwise count one more.
        restarted = AccessThrottle.objects.filter(
            key=key, window_started_at__lte=window_start
        ).update(window_started_at=now, failures=1)
        if not restarted:
            counted = AccessThrottle.objects.filter(key=key).update(failures=F("failures") + 1)
            if not counted:
                try:
                    with transaction.atomic():
                        AccessThrottle.objects.create(key=key, window_started_at=now, failures=1)
                except IntegrityError:
                    AccessThrottle.objects.filter(key=key).update(failures=F("failures") + 1)
        return int(AccessThrottle.objects.values_list("failures", flat=True).get(key=key))
