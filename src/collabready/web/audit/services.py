"""Write to the audit log (the one way rows get there)."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.auth.models import AnonymousUser, User
from django.db import models

from collabready.web.audit.models import AuditEvent


def audit_record(
    action: str,
    *,
    actor: AbstractBaseUser | AnonymousUser | None = None,
    actor_label: str | None = None,
    obj: models.Model | None = None,
    object_type: str = "",
    object_id: str | int = "",
    **detail: Any,
) -> AuditEvent:
    """Record ``action`` by ``actor`` on ``obj`` (or on ``object_type``/``object_id``).

    Call it inside the transaction of the action it records, so that the action and
    its record commit or roll back together.
    """
    user = actor if isinstance(actor, User) else None
    if actor_label is None:
        actor_label = user.get_username() if user is not None else "system"
    if obj is not None:
        object_type = object_type or obj._meta.label_lower
        object_id = object_id or str(obj.pk)
    return AuditEvent.objects.create(
        actor=user,
        actor_label=actor_label[:200],
        action=action,
        object_type=object_type,
        object_id=str(object_id),
        detail=detail,
    )
