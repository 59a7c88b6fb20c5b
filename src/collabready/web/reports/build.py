"""Build a report for a wave in the database with :mod:`collabready.reporting`.

The only Django work here is reading (``selectors``); the documents are the
core's. Used by the background jobs and by ``collabready report --wave``.
"""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl

from collabready.analysis.load import ResponseMatrix
from collabready.analysis.policy import DEFAULT_K
from collabready.analysis.steps import Step, no_step
from collabready.errors import UserError
from collabready.reporting.model import Report
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


def stored_wave(*, wave: Wave) -> StoredWave:
    """The wave's submitted responses, its margins (if uploaded) and fieldwork facts."""
    responses = wave_responses(wave=wave)
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
    k: int = DEFAULT_K,
    step: Step = no_step,
) -> Report:
    """The national report (``kind="national"``) or a sector briefing (``"sector"``)."""
    from collabready.reporting.national import Fieldwork, national_report
    from collabready.reporting.sector import sector_briefing

    step("load")
    data = stored_wave(wave=wave)
    instrument = instrument_get(wave.instrument_key)
    if kind == "national":
        return national_report(
            responses=data.responses,
            instrument=instrument,
            margins=data.margins,
            k=k,
            fieldwork=Fieldwork(
                wave_name=wave.name,
                start=data.fieldwork.start,
                end=data.fieldwork.end,
                invited=data.fieldwork.invited,
            ),
            margins_sha256=data.margins_sha256,
            step=step,
        )
    if kind == "sector":
        if not sector:
            raise UserError("a sector briefing needs a sector")
        step("estimates")
        return sector_briefing(
            responses=data.responses,
            instrument=instrument,
            margins=data.margins,
            sector=sector,
            k=k,
            margins_sha256=data.margins_sha256,
        )
    raise UserError(f"report kind {kind!r}: choose national or sector")
