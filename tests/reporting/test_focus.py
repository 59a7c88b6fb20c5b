"""The focus block (CRI: Citizens) comes from the instrument, not from the code.

With no ``focus`` the national report still builds and simply has no focus
comparison: no section, no table, no "lags" finding. With another block as the
focus, the section, the table and the finding are about that block, in the
instrument's words.
"""

from __future__ import annotations

import dataclasses

import polars as pl
import pytest

from collabready.instrument import Focus, Instrument, Text
from collabready.reporting.model import Paragraph, Report
from collabready.reporting.national import national_report
from collabready.reporting.render import render_html
from collabready.synth import generate_wave
from tests.factories import make_instrument

from .conftest import FIXED_TIME


@pytest.fixture(scope="module")
def plain() -> Instrument:
    """The factory's six blocks (citizens first), with no focus block."""
    return make_instrument()


@pytest.fixture(scope="module")
def factory_wave(plain: Instrument) -> tuple[pl.DataFrame, pl.DataFrame]:
    w = generate_wave(respondents=1500, seed=7, instrument=plain)
    return w.responses, w.population_margins


def report_for(inst: Instrument, wave: tuple[pl.DataFrame, pl.DataFrame]) -> Report:
    responses, margins = wave
    return national_report(
        responses=responses, instrument=inst, margins=margins, generated_at=FIXED_TIME
    )


def test_without_a_focus_block_the_report_has_no_focus_comparison(plain: Instrument, factory_wave):
    assert plain.focus is None
    report = report_for(plain, factory_wave)
    section_ids = {s.id for s in report.walk()}
    assert {"summary", "gap", "environment", "value"} <= section_ids
    assert not section_ids & set(plain.block_ids)
    assert not [t.id for t in report.tables() if t.id.endswith("-vs-blocks")]
    # considered in the summary (and found absent), nowhere else
    lags = [f for f in report.findings() if f.id.endswith("-lag")]
    assert [(f.supported, f.sentence) for f in lags] == [(False, "")]
    # the other findings are still considered
    assert {"index", "gap", "lowest-block"} <= {f.id for f in report.findings()}
    html = render_html(report)
    assert "compared with the other blocks" not in html
    assert "lags behind" not in html


def test_focus_block_and_its_wording_come_from_the_instrument(plain: Instrument, factory_wave):
    inst = dataclasses.replace(
        plain,
        focus=Focus(
            "markets",
            rationale=Text({"en": "Markets decide who can take part."}),
            lag_finding=Text({"en": "Commissioning trails the rest"}),
        ),
    )
    report = report_for(inst, factory_wave)
    section = report.section("markets")
    assert section.title == "Markets compared with the other blocks"
    paragraph = section.content[0]
    assert isinstance(paragraph, Paragraph)
    assert paragraph.text == (
        "Markets decide who can take part. The table compares each respondent's Markets "
        "score with their score on each other block."
    )
    (table,) = [t for t in report.tables() if t.id.endswith("-vs-blocks")]
    assert table.id == "markets-vs-blocks"
    assert table.caption == "Markets compared with each other block (paired differences)"
    assert len(table.rows) == len(inst.blocks) - 1
    assert all(row[0].text.startswith("Markets − ") for row in table.rows)
    # stated in the summary and in the section
    lags = [f for f in report.findings() if f.id.endswith("-lag")]
    assert len(lags) == 2
    assert lags[0] == lags[1]
    lag = lags[0]
    assert lag.id == "markets-lag"
    assert lag.sentence.startswith("Commissioning trails the rest: Markets, at ")
    assert lag.sentence.endswith("scores below each of the other five blocks.")


def test_focus_without_wording_uses_the_block_title(plain: Instrument, factory_wave):
    report = report_for(dataclasses.replace(plain, focus=Focus("citizens")), factory_wave)
    lag = next(f for f in report.findings() if f.id.endswith("-lag"))
    assert lag.id == "citizens-lag"
    assert lag.sentence.startswith("Citizens, at ")
    # the factory's block descriptions are empty: the paragraph is the comparison alone
    paragraph = report.section("citizens").content[0]
    assert isinstance(paragraph, Paragraph)
    assert paragraph.text.startswith("The table compares each respondent's Citizens score")
