"""Staff authentication: the password backend with the sign-in lock, and its form.

``AUTHENTICATION_BACKENDS`` lists :class:`ThrottledModelBackend` in place of
Django's ``ModelBackend``. Single sign-on (which brings its own second factor)
plugs in through ``COLLABREADY_SSO_HEADER`` (see settings and docs/deployment.md).
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.forms import AuthenticationForm
from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest

from collabready.web.backoffice.services.login_throttle import (
    login_failure_record,
    login_locked,
)
from collabready.web.surveys.access import client_address

LOCKED_MESSAGE = (
    "There have been too many failed sign-in attempts for this account or from your "
    "connection. Wait 15 minutes and try again."
)


def _client(request: HttpRequest | None) -> str:
    return client_address(request) if request is not None else "unknown"


class ThrottledModelBackend(ModelBackend):
    """Django's password check, refused outright while the account or address is locked."""

    def authenticate(
        self,
        request: HttpRequest | None,
        username: str | None = None,
        password: str | None = None,
        **kwargs: Any,
    ) -> User | None:
        if username is not None and login_locked(username=username, client=_client(request)):
            # PermissionDenied stops every backend; Django then sends user_login_failed
            raise PermissionDenied(LOCKED_MESSAGE)
        return super().authenticate(request, username=username, password=password, **kwargs)


def on_login_failed(
    sender: object, credentials: dict[str, Any], request: HttpRequest | None = None, **_: Any
) -> None:
    """``user_login_failed`` receiver: count the failure."""
    username = str(credentials.get("username") or "")
    login_failure_record(username=username, client=_client(request))


class StaffLoginForm(AuthenticationForm):
    """The back office's sign-in form: says so when sign-in is locked."""

    def clean(self) -> dict[str, Any]:
        username = self.cleaned_data.get("username")
        if username and login_locked(username=username, client=_client(self.request)):
            login_failure_record(username=username, client=_client(self.request))
            raise forms.ValidationError(LOCKED_MESSAGE, code="locked")
        return super().clean()
