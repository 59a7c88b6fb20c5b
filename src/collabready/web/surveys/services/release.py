"""The convenors' release: what convenors' figures are computed from, and when it moves.

A convenor (a partnership's convenor, outside the research team) may read the
wave's aggregates and create and read reports. Figures computed on the live
submissions would let them difference two reads: read once, wait for one more
submission, read again, and ``n × after − (n − 1) × before`` is that respondent's
answer. So convenors never see the live submissions. They see the **release**:

- the submissions up to :attr:`Wave.released_at`, made when the wave has **ended**
  (closed, or past its closing date); before that, convenors have no figures;
- the release moves on (to every submission up to now) only when the wave has
  ended again **and** at least k submissions have changed since it was made (new
  submissions, say after a reopening or an import, plus erased ones); otherwise it
  stays where it was, so any two releases differ by at least k respondents;
- an **erasure** of a released submission cannot wait (the answers are deleted at
  once), and figures without it would tell it by difference: from then on the
  convenors' figures are **withheld** until the release can move on. Reports made
  from earlier releases stay (published reports are not rewritten).

The rule is documented in docs/statistics.md ("Convenors' figures").
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from collabready.analysis.policy import DEFAULT_K
from collabready.web.audit.services import audit_record
from collabready.web.surveys.models import Response, Wave

__all__ = ["Release", "release_note_erasure", "wave_release"]


@dataclass(frozen=True, slots=True)
class Release:
    """The convenors' view of one wave's submissions."""

    #: submissions up to this moment; ``None``: there is no release (yet)
    cutoff: datetime | None
    #: how many submissions it held when it was made
    count: int
    #: why convenors have no figures now (``""``: they have)
    withheld: str

    @property
    def available(self) -> bool:
        return self.cutoff is not None and not self.withheld


def _ended(wave: Wave, now: datetime) -> bool:
    return wave.closed_at is not None or wave.closes_at <= now


def _submitted(wave: Wave) -> int:
    return Response.objects.filter(wave=wave, is_test=False, submitted_at__isnull=False).count()


def _changed_since(wave: Wave) -> int:
    """Submissions that differ from the release: new ones after it, plus erased ones."""
    assert wave.released_at is not None
    new = Response.objects.filter(
        wave=wave, is_test=False, submitted_at__gt=wave.released_at
    ).count()
    return new + wave.release_erasures


def wave_release(*, wave: Wave, k: int = DEFAULT_K) -> Release:
    """The wave's release now, made or moved on first when the rules allow (audited).

    ``wave`` is refreshed in place when the release moves.
    """
    now = timezone.now()
    if _ended(wave, now) and (wave.released_at is None or _changed_since(wave) >= k):
        with transaction.atomic():
            locked = Wave.objects.select_for_update().get(pk=wave.pk)
            first = locked.released_at is None
            if first or _changed_since(locked) >= k:
                locked.released_at = now
                locked.released_count = _submitted(locked)
                locked.release_erasures = 0
                locked.save(update_fields=["released_at", "released_count", "release_erasures"])
                audit_record(
                    "wave.release",
                    obj=locked,
                    count=locked.released_count,
                    first=first,
                    k=k,
                )
            wave.released_at = locked.released_at
            wave.released_count = locked.released_count
            wave.release_erasures = locked.release_erasures
    if wave.released_at is None:
        return Release(
            None,
            0,
            "convenors' figures are released when the wave has closed "
            "(so that they cannot be compared before and after one submission)",
        )
    if wave.release_erasures:
        return Release(
            wave.released_at,
            wave.released_count,
            f"convenors' figures are withheld: a response in them was erased, and "
            f"they return once at least {k} responses have changed since "
            f"{timezone.localtime(wave.released_at):%d %B %Y %H:%M}",
        )
    return Release(wave.released_at, wave.released_count, "")


def release_note_erasure(*, response: Response) -> None:
    """Record that ``response`` (about to be erased) was in its wave's release.

    Call it inside the erasure's transaction, before the delete.
    """
    if response.submitted_at is None or response.is_test:
        return
    Wave.objects.filter(
        pk=response.wave_id,
        released_at__isnull=False,
        released_at__gte=response.submitted_at,
    ).update(release_erasures=F("release_erasures") + 1)
