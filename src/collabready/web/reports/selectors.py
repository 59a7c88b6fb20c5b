"""Reading what a report needs from the database besides the responses: a wave by
name, its margins, and what is known about its fieldwork.

The responses themselves are loaded by
:func:`collabready.web.surveys.selectors.responses.wave_responses` straight into
the core's matrix.
"""

from __future__ import annotations

import hashlib
import io
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING

import polars as pl
from django.db.models import Count, Max
from django.utils import timezone

from collabready.web.reports.errors import UnknownWaveError
from collabready.web.reports.models import ExportJob, ReportJob, WaveMargins
from collabready.web.surveys.instruments import instrument_get
from collabready.web.surveys.models import Invitation, Response, Wave
from collabready.web.surveys.selectors.responses import wave_responses

if TYPE_CHECKING:
    # imported where used: the weighting step imports scipy (a second of an export's start)
    from collabready.analysis.weighting import EmptyLevel


def wave_by_name(*, name: str) -> Wave:
    """The wave whose short name (slug) or full name is ``name``."""
    wave = Wave.objects.filter(slug=name).first() or Wave.objects.filter(name=name).first()
    if wave is None:
        known = list(Wave.objects.order_by("slug").values_list("slug", flat=True)[:20])
        listed = ", ".join(known) if known else "there are no waves"
        raise UnknownWaveError(f"--wave {name}: no wave with that name in the database ({listed})")
    return wave


@dataclass(frozen=True, slots=True)
class StoredMargins:
    frame: pl.DataFrame
    sha256: str
    filename: str


def wave_margins(*, wave: Wave) -> StoredMargins | None:
    """The margins uploaded for the wave (variable, level, population_total), if any."""
    stored = WaveMargins.objects.filter(wave=wave).first()
    if stored is None:
        return None
    frame = pl.read_csv(
        io.StringIO(stored.content),
        schema_overrides={"variable": pl.Utf8, "level": pl.Utf8, "population_total": pl.Float64},
    ).select("variable", "level", "population_total")
    return StoredMargins(frame, stored.sha256, stored.filename)


def content_sha256(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


@dataclass(frozen=True, slots=True)
class FieldworkFacts:
    start: date | None
    end: date | None
    #: sector -> invited, only when every submitted response came through an invitation
    invited: tuple[tuple[str, int], ...]


def wave_fieldwork(*, wave: Wave) -> FieldworkFacts:
    """Fieldwork dates (opening to closing, or to the last submission while open) and
    the number invited per sector (for response rates)."""
    local = timezone.localtime
    start = local(wave.opens_at).date()
    now = timezone.now()
    if wave.closed_at is not None:
        end: date | None = local(wave.closed_at).date()
    elif wave.closes_at <= now:
        end = local(wave.closes_at).date()
    else:
        last = Response.objects.filter(
            wave=wave, submitted_at__isnull=False, is_test=False
        ).aggregate(last=Max("submitted_at"))["last"]
        end = local(last).date() if last else None
    submitted = Response.objects.filter(wave=wave, submitted_at__isnull=False, is_test=False)
    invited: tuple[tuple[str, int], ...] = ()
    if submitted.exists() and not submitted.filter(invitation__isnull=True).exists():
        invited = tuple(
            (row["sector"], row["n"])
            for row in Invitation.objects.filter(wave=wave)
            .exclude(sector="")
            .values("sector")
            .annotate(n=Count("pk"))
            .order_by("sector")
        )
    return FieldworkFacts(start, end if end and end >= start else None, invited)


def wave_sector_choices(*, wave: Wave) -> list[tuple[str, str]]:
    """The sectors of the wave's instrument, as (value, label)."""
    instrument = instrument_get(wave.instrument_key)
    question = instrument.profile_question("sector")
    return [(c.value, c.label.get()) for c in question.choices]


def wave_empty_margin_levels(*, wave: Wave) -> tuple[EmptyLevel, ...]:
    """The levels of the wave's margins that no submitted response has yet (none without
    margins or responses): weighting cannot reach them until they are merged."""
    from collabready.analysis.weighting import empty_levels

    stored = wave_margins(wave=wave)
    if stored is None:
        return ()
    responses = wave_responses(wave=wave)
    if len(responses) == 0:
        return ()
    return empty_levels(responses.profile, stored.frame)


def report_jobs_for_wave(
    *, wave: Wave, limit: int = 50, releases_only: bool = False
) -> list[ReportJob]:
    """The wave's latest reports; ``releases_only``: only those made from the convenors'
    release (what a convenor may see)."""
    jobs = ReportJob.objects.filter(wave=wave)
    if releases_only:
        jobs = jobs.filter(release_cutoff__isnull=False)
    return list(jobs.select_related("created_by")[:limit])


def export_jobs_for_wave(*, wave: Wave, limit: int = 50) -> list[ExportJob]:
    return list(ExportJob.objects.filter(wave=wave).select_related("created_by")[:limit])
