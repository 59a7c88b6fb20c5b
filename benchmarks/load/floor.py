"""The bare save floor: a minimal Django project whose one view upserts a page of
answers in one transaction, served by the same gunicorn settings as the platform.

    DJANGO_SETTINGS_MODULE=benchmarks.load.floor gunicorn benchmarks.load.floor:application

``POST /save/<n>/`` with a page of answers (``item=code`` pairs): one
``INSERT ... ON CONFLICT DO UPDATE`` of row ``n`` of ``floor_answers`` (answers
as bytes, a version counter) inside ``transaction.atomic()``. No session, no
CSRF, no templates: what any save must cost at the least, to compare the
platform's page save with (benchmarks/load/journeys.py).
"""

from __future__ import annotations

import os

import dj_database_url
from django.core.wsgi import get_wsgi_application
from django.db import connection, transaction
from django.http import HttpRequest, HttpResponse
from django.urls import path

SECRET_KEY = "floor-benchmark-only"
DEBUG = False
ALLOWED_HOSTS = ["127.0.0.1"]
ROOT_URLCONF = __name__
INSTALLED_APPS: list[str] = []
MIDDLEWARE: list[str] = []
DATABASES = {"default": dj_database_url.parse(os.environ["DATABASE_URL"], conn_max_age=60)}
USE_TZ = True

TABLE = "floor_answers"
CREATE = (
    f"CREATE TABLE IF NOT EXISTS {TABLE} "
    "(id integer PRIMARY KEY, answers bytea NOT NULL, version integer NOT NULL)"
)


def save(request: HttpRequest, n: int) -> HttpResponse:
    codes = bytes(int(v) for k, v in sorted(request.POST.items()) if v.isdigit() and len(v) == 1)
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {TABLE} (id, answers, version) VALUES (%s, %s, 1) "
            f"ON CONFLICT (id) DO UPDATE SET answers = EXCLUDED.answers, "
            f"version = {TABLE}.version + 1",
            [n, codes],
        )
    return HttpResponse(status=204)


urlpatterns = [path("save/<int:n>/", save)]

application = (
    get_wsgi_application() if os.environ.get("DJANGO_SETTINGS_MODULE") == __name__ else None
)
