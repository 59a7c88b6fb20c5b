"""Reading waves."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.db.models import Count, Q, QuerySet
from django.utils import timezone

from collabready.web.surveys.models import Wave
from collabready.web.surveys.selectors.counts import wave_counts


def wave_is_open(*, wave: Wave, now: datetime | None = None) -> bool:
    """Whether ``wave`` accepts answers at ``now``."""
    moment = now or timezone.now()
    return wave.closed_at is None and wave.opens_at <= moment < wave.closes_at


def wave_accepts_answers(*, wave: Wave, test: bool = False) -> bool:
    """Whether a response may be saved: the wave is open, or (a staff test response,
    test mode) the wave is not closed and not past its closing date."""
    if test:
        return wave_accepts_emails(wave=wave)
    return wave_is_open(wave=wave)


def wave_accepts_emails(*, wave: Wave, now: datetime | None = None) -> bool:
    """Whether invitations and reminders may be sent: not closed, not past closing.

    (Invitations may go before the wave opens; the link then says when it opens.)
    """
    moment = now or timezone.now()
    return wave.closed_at is None and moment < wave.closes_at


def wave_has_opened(*, wave: Wave, now: datetime | None = None) -> bool:
    """Whether the wave has reached its opening date or has any real (non-test) answers."""
    moment = now or timezone.now()
    return wave.opens_at <= moment or wave.responses.filter(is_test=False, version__gt=0).exists()


def wave_public_title(*, wave: Wave, language: str = "en") -> str:
    """The wave's public title in ``language``: the Welsh one for ``"cy"`` when set,
    else the English one; ``""`` when the team has set none."""
    if language == "cy" and wave.public_title_cy:
        return wave.public_title_cy
    return wave.public_title


def wave_title_for_respondents(*, wave: Wave, language: str = "en") -> str:
    """What respondents are shown as the survey's name: the public title, or (none
    set) the wave's name, as before public titles existed."""
    return wave_public_title(wave=wave, language=language) or wave.name


def wave_get_open_link(*, slug: str) -> Wave | None:
    """The wave whose open link is ``slug``, if it has one."""
    wave: Wave | None = Wave.objects.filter(slug=slug, open_link_enabled=True).first()
    return wave


@dataclass(frozen=True, slots=True)
class WaveSummary:
    wave: Wave
    invited: int
    emailed: int
    started: int
    submitted: int
    is_open: bool
    #: Submissions by ``Response.sector`` ("(not given)" when blank), in sector order.
    by_sector: tuple[tuple[str, int], ...] = ()


def wave_summaries(*, waves: QuerySet[Wave] | None = None) -> list[WaveSummary]:
    """Every wave (of ``waves``, if given) with its counts, newest first (the response
    counts from :func:`~collabready.web.surveys.selectors.monitoring.wave_counts`)."""
    rows = Wave.objects.all() if waves is None else waves
    annotated = rows.annotate(
        n_invited=Count("invitations", distinct=True),
        n_emailed=Count(
            "invitations", filter=Q(invitations__invited_at__isnull=False), distinct=True
        ),
    )
    summaries = []
    for w in annotated:
        counts = wave_counts(wave=w)
        summaries.append(
            WaveSummary(
                wave=w,
                invited=w.n_invited,
                emailed=w.n_emailed,
                started=counts.started,
                submitted=counts.submitted,
                is_open=wave_is_open(wave=w),
                by_sector=tuple(
                    (sector or "(not given)", n)
                    for sector, n in sorted(counts.submitted_by_sector().items())
                ),
            )
        )
    return summaries


def wave_summary(*, wave_id: int) -> WaveSummary:
    found = wave_summaries(waves=Wave.objects.filter(pk=wave_id))
    if not found:
        raise Wave.DoesNotExist(f"no wave {wave_id}")
    return found[0]
