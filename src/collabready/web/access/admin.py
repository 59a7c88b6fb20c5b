"""Roles and API tokens in the Django admin (admins only; every change through the services)."""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.http import HttpRequest

from collabready.web.access.models import ApiToken, ConvenorLink, StaffRole
from collabready.web.access.services import api_token_create, api_token_revoke, role_set


def _admin_only(request: HttpRequest) -> bool:
    return bool(request.user.is_active and request.user.is_superuser)


class _AdminsOnly:
    def has_module_permission(self, request: HttpRequest) -> bool:
        return _admin_only(request)

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return _admin_only(request)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return _admin_only(request)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(StaffRole)
class StaffRoleAdmin(_AdminsOnly, admin.ModelAdmin[StaffRole]):
    list_display = ("user", "role", "personal_data", "changed_at")
    list_filter = ("role",)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return _admin_only(request)

    def save_model(self, request: HttpRequest, obj: StaffRole, form: Any, change: bool) -> None:
        user = request.user if request.user.is_authenticated else None
        role_set(user=obj.user, role=obj.role, personal_data=obj.personal_data, actor=user)


@admin.register(ConvenorLink)
class ConvenorLinkAdmin(_AdminsOnly, admin.ModelAdmin[ConvenorLink]):
    list_display = ("user", "wave")

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def save_model(self, request: HttpRequest, obj: ConvenorLink, form: Any, change: bool) -> None:
        from collabready.web.access.services import convenor_link

        user = request.user if request.user.is_authenticated else None
        convenor_link(user=obj.user, wave_id=obj.wave_id, actor=user)


@admin.register(ApiToken)
class ApiTokenAdmin(_AdminsOnly, admin.ModelAdmin[ApiToken]):
    """Create a token (its secret is shown once, in the message) or revoke one."""

    list_display = ("name", "prefix", "user", "created_at", "expires_at", "revoked_at")
    fields = ("user", "name", "expires_at")
    actions = ("revoke",)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def save_model(self, request: HttpRequest, obj: ApiToken, form: Any, change: bool) -> None:
        actor = request.user if request.user.is_authenticated else None
        created = api_token_create(
            user=obj.user,
            name=obj.name,
            expires_at=obj.expires_at,
            actor=actor,
        )
        obj.pk = created.token.pk
        messages.warning(
            request, f"The token is {created.secret} — copy it now: it is not shown again."
        )

    @admin.action(description="Revoke the selected tokens")
    def revoke(self, request: HttpRequest, queryset: Any) -> None:
        actor = request.user if request.user.is_authenticated else None
        for token in queryset:
            api_token_revoke(token_id=token.pk, actor=actor)
