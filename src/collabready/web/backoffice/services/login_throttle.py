"""Staff sign-in throttling: too many wrong passwords lock the account, and the address.

Every failed sign-in (the back office and Django's admin alike: Django sends
``user_login_failed`` for both) is counted twice with the survey's atomic
counter (:func:`collabready.web.surveys.services.tokens.throttle_count`): once
for the username and once for the client address. While either count has
reached its limit in the window, :class:`collabready.web.backoffice.auth.ThrottledModelBackend`
refuses to check any password, the right one included, so guessing a password
costs ``COLLABREADY_LOGIN_MAX_FAILURES`` tries per ``COLLABREADY_LOGIN_WINDOW_SECONDS``.
The lock lifts by itself when the window runs out.
"""

from __future__ import annotations

from django.conf import settings

from collabready.web.surveys.services.tokens import throttle_count, throttle_exhausted


def _user_key(username: str) -> str:
    return f"login:user:{username.strip().lower()}"


def _address_key(client: str) -> str:
    return f"login:address:{client}"


def login_locked(*, username: str, client: str) -> bool:
    """Whether sign-in is refused for ``username`` or from ``client`` for now."""
    window = settings.COLLABREADY_LOGIN_WINDOW_SECONDS
    return throttle_exhausted(
        key=_user_key(username),
        limit=settings.COLLABREADY_LOGIN_MAX_FAILURES,
        window_seconds=window,
    ) or throttle_exhausted(
        key=_address_key(client),
        limit=settings.COLLABREADY_LOGIN_MAX_FAILURES_PER_ADDRESS,
        window_seconds=window,
    )


def login_failure_record(*, username: str, client: str) -> None:
    """Count one failed sign-in for the username and for the address."""
    window = settings.COLLABREADY_LOGIN_WINDOW_SECONDS
    throttle_count(key=_user_key(username), window_seconds=window)
    throttle_count(key=_address_key(client), window_seconds=window)
