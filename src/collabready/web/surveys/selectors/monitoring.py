"""Fieldwork monitoring of one wave: the figures of the monitoring page and of
``collabready status``, from the wave's counts (:mod:`.counts`: aggregated in the
database, with the snapshot of the older submissions). These are staff-only
operational counts (internal monitoring), not published estimates: they are not passed
through the disclosure gate; see docs/web.md ("Live monitoring").
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from django.db.models import Count, Q

from collabready.web.surveys.instruments import instrument_get
from collabready.web.surveys.journey import journey_pages
from collabready.web.surveys.models import Invitation, Wave
from collabready.web.surveys.selectors.counts import (
    MONITORED,
    Counts,
    monitored_questions,
    wave_counts,
)

__all__ = [
    "MONITORED",
    "Breakdown",
    "Day",
    "FunnelStep",
    "GroupCount",
    "Monitoring",
    "invitee_status_counts",
    "wave_monitoring",
]


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
    counts = wave_counts(wave=wave)
    monitored = monitored_questions(instrument)
    found: dict[str, dict[int, list[int]]] = {q.id: {} for _, q in monitored}
    for key, (started, submitted) in counts.groups.items():
        for (_, q), code in zip(monitored, key[1:], strict=True):
            pair = found[q.id].setdefault(code, [0, 0])
            pair[0] += started
            pair[1] += submitted
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
        if any(got.get(0, [0, 0])):
            groups.append(GroupCount("", "Not answered yet", got[0][0], got[0][1], None))
        breakdowns.append(Breakdown(question.id, question.text.get("en"), tuple(groups)))
    median = counts.median_seconds()
    return Monitoring(
        invited=invitations["invited"],
        emailed=invitations["emailed"],
        reminded=invitations["reminded"],
        opted_out=invitations["opted_out"],
        undeliverable=invitations["undeliverable"],
        started=counts.started,
        submitted=counts.submitted,
        invited_submitted=counts.invited_submitted,
        breakdowns=tuple(breakdowns),
        days=_days(counts),
        funnel=_funnel(counts, instrument_key=wave.instrument_key),
        median_minutes=None if median is None else median / 60,
    )


def _days(counts: Counts) -> tuple[Day, ...]:
    starts, done = counts.starts, counts.completions
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


def _funnel(counts: Counts, *, instrument_key: str) -> tuple[FunnelStep, ...]:
    """Started responses by the last page saved (those not submitted stopped there)."""
    pages = journey_pages(instrument_get(instrument_key))
    steps = []
    reached = counts.started
    for page in pages:
        here = int(counts.stopped.get(page.slug, 0))
        title = page.title.get("en") if page.title else _UNTITLED.get(page.kind.value, page.slug)
        steps.append(FunnelStep(page.slug, title, reached, here))
        reached -= here
    return tuple(steps)


def invitee_status_counts(*, wave: Wave) -> dict[str, int]:
    """How many invitees are in each status (see ``selectors.invitees``)."""
    from collabready.web.surveys.selectors.invitees import STATUSES, invitees_with_status

    rows = invitees_with_status(wave=wave).values("status")  # type: ignore[misc]
    found = {str(r["status"]): int(r["n"]) for r in rows.annotate(n=Count("pk"))}
    return {s: int(found.get(s, 0)) for s in STATUSES}
