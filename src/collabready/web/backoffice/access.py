"""Who may use the back office: the one place the check lives (roles can slot in here)."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from django.contrib.admin.views.decorators import staff_member_required
from django.http import HttpResponseBase

_View = TypeVar("_View", bound=Callable[..., HttpResponseBase])


def staff_required(view: _View) -> _View:
    """Staff only: anyone else is sent to the back-office sign-in page."""
    return staff_member_required(view, login_url="backoffice:login")
