"""Shared fixtures: one synthetic wave and the national report built from it."""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import UTC, datetime

import polars as pl
import pytest
from pypdf import PdfReader

from collabready.instrument import Instrument, load_instrument
from collabready.reporting.model import Report
from collabready.reporting.national import national_report
from collabready.reporting.render import render_html, render_pdf
from collabready.synth import generate_wave

FIXED_TIME = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


@dataclass(frozen=True)
class Built:
    responses: pl.DataFrame
    margins: pl.DataFrame
    report: Report
    html: str
    pdf: bytes

    @property
    def pdf_text(self) -> str:
        reader = PdfReader(io.BytesIO(self.pdf))
        return "\n".join(page.extract_text() for page in reader.pages)


@pytest.fixture(scope="session")
def cri() -> Instrument:
    return load_instrument()


@pytest.fixture(scope="session")
def wave(cri: Instrument) -> tuple[pl.DataFrame, pl.DataFrame]:
    w = generate_wave(respondents=4000, seed=11, instrument=cri)
    return w.responses, w.population_margins


@pytest.fixture(scope="session")
def built(cri: Instrument, wave: tuple[pl.DataFrame, pl.DataFrame]) -> Built:
    responses, margins = wave
    report = national_report(
        responses=responses,
        instrument=cri,
        margins=margins,
        roundtable="# What we agreed\n\nLeaders met in March. <script>alert(1)</script>\n",
        generated_at=FIXED_TIME,
    )
    return Built(responses, margins, report, render_html(report), render_pdf(report))
