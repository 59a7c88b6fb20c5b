"""The session engine: Django's database sessions, read with one plain statement.

Every respondent and staff request reads its session; Django's
``backends.db.SessionStore`` does it through the ORM (a query built and compiled
each time). This store reads the same row of the same table with the same
condition (the key, and an expiry still to come) in one prepared-by-hand
``SELECT``; everything else (creating, saving, cycling the key on sign-in,
deleting on sign-out, the idle timeout) is Django's. Sessions stay on the server,
so signing out or an idle timeout ends a session everywhere at once, and the
cookie holds nothing but a random key (see docs/web.md on why the signed-cookie
and per-process cached engines were not chosen).
"""

from __future__ import annotations

from typing import Any

from django.contrib.sessions.backends import db
from django.db import connections, router
from django.utils import timezone


class SessionStore(db.SessionStore):
    """Database sessions, loaded without the ORM's query building."""

    def load(self) -> dict[str, Any]:
        model = self.model
        connection = connections[router.db_for_read(model)]
        quote = connection.ops.quote_name
        sql = (
            f"SELECT {quote('session_data')} FROM {quote(model._meta.db_table)}"  # noqa: S608
            f" WHERE {quote('session_key')} = %s AND {quote('expire_date')} > %s"
        )
        with connection.cursor() as cursor:
            now = connection.ops.adapt_datetimefield_value(timezone.now())
            cursor.execute(sql, [self.session_key, now])
            row = cursor.fetchone()
        if row is None:
            self._session_key = None
            return {}
        data: dict[str, Any] = self.decode(row[0])
        return data
