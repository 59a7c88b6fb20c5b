"""The national report: every section, figures equal to the engine's, disclosure."""

from __future__ import annotations

import re

import numpy as np
import polars as pl
import pytest

from collabready.instrument import Instrument
from collabready.reporting import engine
from collabready.reporting.analysis import prepare, weight
from collabready.reporting.model import CellStatus, fmt_number
from collabready.reporting.national import national_report
from collabready.reporting.render import render_html

from .conftest import Built

SECTIONS = {
    "summary": "Executive summary",
    "methodology": "Methodology",
    "index": "The index",
    "by-sector": "By sector",
    "by-subsector": "By sub-sector",
    "by-role": "By role",
    "by-size": "By organisation size",
    "by-region": "By region or nation",
    "gap": "Commitment, capacity and the gap",
    "environment": "Enablers and the operating environment",
    "citizens": "Citizens compared with the other blocks",
    "value": "Assessing the value of the index",
    "taking-action": "Taking action to improve readiness",
    "sample-profile": "The survey sample",
    "questionnaire": "The questionnaire",
    "roundtable": "Roundtable note",
    "reproducibility": "Reproducibility",
}


def test_every_section_is_present_in_html_and_pdf(built: Built):
    text = built.pdf_text
    for sid, title in SECTIONS.items():
        assert f'id="{sid}"' in built.html, sid
        assert title in text, title
    assert "Contents" in text


def _engine_estimates(cri: Instrument, responses: pl.DataFrame, margins: pl.DataFrame):
    data = prepare(responses, cri)
    w, _ = weight(data, margins)
    assert w is not None
    design = engine.Design.of(w.weights, data.organisation_id)
    return data, design


def _ci_text(est: float, low: float, high: float) -> str:
    return f"{fmt_number(est)} (95% CI {fmt_number(low)} to {fmt_number(high)})"


def test_headline_figures_equal_the_engine(built: Built, cri: Instrument):
    data, design = _engine_estimates(cri, built.responses, built.margins)
    res = engine.domain_means(y=data.scores.column("index").astype(float), design=design)
    expected = _ci_text(res.estimate[0], res.low[0], res.high[0])
    assert f"stands at {expected}" in built.html
    assert expected in " ".join(built.pdf_text.split())


def test_sector_table_equals_the_engine(built: Built, cri: Instrument):
    data, design = _engine_estimates(cri, built.responses, built.margins)
    sector = data.profile["sector"]
    levels = ["public", "private", "third"]
    codes = np.array([levels.index(s) for s in sector])
    res = engine.domain_means(
        y=data.scores.column("index").astype(float), design=design, domain=codes, n_domains=3
    )
    table = re.search(r'<table id="table-by-sector">(.*?)</table>', built.html, re.S)
    assert table is not None
    rows = re.findall(r"<tr>(.*?)</tr>", table.group(1), re.S)[1:]
    pdf = " ".join(built.pdf_text.split())
    for d, row in enumerate(rows):
        first = re.search(r'data-value="([^"]+)">([^<]+)<span class="ci">([^<]+)</span>', row)
        assert first is not None
        assert float(first.group(1)) == pytest.approx(res.estimate[d], rel=1e-12)
        assert first.group(2) == fmt_number(res.estimate[d])
        assert first.group(3) == f"{fmt_number(res.low[d])} to {fmt_number(res.high[d])}"
        assert f"{fmt_number(res.low[d])} to {fmt_number(res.high[d])}" in pdf


def test_supported_findings_are_printed(built: Built):
    printed = {f.id for f in built.report.findings() if f.supported}
    # the synthetic wave is built so that these hold
    assert {"index", "gap", "lowest-block", "widest-gap", "citizens-lag"} <= printed
    assert "Citizens is the lowest-scoring" in built.html
    assert "public sector shows the widest gap" in built.html


def test_an_unsupported_finding_is_absent(cri: Instrument, wave):
    responses, margins = wave
    # Citizens answers copied from Behaviours: Citizens is no longer significantly lowest
    citizens_ids = [i.id for i in cri.block("citizens").items]
    behaviours_ids = [i.id for i in cri.block("behaviours").items]
    swapped = responses.with_columns(
        [pl.col(b).alias(c) for c, b in zip(citizens_ids, behaviours_ids, strict=True)]
    )
    report = national_report(responses=swapped, instrument=cri, margins=margins)
    html = render_html(report)
    lowest = next(f for f in report.findings() if f.id == "lowest-block")
    citizens = next(f for f in report.findings() if f.id == "citizens-lag")
    assert not citizens.supported
    assert "Engaging citizens lags behind" not in html
    assert "Citizens is the lowest-scoring" not in html
    if not lowest.supported:
        assert lowest.sentence not in html


def _tiny_transport(responses: pl.DataFrame, n: int) -> pl.DataFrame:
    """Only ``n`` respondents in the transport sub-sector."""
    moved = pl.when(pl.col("subsector") == "transport").then(pl.lit("other"))
    out = responses.with_columns(moved.otherwise(pl.col("subsector")).alias("subsector"))
    idx = pl.int_range(pl.len())
    return out.with_columns(
        pl.when(idx < n).then(pl.lit("transport")).otherwise(pl.col("subsector")).alias("subsector")
    )


def test_no_aggregate_rests_on_fewer_than_k(cri: Instrument, wave):
    responses, margins = wave
    tiny = _tiny_transport(responses, 3)
    report = national_report(responses=tiny, instrument=cri, margins=margins, k=5)
    html = render_html(report)
    table = next(t for t in report.tables() if t.id == "table-by-subsector")
    transport = next(r for r in table.rows if r[0].text == "Transport")
    assert all(c.status is CellStatus.SUPPRESSED for c in transport[1:])
    assert all(c.text == "[c]" and c.value is None for c in transport[1:])
    # one primary suppression would be recoverable from the total: a second row goes too
    secondary = [r for r in table.rows if r[1].status is CellStatus.SECONDARY]
    assert len(secondary) == 1
    # the chart leaves the row out
    chart_data = str(
        next(
            c
            for s in report.walk()
            for c in s.content
            if getattr(c, "id", "") == "index-by-subsector"
        ).spec
    )
    assert "Transport" not in chart_data
    # the engine's estimate for those three people appears nowhere
    data = prepare(tiny, cri)
    w, _ = weight(data, margins)
    assert w is not None
    design = engine.Design.of(w.weights, data.organisation_id)
    mask = (data.profile["subsector"] == "transport").astype(np.int64)
    res = engine.domain_means(
        y=data.scores.column("index").astype(float), design=design, domain=mask, n_domains=2
    )
    ci = f"{fmt_number(res.low[1])} to {fmt_number(res.high[1])}"
    assert ci not in html
    # and no shown count anywhere is below k
    for t in report.tables():
        if "Respondents" not in t.columns:
            continue
        j = t.columns.index("Respondents")
        for row in t.rows:
            cell = row[j]
            if cell.status is CellStatus.SHOWN:
                assert cell.value is not None
                assert cell.value >= 5, (t.id, row[0].text)


def test_roundtable_note_is_escaped(built: Built):
    assert "<script>alert(1)</script>" not in built.html
    assert "&lt;script&gt;" in built.html
    assert "What we agreed" in built.pdf_text


def test_reproducibility_stamp(built: Built):
    stamp = built.report.stamp
    assert re.fullmatch(r"[0-9a-f]{64}", stamp.data_sha256)
    assert stamp.instrument_key in built.pdf_text
    assert stamp.data_sha256 in built.html
    assert "2026-03-01T12:00:00+00:00" in built.html
    assert ("sector", "public", 620002.0) in stamp.margins or stamp.margins
