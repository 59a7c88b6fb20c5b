"""What the rendered pages showed wrong: cut-off chart labels, empty axes at small
numbers, and withheld figures without a reason."""

from __future__ import annotations

import pytest

from collabready.instrument import Instrument
from collabready.reporting.charts import Point, estimate_chart, wrap_label
from collabready.reporting.model import CellStatus, Chart
from collabready.reporting.national import national_report
from collabready.reporting.render import render_html
from collabready.synth import generate_wave

THIRD = "Third sector (voluntary, community or social enterprise)"


def test_long_labels_wrap_onto_lines_instead_of_being_cut(built) -> None:
    assert wrap_label(THIRD) == ["Third sector (voluntary,", "community or social", "enterprise)"]
    assert wrap_label("Public sector") == ["Public sector"]
    chart = next(
        c
        for s in built.report.walk()
        for c in s.content
        if isinstance(c, Chart) and c.id == "index-by-sector"
    )
    # every line of the label is drawn as a line of its own; nothing is elided with "…"
    for line in wrap_label(THIRD):
        assert f">{line}</tspan>" in chart.svg
    assert "…" not in chart.svg


@pytest.fixture(scope="module")
def tiny(cri: Instrument):
    """Twelve respondents: every breakdown is withheld at k = 5."""
    responses = generate_wave(respondents=12, seed=3, instrument=cri).responses
    return national_report(responses=responses, instrument=cri, margins=None, draft=True)


def test_a_chart_with_nothing_to_plot_says_why(tiny) -> None:
    charts = {c.id: c for s in tiny.walk() for c in s.content if isinstance(c, Chart)}
    empty = charts["gap-by-sector"]
    why = "every figure rests on fewer than 5 respondents"
    assert why in empty.alt_text
    assert "Nothing to show" in empty.svg
    assert "fewer than 5" in empty.svg
    assert 'aria-roledescription="axis"' not in empty.svg  # no empty axis
    assert "Score" not in empty.svg  # no axis drawn
    # a chart with figures still has its axis
    assert "Score (0–100)" in charts["blocks"].svg


def test_no_responses_at_all_says_so() -> None:
    chart = estimate_chart(chart_id="x", title="Nothing yet", points=[], k=5)
    assert chart.alt_text == "Nothing yet: There are no responses to show yet."


def test_every_withheld_row_is_named_with_its_reason(tiny, built) -> None:
    seen = set()
    for report in (tiny, built.report):
        for table in report.tables():
            notes = " ".join(table.withheld_notes)
            for row in table.rows:
                statuses = {c.status for c in row if c.suppressed}
                if not statuses:
                    continue
                reason = "fewer than" if CellStatus.SUPPRESSED_PRIMARY in statuses else "worked out"
                seen.add(reason)
                match = [n for n in table.withheld_notes if reason in n.split(":")[0]]
                assert match, (table.id, row[0].text)
                assert row[0].text in match[0], (table.id, row[0].text, notes)
    assert seen == {"fewer than", "worked out"}  # both reasons occur in these reports
    html = render_html(tiny)
    assert "withheld because fewer than 5 respondents are behind the figures" in html
    assert 'title="withheld so that another figure cannot be worked out"' in html


def test_a_chart_names_what_it_leaves_out(built) -> None:
    point = Point(label="Markets", estimate=None, status=CellStatus.SUPPRESSED_SECONDARY)
    shown = next(c for s in built.report.walk() for c in s.content if isinstance(c, Chart))
    assert shown.note == "" or shown.note.startswith("Not shown:")
    chart = estimate_chart(
        chart_id="y", title="Two", points=[point, Point(label="Other", estimate=None)], k=5
    )
    assert "Nothing to show" in chart.alt_text
    assert "or is withheld so that such a figure cannot be worked out" in chart.alt_text
