"""Build a report for a wave in the database with :mod:`collabready.reporting`.

The only Django work here is reading (``selectors``); the documents are the
core's. Used by the background jobs and by ``collabready report --wave``.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import polars as pl

from collabready.analysis.load import ResponseMatrix
from collabready.analysis.policy import DEFAULT_K
from collabready.analysis.steps import Step, no_step
from collabready.errors import UserError
from collabready.reporting.logo import Logo
from collabready.reporting.model import Report
from collabready.stats import Margins
from collabready.web.reports.selectors import FieldworkFacts, wave_fieldwork, wave_margins
from collabready.web.surveys.instruments import instrument_get
from collabready.web.surveys.models import Wave
from collabready.web.surveys.selectors.responses import wave_responses


@dataclass(frozen=True, slots=True)
class StoredWave:
    """Everything a report reads from the database about one wave."""

    wave: Wave
    responses: ResponseMatrix
    margins: pl.DataFrame | None
    margins_sha256: str | None
    fieldwork: FieldworkFacts


@dataclass(frozen=True, slots=True)
class ReportOptions:
    """What a report job asks for beyond its kind and format (kept on the job as JSON)."""

    title: str = ""
    subtitle: str = ""
    foreword: str = ""
    roundtable: str = ""
    k: int = DEFAULT_K
    #: an unweighted draft during fieldwork (margins not used)
    draft: bool = False
    #: margin (variable, level) with no respondents -> the level it is merged into
    merge_levels: Mapping[tuple[str, str], str] = field(default_factory=dict)
    logo_alt: str = ""

    def to_json(self) -> dict[str, Any]:
        return {
            "title": self.title,
            "subtitle": self.subtitle,
            "foreword": self.foreword,
            "roundtable": self.roundtable,
            "k": self.k,
            "draft": self.draft,
            "merge_levels": [[v, lv, into] for (v, lv), into in self.merge_levels.items()],
            "logo_alt": self.logo_alt,
        }

    @staticmethod
    def from_json(raw: Mapping[str, Any]) -> ReportOptions:
        return ReportOptions(
            title=str(raw.get("title", "")),
            subtitle=str(raw.get("subtitle", "")),
            foreword=str(raw.get("foreword", "")),
            roundtable=str(raw.get("roundtable", "")),
            k=int(raw.get("k", DEFAULT_K)),
            draft=bool(raw.get("draft", False)),
            merge_levels={
                (str(v), str(lv)): str(into) for v, lv, into in raw.get("merge_levels", [])
            },
            logo_alt=str(raw.get("logo_alt", "")),
        )


def stored_wave(*, wave: Wave, submitted_until: datetime | None = None) -> StoredWave:
    """The wave's submitted responses (up to ``submitted_until``, when given), its
    margins (if uploaded) and fieldwork facts."""
    responses = wave_responses(wave=wave, submitted_until=submitted_until)
    if len(responses) == 0:
        raise UserError(f"wave {wave.slug}: no submitted responses to report on yet")
    stored = wave_margins(wave=wave)
    return StoredWave(
        wave=wave,
        responses=responses,
        margins=stored.frame if stored else None,
        margins_sha256=stored.sha256 if stored else None,
        fieldwork=wave_fieldwork(wave=wave),
    )


def build_wave_report(
    *,
    wave: Wave,
    kind: str,
    sector: str | None = None,
    options: ReportOptions | None = None,
    logo: Logo | None = None,
    step: Step = no_step,
    submitted_until: datetime | None = None,
) -> Report:
    """The national report (``kind="national"``) or a sector briefing (``"sector"``).

    A draft is unweighted (the wave's margins are not used); margin levels in
    ``options.merge_levels`` are merged before weighting.
    """
    from collabready.analysis.weighting import collapse_margins
    from collabready.reporting.national import (
        DEFAULT_SUBTITLE,
        DEFAULT_TITLE,
        Fieldwork,
        fieldwork_period,
        national_report,
    )
    from collabready.reporting.sector import sector_briefing

    opts = options or ReportOptions()
    k = opts.k
    step("load")
    data = stored_wave(wave=wave, submitted_until=submitted_until)
    instrument = instrument_get(wave.instrument_key)
    margins: pl.DataFrame | Margins | None = None if opts.draft else data.margins
    if kind == "national":
        return national_report(
            responses=data.responses,
            instrument=instrument,
            margins=margins,
            k=k,
            title=opts.title or DEFAULT_TITLE,
            subtitle=opts.subtitle or DEFAULT_SUBTITLE,
            foreword=opts.foreword or None,
            roundtable=opts.roundtable or None,
            logo=logo,
            draft=opts.draft,
            merge_levels=opts.merge_levels if margins is not None else None,
            fieldwork=Fieldwork(
                wave_name=wave.name,
                public_title=wave.public_title,
                start=data.fieldwork.start,
                end=data.fieldwork.end,
                invited=data.fieldwork.invited,
            ),
            margins_sha256=data.margins_sha256 if margins is not None else None,
            submitted_until=submitted_until,
            step=step,
        )
    if kind == "sector":
        if not sector:
            raise UserError("a sector briefing needs a sector")
        step("estimates")
        if margins is not None and opts.merge_levels:
            margins = collapse_margins(margins, opts.merge_levels)
        briefing = sector_briefing(
            responses=data.responses,
            instrument=instrument,
            margins=margins,
            sector=sector,
            k=k,
            margins_sha256=data.margins_sha256 if margins is not None else None,
        )
        return dataclasses.replace(
            briefing,
            survey_title=wave.public_title,
            period=fieldwork_period(data.fieldwork.start, data.fieldwork.end),
        )
    raise UserError(f"report kind {kind!r}: choose national or sector")
