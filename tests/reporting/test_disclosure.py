"""No aggregate resting on fewer than k respondents appears anywhere in the report."""

from __future__ import annotations

import io
import re

import numpy as np
import polars as pl
import pytest
from pypdf import PdfReader

from collabready.instrument import Instrument
from collabready.reporting.model import fmt_number
from collabready.reporting.national import national_report
from collabready.reporting.render import render_html, render_pdf
from collabready.stats import estimate_means

from .conftest import engine_for
from .html_tables import parse

DIGIT = re.compile(r"\d")


def tiny_transport(responses: pl.DataFrame, n: int) -> pl.DataFrame:
    """Only ``n`` respondents in the transport sub-sector (all public sector)."""
    moved = pl.when(pl.col("subsector") == "transport").then(pl.lit("local_government"))
    out = responses.with_columns(moved.otherwise(pl.col("subsector")).alias("subsector"))
    public = np.flatnonzero(out.get_column("sector").to_numpy() == "public")[:n]
    is_tiny = pl.int_range(pl.len()).is_in(public.tolist())
    return out.with_columns(
        pl.when(is_tiny).then(pl.lit("transport")).otherwise(pl.col("subsector")).alias("subsector")
    )


@pytest.fixture(scope="module")
def tiny(cri: Instrument, wave, tmp_path_factory: pytest.TempPathFactory):
    responses, margins = wave
    data = tiny_transport(responses, 3)
    assert "local_government" in set(responses.get_column("subsector"))
    report = national_report(responses=data, instrument=cri, margins=margins, k=5)
    html = render_html(report)
    pdf = PdfReader(io.BytesIO(render_pdf(report)))
    text = " ".join(" ".join(p.extract_text() for p in pdf.pages).split())
    engine = engine_for(data, margins, cri, tmp_path_factory.mktemp("tiny"))
    return data, report, html, text, engine


def test_a_group_below_k_is_suppressed_in_every_table(tiny):
    _, _, html, _, _ = tiny
    tables, _ = parse(html)
    seen = []
    for t in tables.values():
        for row in t.rows:
            if row[0].text != "Transport":
                continue
            seen.append(t.id)
            for head, cell in zip(t.columns[1:], row[1:], strict=True):
                assert cell.text == "[c]", (t.id, head, cell.text)
                assert cell.status == "suppressed_primary", (t.id, head)
                assert cell.value is None
                assert not DIGIT.search(cell.text)
    # the breakdown table beside the chart and the sample profile both list it
    assert {"table-by-subsector", "profile-subsector"} <= set(seen)
    # one more level goes too, so that the three cannot be worked out from the total
    for tid in ("table-by-subsector", "profile-subsector"):
        statuses = [r[1].status for r in tables[tid].rows]
        assert statuses.count("suppressed_secondary") == 1, tid
        assert all(
            r[1].text == "[c]" for r in tables[tid].rows if r[1].status == "suppressed_secondary"
        )


def test_the_groups_figures_appear_nowhere(tiny):
    _data, report, html, text, engine = tiny
    res = estimate_means(
        design=engine.design,
        variables={c: engine.col(c) for c in ("index", "commitment", "capacity", "gap")},
        by={"subsector": engine.profile("subsector")},
        overall=False,
    )
    for c in ("index", "commitment", "capacity", "gap"):
        i = res.index(c, "subsector", "transport")
        assert res.n[i] == 3
        for figure in (
            repr(float(res.estimate[i])),
            repr(float(res.ci_low[i])),
            f"{fmt_number(res.ci_low[i])} to {fmt_number(res.ci_high[i])}",
            f"{fmt_number(res.estimate[i])} (95% CI",
        ):
            assert figure not in html, (c, figure)
            assert figure not in text, (c, figure)
    # the chart of the index by sub-sector leaves the row out
    chart = next(
        c for s in report.walk() for c in s.content if getattr(c, "id", "") == "index-by-subsector"
    )
    assert "Transport" not in str(chart.spec)
    assert "Transport" not in chart.svg
    assert "suppressed" in chart.alt_text
    assert "[c]" in text


def test_no_shown_count_is_below_k(tiny):
    _, _, html, _, _ = tiny
    tables, _ = parse(html)
    checked = 0
    for t in tables.values():
        for col in ("Respondents", "Responded"):
            if col not in t.columns:
                continue
            j = t.columns.index(col)
            for row in t.rows:
                cell = row[j]
                if cell.text != "[c]":
                    assert int(cell.text.replace(",", "")) >= 5, (t.id, row[0].text)
                    checked += 1
    assert checked > 50


@pytest.mark.parametrize(("k", "suppressed"), [(5, False), (8, True)])
def test_k_is_configurable(cri: Instrument, wave, k: int, suppressed: bool):
    responses, margins = wave
    data = tiny_transport(responses, 7)
    report = national_report(responses=data, instrument=cri, margins=margins, k=k)
    html = render_html(report)
    tables, _ = parse(html)
    row = tables["table-by-subsector"].row("Transport")
    assert (row[1].text == "[c]") is suppressed
    assert (row[-1].text == "7") is not suppressed
    assert f"fewer than {k} respondents" in html
