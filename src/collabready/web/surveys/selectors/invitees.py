"""A wave's invitees with their status, computed in the database (a ``CASE`` per row).

Statuses, first match wins: undeliverable (the mail server refused the address),
opted out, submitted, started (with the last page saved), reminded, invited (the
e-mail went), not sent.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator

from django.db.models import Case, CharField, F, Q, QuerySet, Value, When

from collabready.web.surveys.models import Invitation, Wave

STATUSES = (
    "not_sent",
    "invited",
    "reminded",
    "started",
    "submitted",
    "opted_out",
    "undeliverable",
)
STATUS_LABELS = {
    "not_sent": "Not sent",
    "invited": "Invited",
    "reminded": "Reminded",
    "started": "Started",
    "submitted": "Submitted",
    "opted_out": "Opted out",
    "undeliverable": "Undeliverable",
}

CSV_COLUMNS = (
    "email",
    "name",
    "organisation",
    "sector",
    "language",
    "status",
    "last_page",
    "invited_at",
    "reminded_at",
    "reminders_sent",
    "submitted_at",
    "undeliverable_reason",
)


def invitees_with_status(*, wave: Wave, status: str = "") -> QuerySet[Invitation]:
    """The wave's invitations annotated with ``status`` and ``last_page``
    (optionally only one status)."""
    rows = (
        Invitation.objects.filter(wave=wave)
        .annotate(
            status=Case(
                When(undeliverable_at__isnull=False, then=Value("undeliverable")),
                When(opted_out_at__isnull=False, then=Value("opted_out")),
                When(response__submitted_at__isnull=False, then=Value("submitted")),
                When(response__version__gt=0, then=Value("started")),
                When(reminded_at__isnull=False, then=Value("reminded")),
                When(invited_at__isnull=False, then=Value("invited")),
                default=Value("not_sent"),
                output_field=CharField(),
            ),
            last_page=F("response__last_page"),
            submitted_at=F("response__submitted_at"),
        )
        .order_by("pk")
    )
    if status in STATUSES:
        rows = rows.filter(status=status)
    return rows


def invitees_search(*, wave: Wave, status: str = "", query: str = "") -> QuerySet[Invitation]:
    rows = invitees_with_status(wave=wave, status=status)
    if query.strip():
        q = query.strip()
        rows = rows.filter(
            Q(email__icontains=q) | Q(name__icontains=q) | Q(organisation__icontains=q)
        )
    return rows


def invitees_csv(*, wave: Wave, status: str = "") -> Iterator[str]:
    """The invitee list as CSV lines (streamed; values that a spreadsheet would run as a
    formula are prefixed with an apostrophe)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")

    def flush() -> str:
        value = buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()
        return value

    writer.writerow(CSV_COLUMNS)
    yield flush()
    for row in invitees_with_status(wave=wave, status=status).iterator(chunk_size=2000):
        writer.writerow([_cell(getattr(row, c)) for c in CSV_COLUMNS])
        yield flush()


def _cell(value: object) -> str:
    if value is None:
        return ""
    text = value.isoformat() if hasattr(value, "isoformat") else str(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text
