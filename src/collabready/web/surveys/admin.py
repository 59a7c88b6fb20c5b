"""Django admin for inspecting waves, invitations and responses.

The admin inspects; the back office acts. Nothing here can delete a response or
an invitation (which would delete its response), or change a wave's instrument
once the wave has opened: destructive actions go through the services, which
check the state and leave an audit record.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from collabready.web.surveys.models import Invitation, Response, Wave, WaveEmailTemplate
from collabready.web.surveys.selectors.waves import wave_has_opened


@admin.register(Wave)
class WaveAdmin(admin.ModelAdmin[Wave]):
    list_display = ("name", "slug", "instrument_key", "opens_at", "closes_at", "closed_at")
    search_fields = ("name", "slug")

    def get_readonly_fields(self, request: HttpRequest, obj: Wave | None = None) -> Any:
        fields: tuple[str, ...] = ("closed_at",)
        if obj is not None and wave_has_opened(wave=obj):
            fields += (
                "public_title",
                "public_title_cy",
                "instrument_key",
                "opens_at",
                "privacy_notice",
                "slug",
            )
        return fields

    def has_delete_permission(self, request: HttpRequest, obj: Wave | None = None) -> bool:
        return False


@admin.register(Invitation)
class InvitationAdmin(admin.ModelAdmin[Invitation]):
    list_display = ("email", "name", "organisation", "sector", "wave", "invited_at")
    list_filter = ("wave", "sector")
    search_fields = ("email", "name", "organisation")
    readonly_fields = (
        "invited_at",
        "reminded_at",
        "reminders_sent",
        "opted_out_at",
        "undeliverable_at",
        "undeliverable_reason",
    )

    def has_delete_permission(self, request: HttpRequest, obj: Invitation | None = None) -> bool:
        return False  # deleting an invitation deletes its response


@admin.register(Response)
class ResponseAdmin(admin.ModelAdmin[Response]):
    list_display = (
        "pk",
        "wave",
        "sector",
        "language",
        "last_page",
        "started_at",
        "submitted_at",
        "is_test",
    )
    list_filter = ("wave", "sector", "synthetic", "is_test")
    readonly_fields = (
        "wave",
        "invitation",
        "answers",
        "profile",
        "open_answers",
        "version",
        "submitted_at",
        "is_test",
        "synthetic",
    )

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Response | None = None) -> bool:
        return False


@admin.register(WaveEmailTemplate)
class WaveEmailTemplateAdmin(admin.ModelAdmin[WaveEmailTemplate]):
    list_display = ("wave", "kind", "language", "subject", "updated_at")
    list_filter = ("wave", "kind", "language")
