"""Fieldwork monitoring of one wave: counts aggregated in the database.

Every figure is one ``GROUP BY`` or ``COUNT`` query (the profile answers are
grouped by their byte in the stored profile, ``SUBSTR(profile, i, 1)``), so the
cost does not grow with a Python loop over responses. Test responses are left
out. These are staff-only operational counts (internal monitoring), not
published estimates: they are not passed through the disclosure gate; see
docs/web.md ("Live monitoring").
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import connection
from django.db.models import (
    CharField,
    Count,
    F,
    FloatField,
    Func,
    IntegerField,
    Q,
    QuerySet,
    Value,
)
from django.db.models.functions import Substr, TruncDate

from collabready.web.surveys.instruments import instrument_get
from collabready.web.surveys.journey import journey_pages
from collabready.web.surveys.models import Invitation, Response, Wave

#: The profile questions monitored, when the wave's instrument asks them.
MONITORED = ("sector", "subsector", "region", "size")


@dataclass(frozen=True, slots=True)
class GroupCount:
    key: str
    label: str
    started: int
    submitted: int
    target: int | None

    @property
    def share_of_target(self) -> int | None:
        """Submitted as a whole percentage of the target (None: no target)."""
        if not self.target:
            return None
        return round(100 * self.submitted / self.target)


@dataclass(frozen=True, slots=True)
class Breakdown:
    variable: str
    title: str
    groups: tuple[GroupCount, ...]


@dataclass(frozen=True, slots=True)
class Day:
    day: date
    starts: int
    completions: int


@dataclass(frozen=True, slots=True)
class FunnelStep:
    slug: str
    title: str
    reached: int
    stopped_here: int


@dataclass(frozen=True, slots=True)
class Monitoring:
    invited: int
    emailed: int
    reminded: int
    opted_out: int
    undeliverable: int
    started: int
    submitted: int
    invited_submitted: int
    breakdowns: tuple[Breakdown, ...]
    days: tuple[Day, ...]
    funnel: tuple[FunnelStep, ...]
    median_minutes: float | None

    @property
    def response_rate(self) -> float | None:
        """Submissions through an invitation per e-mailed invitation, in % (None: none sent)."""
        if not self.emailed:
            return None
        return 100 * self.invited_submitted / self.emailed


def _responses(wave: Wave) -> QuerySet[Response]:
    return Response.objects.filter(wave=wave, is_test=False)


def wave_monitoring(*, wave: Wave) -> Monitoring:
    """The monitoring figures of ``wave`` (staff only; see the module docstring)."""
    instrument = instrument_get(wave.instrument_key)
    invitations = Invitation.objects.filter(wave=wave).aggregate(
        invited=Count("pk"),
        emailed=Count("pk", filter=Q(invited_at__isnull=False)),
        reminded=Count("pk", filter=Q(reminded_at__isnull=False)),
        opted_out=Count("pk", filter=Q(opted_out_at__isnull=False)),
        undeliverable=Count("pk", filter=Q(undeliverable_at__isnull=False)),
    )
    responses = _responses(wave)
    totals = responses.aggregate(
        started=Count("pk", filter=Q(version__gt=0)),
        submitted=Count("pk", filter=Q(submitted_at__isnull=False)),
        invited_submitted=Count(
            "pk", filter=Q(submitted_at__isnull=False, invitation__isnull=False)
        ),
        timed=Count("pk", filter=Q(submitted_at__isnull=False, started_at__isnull=False)),
    )
    monitored = [
        (position, q) for position, q in enumerate(instrument.profile, start=1) if q.id in MONITORED
    ]
    # one GROUP BY over every monitored answer at once (one scan of the responses; the
    # groups are the answer combinations found, a few thousand at most), then each
    # question's counts are summed from those groups
    combos = (
        responses.filter(version__gt=0)
        .annotate(**{f"q_{q.id}": _ProfileByte(position) for position, q in monitored})
        .values(*(f"q_{q.id}" for _, q in monitored))
        .annotate(
            started=Count("pk"),
            submitted=Count("pk", filter=Q(submitted_at__isnull=False)),
        )
        if monitored
        else []
    )
    found: dict[str, dict[int, list[int]]] = {q.id: {} for _, q in monitored}
    for row in combos:
        for _, q in monitored:
            code = _code(row[f"q_{q.id}"])
            counts = found[q.id].setdefault(code, [0, 0])
            counts[0] += int(row["started"])
            counts[1] += int(row["submitted"])
    breakdowns = []
    for _, question in monitored:
        got = found[question.id]
        targets = wave.quotas.get(question.id, {}) if isinstance(wave.quotas, dict) else {}
        groups = [
            GroupCount(
                key=c.value,
                label=c.label.get("en"),
                started=got.get(c.code, [0, 0])[0],
                submitted=got.get(c.code, [0, 0])[1],
                target=int(targets[c.value]) if c.value in targets else None,
            )
            for c in question.choices
        ]
        if 0 in got:
            groups.append(GroupCount("", "Not answered yet", got[0][0], got[0][1], None))
        breakdowns.append(Breakdown(question.id, question.text.get("en"), tuple(groups)))
    return Monitoring(
        invited=invitations["invited"],
        emailed=invitations["emailed"],
        reminded=invitations["reminded"],
        opted_out=invitations["opted_out"],
        undeliverable=invitations["undeliverable"],
        started=totals["started"],
        submitted=totals["submitted"],
        invited_submitted=totals["invited_submitted"],
        breakdowns=tuple(breakdowns),
        days=_days(wave),
        funnel=_funnel(wave, instrument_key=wave.instrument_key, started=int(totals["started"])),
        median_minutes=_median_minutes(wave, timed=int(totals["timed"])),
    )


class _ProfileByte(Func):
    """The choice code of one profile question: the byte at ``position`` (from 1) of the
    stored profile, as an integer that groups fast (``get_byte`` on PostgreSQL; on
    SQLite the one-byte ``SUBSTR`` read as a code point, codes being 1 to 127; an
    unanswered 0 comes back as NULL)."""

    function = "get_byte"
    output_field = IntegerField()

    def __init__(self, position: int) -> None:
        super().__init__(F("profile"), Value(position - 1))

    def as_sqlite(self, compiler: Any, connection: Any, **extra: Any) -> Any:
        return self.as_sql(
            compiler,
            connection,
            template="unicode(CAST(substr(%(expressions)s + 1, 1) AS TEXT))",
            **extra,
        )


def _code(raw: int | None) -> int:
    return int(raw) if raw else 0


def _per_day(rows: QuerySet[Response], field: str) -> dict[date, int]:
    """Counts per UK day of the datetime ``field``, grouped in the database.

    PostgreSQL truncates in the time zone itself. On SQLite, Django's TruncDate
    calls a Python function for every row, so rows are grouped by their stored UTC
    hour (``SUBSTR`` of the stored text) and the few hour groups are turned into UK
    days here.
    """
    zone = ZoneInfo(str(settings.TIME_ZONE))
    picked = rows.filter(**{f"{field}__isnull": False})
    if connection.vendor != "sqlite":
        return dict(
            picked.annotate(day=TruncDate(field, tzinfo=zone))
            .values("day")
            .annotate(n=Count("pk"))
            .values_list("day", "n")
        )
    by_hour = (
        picked.annotate(hour=Substr(field, 1, 13, output_field=CharField()))
        .values("hour")
        .annotate(n=Count("pk"))
        .values_list("hour", "n")
    )
    days: dict[date, int] = {}
    for hour, n in by_hour:
        moment = datetime.fromisoformat(f"{hour}:00:00+00:00").astimezone(zone)
        days[moment.date()] = days.get(moment.date(), 0) + int(n)
    return days


def _days(wave: Wave) -> tuple[Day, ...]:
    responses = _responses(wave)
    starts = _per_day(responses.filter(version__gt=0), "started_at")
    done = _per_day(responses, "submitted_at")
    known = sorted(set(starts) | set(done))
    if not known:
        return ()
    first, last = known[0], known[-1]
    span = min((last - first).days, 366)
    return tuple(
        Day(d, starts.get(d, 0), done.get(d, 0))
        for d in (first + timedelta(days=i) for i in range(span + 1))
    )


_UNTITLED = {"profile": "About your organisation", "open": "Open questions"}


def _funnel(wave: Wave, *, instrument_key: str, started: int) -> tuple[FunnelStep, ...]:
    """Started responses by the last page saved (those not submitted stopped there)."""
    pages = journey_pages(instrument_get(instrument_key))
    stopped = dict(
        _responses(wave)
        .filter(version__gt=0, submitted_at__isnull=True)
        .values("last_page")
        .annotate(n=Count("pk"))
        .values_list("last_page", "n")
    )
    steps = []
    reached = started
    for page in pages:
        here = int(stopped.get(page.slug, 0))
        title = page.title.get("en") if page.title else _UNTITLED.get(page.kind.value, page.slug)
        steps.append(FunnelStep(page.slug, title, reached, here))
        reached -= here
    return tuple(steps)


class _SecondsTaken(Func):
    """Seconds from ``started_at`` to ``submitted_at``, in the database's own arithmetic
    (Django's datetime subtraction calls a Python function per row on SQLite)."""

    template = "EXTRACT(EPOCH FROM (%(expressions)s))"
    arg_joiner = " - "
    output_field = FloatField()

    def __init__(self) -> None:
        super().__init__(F("submitted_at"), F("started_at"))

    def as_sqlite(self, compiler: Any, connection: Any, **extra: Any) -> Any:
        return self.as_sql(
            compiler,
            connection,
            template="((julianday(%(expressions)s)) * 86400.0)",
            arg_joiner=") - julianday(",
            **extra,
        )


def _median_minutes(wave: Wave, *, timed: int) -> float | None:
    """The median time from first save to submission, by ORDER BY and OFFSET in the database
    (``timed``: how many submissions have both times, counted with the totals)."""
    done = (
        _responses(wave)
        .filter(submitted_at__isnull=False, started_at__isnull=False)
        .annotate(took=_SecondsTaken())
    )
    n = timed
    if n == 0:
        return None
    middle = list(done.order_by("took").values_list("took", flat=True)[(n - 1) // 2 : n // 2 + 1])
    seconds = float(sum(middle)) / len(middle)
    return seconds / 60


def invitee_status_counts(*, wave: Wave) -> dict[str, int]:
    """How many invitees are in each status (see ``selectors.invitees``)."""
    from collabready.web.surveys.selectors.invitees import STATUSES, invitees_with_status

    rows = invitees_with_status(wave=wave).values("status")  # type: ignore[misc]
    found = {str(r["status"]): int(r["n"]) for r in rows.annotate(n=Count("pk"))}
    return {s: int(found.get(s, 0)) for s in STATUSES}
