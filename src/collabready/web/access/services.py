"""Changing roles and API tokens (audited), and resolving a presented token.

A token is ``crk_`` + ``secrets.token_urlsafe(32)``; only its SHA-256 is stored,
so it is shown once, when it is created. A token acts as its user, with the
user's role; it stops working when revoked, when it expires or when its user
is made inactive.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime

from django.contrib.auth.models import User
from django.db import transaction
from django.utils import timezone

from collabready.errors import UserError
from collabready.web.access.models import ApiToken, ConvenorLink, Role, StaffRole
from collabready.web.audit.services import audit_record

TOKEN_PREFIX = "crk_"  # noqa: S105 (the public prefix of every token)


class AccessError(UserError):
    """A role or token cannot be changed as asked."""


def role_set(
    *, user: User, role: str, personal_data: bool = False, actor: User | None = None
) -> StaffRole:
    """Give ``user`` the staff ``role`` (admin, researcher, convenor); audited."""
    if role not in Role.values:
        raise AccessError(f"role {role!r}: choose one of {', '.join(Role.values)}")
    if personal_data and role == Role.CONVENOR:
        raise AccessError("a convenor cannot be granted personal data")
    with transaction.atomic():
        before = StaffRole.objects.filter(user=user).first()
        stored, _ = StaffRole.objects.update_or_create(
            user=user, defaults={"role": role, "personal_data": personal_data}
        )
        if not user.is_staff:
            user.is_staff = True  # signs in to the back office
            user.save(update_fields=["is_staff"])
        audit_record(
            "role.change",
            actor=actor,
            obj=user,
            role=role,
            personal_data=personal_data,
            previous=before.role if before else None,
            previous_personal_data=before.personal_data if before else None,
        )
    return stored


def convenor_link(*, user: User, wave_id: int, actor: User | None = None) -> None:
    """Let the convenor ``user`` see wave ``wave_id``; audited as a role change."""
    with transaction.atomic():
        ConvenorLink.objects.get_or_create(user=user, wave_id=wave_id)
        audit_record("role.link", actor=actor, obj=user, wave=wave_id)


@dataclass(frozen=True, slots=True)
class NewToken:
    token: ApiToken
    #: the token itself: shown once, never stored
    secret: str


def _hash(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def api_token_create(
    *, user: User, name: str, expires_at: datetime | None = None, actor: User | None = None
) -> NewToken:
    """A new API token acting as ``user``; audited. Its secret is returned once."""
    name = name.strip()
    if not name or len(name) > 100:
        raise AccessError("token name: give a name of 1 to 100 characters (what uses it)")
    if expires_at is not None and expires_at <= timezone.now():
        raise AccessError("token expiry: the expiry must be in the future")
    if not user.is_active:
        raise AccessError(f"user {user.get_username()}: inactive users cannot hold tokens")
    secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
    with transaction.atomic():
        token = ApiToken.objects.create(
            user=user,
            name=name,
            prefix=secret[: len(TOKEN_PREFIX) + 6],
            token_hash=_hash(secret),
            expires_at=expires_at,
            created_by=actor,
        )
        audit_record(
            "api_token.create",
            actor=actor,
            obj=token,
            user=user.get_username(),
            name=name,
            expires_at=expires_at.isoformat() if expires_at else None,
        )
    return NewToken(token, secret)


def api_token_revoke(*, token_id: int, actor: User | None = None) -> bool:
    """Revoke a token now; ``False`` when it was already revoked. Audited."""
    with transaction.atomic():
        done = ApiToken.objects.filter(pk=token_id, revoked_at__isnull=True).update(
            revoked_at=timezone.now()
        )
        if done:
            audit_record(
                "api_token.revoke", actor=actor, object_type="access.apitoken", object_id=token_id
            )
    return bool(done)


def api_token_resolve(secret: str) -> ApiToken | None:
    """The live token ``secret`` is, or ``None`` (unknown, revoked, expired, inactive user)."""
    if not secret.startswith(TOKEN_PREFIX) or len(secret) > 100:
        return None
    token = ApiToken.objects.select_related("user").filter(token_hash=_hash(secret)).first()
    now = timezone.now()
    if (
        token is None
        or token.revoked_at is not None
        or (token.expires_at is not None and token.expires_at <= now)
        or not token.user.is_active
    ):
        return None
    return token


def api_token_used(*, token: ApiToken, method: str, path: str) -> None:
    """Record one use of ``token`` (audit log, and the token's last use)."""
    with transaction.atomic():
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=timezone.now())
        audit_record(
            "api_token.use",
            actor=token.user,
            actor_label=token.label,
            obj=token,
            method=method,
            path=path[:200],
        )
