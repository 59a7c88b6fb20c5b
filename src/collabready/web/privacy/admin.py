"""Each wave's data protection settings in the Django admin (admins only)."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from collabready.web.privacy.models import WavePrivacy


@admin.register(WavePrivacy)
class WavePrivacyAdmin(admin.ModelAdmin[WavePrivacy]):
    list_display = ("wave", "controller", "lawful_basis", "retention_days", "purged_at")
    readonly_fields = ("purged_at",)

    def has_module_permission(self, request: HttpRequest) -> bool:
        return bool(request.user.is_active and request.user.is_superuser)

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self.has_module_permission(request)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return self.has_module_permission(request)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self.has_module_permission(request)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
