"""The back office's checks, asked of the one policy (:mod:`collabready.web.access.policy`).

:func:`staff_required` admits any staff role (admin, researcher, convenor) and
sends anyone else to the sign-in page; :func:`object_for` fetches the object a
page is about and applies the policy: an object the user may not see is a 404,
exactly like one that does not exist; an action their role may not take on it is
a 403.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.db.models import Model, QuerySet
from django.http import Http404, HttpRequest, HttpResponseBase
from django.urls import reverse

from collabready.web.access.policy import (
    Action,
    Decision,
    Principal,
    decide,
    forbidden_reason,
    principal_for_user,
)

_View = TypeVar("_View", bound=Callable[..., HttpResponseBase])
M = TypeVar("M", bound=Model)


def principal_of(request: HttpRequest) -> Principal:
    found = getattr(request, "principal", None)
    if isinstance(found, Principal):
        return found
    who = principal_for_user(request.user)
    request.principal = who  # type: ignore[attr-defined]
    return who


def staff_required(view: _View) -> _View:
    """Staff roles only: anyone else is sent to the back-office sign-in page."""

    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        if not principal_of(request).is_staff_role:
            return redirect_to_login(request.get_full_path(), reverse("backoffice:login"))
        return view(request, *args, **kwargs)

    return wrapped  # type: ignore[return-value]


def require(request: HttpRequest, action: Action) -> None:
    """403 unless the user's role may do ``action`` (on no particular object)."""
    if decide(principal_of(request), action) is not Decision.ALLOW:
        raise PermissionDenied(f"your role may not do this ({action.value})")


def object_for(request: HttpRequest, rows: QuerySet[M], pk: int, action: Action) -> M:
    """The object ``pk`` if the user may do ``action`` on it (404 / 403 otherwise)."""
    obj = rows.filter(pk=pk).first()
    if obj is None:
        raise Http404("not found")
    decision = decide(principal_of(request), action, obj)
    if decision is Decision.NOT_FOUND:
        raise Http404("not found")
    if decision is Decision.FORBIDDEN:
        raise PermissionDenied(forbidden_reason(principal_of(request), action, obj))
    return obj


def may(request: HttpRequest, action: Action, obj: Model | None = None) -> bool:
    return decide(principal_of(request), action, obj) is Decision.ALLOW
