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


# --- what the pdftoppm pages of a small and a large sample showed (docs/reporting.md) ---


@pytest.fixture(scope="module")
def laid_out(cri: Instrument):
    """A small draft laid out by WeasyPrint as the PDF is (its boxes, page by page)."""
    import weasyprint

    responses = generate_wave(respondents=40, seed=11, instrument=cri).responses
    report = national_report(
        responses=responses, instrument=cri, margins=None, draft=True, margins_sha256="9" * 64
    )
    html = render_html(report, for_print=True)
    return report, weasyprint.HTML(string=html, base_url=".").render()


def test_the_reproducibility_hashes_stay_inside_the_page(laid_out) -> None:
    from weasyprint.formatting_structure import boxes

    report, document = laid_out
    found = 0
    for page in document.pages:
        box = page._page_box
        right = box.content_box_x() + box.width
        for text in box.descendants():
            if isinstance(text, boxes.TextBox) and (
                report.stamp.data_sha256[:16] in text.text or "9" * 16 in text.text
            ):
                found += 1
                # they ran past the right margin (the cut-off the page images showed)
                assert text.position_x + text.width <= right
    assert found == 2


def test_each_blocks_suggested_steps_stay_on_one_page(laid_out) -> None:
    _report, document = laid_out
    pages: dict[str, set[int]] = {}
    for number, page in enumerate(document.pages):
        for box in page._page_box.descendants():
            element = getattr(box, "element", None)
            ident = element.get("id", "") if element is not None else ""
            if box.element_tag == "section" and ident.startswith("action-"):
                pages.setdefault(ident, set()).add(number)
    assert len(pages) == 6
    # "Places" heading and description at a page's foot, its steps on the next: no more
    assert {ident: len(on) for ident, on in pages.items()} == dict.fromkeys(pages, 1)


def test_a_notes_headings_sit_under_its_section(cri: Instrument) -> None:
    from collabready.reporting.appendices import markdown_note
    from collabready.reporting.model import RawHtml

    note = markdown_note("# What the roundtable said\n\n## Budgets\n\nText.\n\n###### Deep")
    (block,) = note.content
    assert isinstance(block, RawHtml)
    assert "<h3>What the roundtable said</h3>" in block.html
    assert "<h4>Budgets</h4>" in block.html
    assert "<h6>Deep</h6>" in block.html  # never past h6
    responses = generate_wave(respondents=12, seed=3, instrument=cri).responses
    html = render_html(
        national_report(
            responses=responses, instrument=cri, margins=None, draft=True, roundtable="# Note"
        )
    )
    assert html.count("<h1") == 1  # the report's title is its only h1
