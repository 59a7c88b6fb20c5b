"""Site-wide pages: home and a health check."""

from __future__ import annotations

from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils import timezone

from collabready.web.surveys.models import Wave


def home(request: HttpRequest) -> HttpResponse:
    now = timezone.now()
    waves = Wave.objects.filter(
        open_link_enabled=True, closed_at__isnull=True, opens_at__lte=now, closes_at__gt=now
    )
    return render(request, "home.html", {"waves": waves})


def health(request: HttpRequest) -> HttpResponse:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return JsonResponse({"status": "ok"})
