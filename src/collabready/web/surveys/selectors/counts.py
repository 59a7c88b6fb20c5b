"""A wave's monitoring counts: sums over responses, counted in the database, and the
snapshot that keeps those of the older submissions.

Every count is a sum over responses, made by a fixed handful of ``GROUP BY`` and
``COUNT`` queries (the profile answers grouped by their byte in the stored profile),
never a Python loop over responses. Because submitted responses do not change, the
counts of a large wave's older submissions are kept in a
:class:`~collabready.web.surveys.models.MonitoringSnapshot` and only the responses
after it are counted at each reading (:func:`wave_counts`): the counts stay exact and
live, and a reading's cost follows the recent fieldwork rather than the wave's size.
Test responses are left out. :mod:`.monitoring` turns the counts into the figures.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import connection, transaction
from django.db.models import CharField, Count, F, FloatField, Func, IntegerField, Q, QuerySet, Value
from django.db.models.functions import Substr, TruncDate
from django.utils import timezone

from collabready.web.surveys.instruments import instrument_get
from collabready.web.surveys.models import MonitoringSnapshot, Response, Wave

#: The profile questions monitored, when the wave's instrument asks them.
MONITORED = ("sector", "subsector", "region", "size")


def _responses(wave: Wave) -> QuerySet[Response]:
    return Response.objects.filter(wave=wave, is_test=False)


#: Durations are counted to the second below three hours, to the minute below a week and
#: to the hour beyond, so that a wave's histogram stays small (at most some 23,000 bins).
_SECOND_BINS_BELOW = 3 * 3600
_MINUTE_BINS_BELOW = 7 * 86400


@dataclass(slots=True)
class Counts:
    """The monitoring counts of a set of responses: sums over the responses, so the
    counts of two disjoint sets add up to those of their union (:meth:`__add__`).

    ``groups`` maps (``Response.sector``, then the code of each monitored profile
    question, 0 when unanswered) to [started, submitted]; ``stopped`` counts the last
    page saved of the started responses not submitted; ``durations`` counts the
    submissions by the seconds from first save to submission (binned, see above).
    """

    started: int = 0
    submitted: int = 0
    invited_submitted: int = 0
    groups: dict[tuple[Any, ...], list[int]] = field(default_factory=dict)
    starts: dict[date, int] = field(default_factory=dict)
    completions: dict[date, int] = field(default_factory=dict)
    stopped: dict[str, int] = field(default_factory=dict)
    durations: dict[int, int] = field(default_factory=dict)

    def __add__(self, other: Counts) -> Counts:
        def add(a: dict[Any, int], b: dict[Any, int]) -> dict[Any, int]:
            out = dict(a)
            for key, n in b.items():
                out[key] = out.get(key, 0) + n
            return out

        groups = {key: list(v) for key, v in self.groups.items()}
        for key, (started, submitted) in other.groups.items():
            got = groups.setdefault(key, [0, 0])
            got[0] += started
            got[1] += submitted
        return Counts(
            started=self.started + other.started,
            submitted=self.submitted + other.submitted,
            invited_submitted=self.invited_submitted + other.invited_submitted,
            groups=groups,
            starts=add(self.starts, other.starts),
            completions=add(self.completions, other.completions),
            stopped=add(self.stopped, other.stopped),
            durations=add(self.durations, other.durations),
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "started": self.started,
            "submitted": self.submitted,
            "invited_submitted": self.invited_submitted,
            "groups": [[*key, *v] for key, v in self.groups.items()],
            "starts": {d.isoformat(): n for d, n in self.starts.items()},
            "completions": {d.isoformat(): n for d, n in self.completions.items()},
            "stopped": self.stopped,
            "durations": [[s, n] for s, n in self.durations.items()],
        }

    @classmethod
    def from_json(cls, data: dict[str, Any], *, width: int) -> Counts:
        """``width``: how many keys a group has (the sector and the monitored questions)."""
        return cls(
            started=int(data["started"]),
            submitted=int(data["submitted"]),
            invited_submitted=int(data["invited_submitted"]),
            groups={tuple(g[:width]): [int(g[width]), int(g[width + 1])] for g in data["groups"]},
            starts={date.fromisoformat(d): int(n) for d, n in data["starts"].items()},
            completions={date.fromisoformat(d): int(n) for d, n in data["completions"].items()},
            stopped={str(p): int(n) for p, n in data["stopped"].items()},
            durations={int(s): int(n) for s, n in data["durations"]},
        )

    def submitted_by_sector(self) -> dict[str, int]:
        out: dict[str, int] = {}
        for key, (_, submitted) in self.groups.items():
            if submitted:
                out[key[0]] = out.get(key[0], 0) + submitted
        return out

    def median_seconds(self) -> float | None:
        """The median duration, from the histogram (the mean of the two middle values
        when the number of submissions timed is even)."""
        n = sum(self.durations.values())
        if n == 0:
            return None
        wanted = [(n - 1) // 2, n // 2]
        found: list[int] = []
        seen = 0
        for seconds in sorted(self.durations):
            seen += self.durations[seconds]
            while wanted and wanted[0] < seen:
                found.append(seconds)
                wanted.pop(0)
            if not wanted:
                break
        return sum(found) / len(found)


def monitored_questions(instrument: Any) -> list[tuple[int, Any]]:
    return [
        (position, q) for position, q in enumerate(instrument.profile, start=1) if q.id in MONITORED
    ]


def _count(rows: QuerySet[Response], monitored: list[tuple[int, Any]]) -> Counts:
    """The counts of ``rows``, in six queries (each a ``GROUP BY`` or ``COUNT``)."""
    totals = rows.aggregate(
        started=Count("pk", filter=Q(version__gt=0)),
        submitted=Count("pk", filter=Q(submitted_at__isnull=False)),
        invited_submitted=Count(
            "pk", filter=Q(submitted_at__isnull=False, invitation__isnull=False)
        ),
    )
    # one GROUP BY over the sector and every monitored answer at once (one scan; the groups
    # are the answer combinations found, a few thousand at most)
    names = [f"q_{q.id}" for _, q in monitored]
    grouped = (
        rows.filter(Q(version__gt=0) | Q(submitted_at__isnull=False))
        .annotate(**{f"q_{q.id}": _ProfileByte(position) for position, q in monitored})
        .values("sector", *names)
        .annotate(
            n_started=Count("pk", filter=Q(version__gt=0)),
            n_submitted=Count("pk", filter=Q(submitted_at__isnull=False)),
        )
    )
    groups = {
        (str(row["sector"]), *(_code(row[name]) for name in names)): [
            int(row["n_started"]),
            int(row["n_submitted"]),
        ]
        for row in grouped
    }
    stopped = dict(
        rows.filter(version__gt=0, submitted_at__isnull=True)
        .values("last_page")
        .annotate(n=Count("pk"))
        .values_list("last_page", "n")
    )
    durations = dict(
        rows.filter(submitted_at__isnull=False, started_at__isnull=False)
        .annotate(took=_SecondsBin())
        .values("took")
        .annotate(n=Count("pk"))
        .values_list("took", "n")
    )
    return Counts(
        started=int(totals["started"]),
        submitted=int(totals["submitted"]),
        invited_submitted=int(totals["invited_submitted"]),
        groups=groups,
        starts=_per_day(rows.filter(version__gt=0), "started_at"),
        completions=_per_day(rows, "submitted_at"),
        stopped={str(k): int(n) for k, n in stopped.items()},
        durations={int(k): int(n) for k, n in durations.items()},
    )


# --------------------------------------------------------------------------- the snapshot

#: A snapshot counts the submissions made at least this long before it was built, so
#: that a submission whose transaction was still open then is counted after it.
SNAPSHOT_GRACE = timedelta(minutes=10)


def _snapshot_after() -> int:
    """Rebuild the snapshot once more submissions than this came after it."""
    return int(getattr(settings, "COLLABREADY_MONITORING_SNAPSHOT_AFTER", 10_000))


def wave_counts(*, wave: Wave, now: datetime | None = None) -> Counts:
    """The counts of every (non-test) response of ``wave``: the stored snapshot of the
    submissions up to its moment plus the counts of the responses after it (see
    :class:`~collabready.web.surveys.models.MonitoringSnapshot`). The snapshot is
    (re)built here when more than ``COLLABREADY_MONITORING_SNAPSHOT_AFTER`` submissions
    (default 10,000) made at least :data:`SNAPSHOT_GRACE` ago came after it."""
    monitored = monitored_questions(instrument_get(wave.instrument_key))
    width = 1 + len(monitored)
    snapshot = MonitoringSnapshot.objects.filter(wave=wave).first()
    kept: Counts | None = None
    if snapshot is not None and snapshot.counts.get("width") == width:
        kept = Counts.from_json(snapshot.counts["counts"], width=width)
        until: datetime | None = snapshot.submitted_until
    else:
        until = None
    horizon = (now or timezone.now()) - SNAPSHOT_GRACE
    ripe = _responses(wave).filter(submitted_at__lte=horizon)
    if until is not None:
        ripe = ripe.filter(submitted_at__gt=until)
    if ripe.count() > _snapshot_after():
        built = _snapshot_build(wave, monitored, until=horizon)
        kept, until = (built, horizon) if built is not None else (None, None)
    if kept is None or until is None:
        return _count(_responses(wave), monitored)
    # the wave repeated in each branch, so that SQLite, too, reads each from the
    # (wave, submitted_at) index (a "multi-index OR"; PostgreSQL: a BitmapOr)
    after = Response.objects.filter(is_test=False).filter(
        Q(wave=wave, submitted_at__isnull=True) | Q(wave=wave, submitted_at__gt=until)
    )
    return kept + _count(after, monitored)


#: The counts of a snapshot row that holds none (being built, or dropped).
_EMPTY = {"width": 0}


def _snapshot_build(
    wave: Wave, monitored: list[tuple[int, Any]], *, until: datetime
) -> Counts | None:
    """Count the submissions up to ``until`` and store them; ``None`` when the snapshot
    was dropped meanwhile (then the caller counts afresh).

    The lock is the snapshot's own row, not the wave's (every page save shares the
    wave's row): the row is made first if there is none, then locked while counting
    and storing. :func:`monitoring_forget` writes the same row, so it either waits for
    the storing and then empties it, or the counting waits for it and, starting after
    its commit, sees what it changed.
    """
    MonitoringSnapshot.objects.get_or_create(
        wave=wave, defaults={"submitted_until": until, "counts": _EMPTY}
    )
    with transaction.atomic():
        row = MonitoringSnapshot.objects.select_for_update().filter(wave=wave).first()
        if row is None:
            return None
        counts = _count(_responses(wave).filter(submitted_at__lte=until), monitored)
        row.submitted_until = until
        row.counts = {"width": 1 + len(monitored), "counts": counts.to_json()}
        row.save()
    return counts


def monitoring_forget(*, wave_id: int) -> None:
    """Drop the wave's monitoring snapshot; call it, in the same transaction, wherever a
    submitted response is deleted or altered, or stored with an earlier submission time
    (an erasure, an import, a bulk load). The next reading counts afresh.

    The row is emptied rather than deleted (and made, empty, if there is none), so that
    a snapshot being built at the same moment always meets this transaction's row lock
    (see :func:`_snapshot_build`).
    """
    MonitoringSnapshot.objects.update_or_create(
        wave_id=wave_id, defaults={"submitted_until": timezone.now(), "counts": _EMPTY}
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


class _SecondsBin(Func):
    """The whole seconds from ``started_at`` to ``submitted_at``, binned as
    :data:`_SECOND_BINS_BELOW` says (``floor`` on PostgreSQL, whose integer casts round;
    a truncating ``CAST`` on SQLite, which has no ``floor`` of its own)."""

    output_field = IntegerField()

    def __init__(self) -> None:
        super().__init__(_SecondsTaken())

    def _template(self, whole: str) -> str:
        s = "%(expressions)s"
        return (
            f"CASE WHEN {s} < {_SECOND_BINS_BELOW} THEN {whole.format(s)} "
            f"WHEN {s} < {_MINUTE_BINS_BELOW} THEN {whole.format(s + ' / 60')} * 60 "
            f"ELSE {whole.format(s + ' / 3600')} * 3600 END"
        )

    def as_postgresql(self, compiler: Any, connection: Any, **extra: Any) -> Any:
        return super().as_sql(
            compiler, connection, template=self._template("CAST(floor({}) AS integer)"), **extra
        )

    def as_sqlite(self, compiler: Any, connection: Any, **extra: Any) -> Any:
        return super().as_sql(
            compiler, connection, template=self._template("CAST(({}) AS integer)"), **extra
        )
