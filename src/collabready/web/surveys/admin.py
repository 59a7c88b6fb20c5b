"""Django admin for inspecting waves and invitations (the back office does the work)."""

from django.contrib import admin

from collabready.web.surveys.models import Invitation, Response, Wave


@admin.register(Wave)
class WaveAdmin(admin.ModelAdmin[Wave]):
    list_display = ("name", "slug", "instrument_key", "opens_at", "closes_at", "closed_at")
    search_fields = ("name", "slug")


@admin.register(Invitation)
class InvitationAdmin(admin.ModelAdmin[Invitation]):
    list_display = ("email", "name", "organisation", "sector", "wave", "invited_at")
    list_filter = ("wave", "sector")
    search_fields = ("email", "name", "organisation")


@admin.register(Response)
class ResponseAdmin(admin.ModelAdmin[Response]):
    list_display = ("pk", "wave", "sector", "language", "last_page", "started_at", "submitted_at")
    list_filter = ("wave", "sector", "synthetic")
    readonly_fields = ("answers", "profile", "open_answers", "version", "submitted_at")
