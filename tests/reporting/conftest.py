"""Shared fixtures: one synthetic wave, the national report built from it, and the
statistics engine's own results for the same data, computed directly with
:mod:`collabready.stats` (never through :mod:`collabready.reporting`)."""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cached_property
from pathlib import Path

import numpy as np
import polars as pl
import pytest
from numpy.typing import NDArray
from pypdf import PdfReader

from collabready.instrument import Instrument, load_instrument
from collabready.reporting.model import Report
from collabready.reporting.national import national_report
from collabready.reporting.render import render_html, render_pdf
from collabready.scoring import score
from collabready.stats import (
    RakingResult,
    SurveyDesign,
    rake,
    raked_design,
    read_margins_csv,
)
from collabready.synth import generate_wave

from .html_tables import HtmlCell, HtmlTable, parse

FIXED_TIME = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


@dataclass(frozen=True)
class Built:
    responses: pl.DataFrame
    margins: pl.DataFrame
    report: Report
    html: str
    pdf: bytes

    @cached_property
    def pdf_text(self) -> str:
        reader = PdfReader(io.BytesIO(self.pdf))
        return "\n".join(page.extract_text() for page in reader.pages)

    @cached_property
    def pdf_flat(self) -> str:
        """The PDF text with all runs of whitespace as one space."""
        return " ".join(self.pdf_text.split())

    @cached_property
    def parsed(self) -> tuple[dict[str, HtmlTable], dict[str, HtmlCell]]:
        return parse(self.html)

    @property
    def tables(self) -> dict[str, HtmlTable]:
        return self.parsed[0]

    @property
    def findings(self) -> dict[str, HtmlCell]:
        return self.parsed[1]


@dataclass(frozen=True)
class Engine:
    """The statistics engine run directly on the responses and the margins file."""

    responses: pl.DataFrame
    scores: pl.DataFrame
    raking: RakingResult
    design: SurveyDesign

    def col(self, name: str) -> NDArray[np.float64]:
        return self.scores.get_column(name).to_numpy().astype(np.float64)

    def profile(self, name: str) -> NDArray[np.object_]:
        return self.responses.get_column(name).to_numpy().astype(object)


def engine_for(
    responses: pl.DataFrame, margins: pl.DataFrame, cri: Instrument, tmp: Path
) -> Engine:
    path = tmp / "margins.csv"
    margins.write_csv(path)
    m = read_margins_csv(path)
    raking = rake(data=responses.select(list(m.variables)), margins=m)
    design = raked_design(raking, clusters=responses.get_column("organisation_id").to_numpy())
    return Engine(responses, score(responses, cri), raking, design)


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


@pytest.fixture(scope="session")
def engine(
    cri: Instrument,
    wave: tuple[pl.DataFrame, pl.DataFrame],
    tmp_path_factory: pytest.TempPathFactory,
) -> Engine:
    responses, margins = wave
    return engine_for(responses, margins, cri, tmp_path_factory.mktemp("engine"))
