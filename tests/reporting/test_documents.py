"""Charts, rendering, the organisation profile and the sector briefing."""

from __future__ import annotations

import io
import re
from pathlib import Path

import numpy as np
import polars as pl
import pytest
from pypdf import PdfReader

from collabready.instrument import Instrument
from collabready.reporting import engine
from collabready.reporting.analysis import prepare
from collabready.reporting.charts import OKABE_ITO, Point, estimate_chart
from collabready.reporting.model import CellStatus, Estimate, fmt_number
from collabready.reporting.profile import SubjectNotFoundError, organisation_profile
from collabready.reporting.render import (
    OutputPathError,
    render_html,
    render_pdf,
    write_report,
)
from collabready.reporting.sector import SectorError, sector_briefing

from .conftest import Built


def test_chart_is_accessible_and_leaves_out_suppressed_rows():
    points = [
        Point("Citizens", Estimate(50.0, 48.0, 52.0, 100), "Commitment"),
        Point("Citizens", Estimate(45.0, 43.0, 47.0, 100), "Capacity"),
        Point("Markets", None, "Capacity"),
    ]
    chart = estimate_chart(chart_id="c", title="A chart", points=points, series_title="M", k=5)
    assert chart.svg.lstrip().startswith("<svg")
    assert "Markets" not in str(chart.spec["datasets"])
    assert "A chart" in chart.alt_text
    assert "suppressed" in chart.alt_text
    colours = str(chart.spec)
    assert OKABE_ITO[0] in colours
    assert OKABE_ITO[1] in colours
    markets = chart.table.rows[-1]
    assert [c.status for c in markets[2:]] == [CellStatus.SUPPRESSED] * 4
    # error bars: a rule from the CI's low to its high end
    assert '"x2"' in str(chart.spec).replace("'", '"')


def test_pdf_is_tagged_a4_with_page_numbers_and_toc(built: Built):
    reader = PdfReader(io.BytesIO(built.pdf))
    root = reader.trailer["/Root"]
    assert "/StructTreeRoot" in root
    assert root["/MarkInfo"]["/Marked"]
    assert root.get("/Lang") == "en"
    width, height = (float(x) for x in reader.pages[0].mediabox[2:])
    assert (round(width / 72 * 25.4), round(height / 72 * 25.4)) == (210, 297)
    assert reader.metadata is not None
    assert reader.metadata.title.startswith("The State of Collaboration")
    n = len(reader.pages)
    assert f"Page 3 of {n}" in reader.pages[2].extract_text()
    # the contents list carries page numbers: "Methodology ..... 3"
    contents = reader.pages[0].extract_text() + reader.pages[1].extract_text()
    assert re.search(r"Methodology[ .]*\d+", contents)


def test_html_embeds_specs_only_with_local_assets(built: Built):
    plain = built.html
    assert "<script" not in plain
    interactive = render_html(built.report, assets_url="/static/vendor/vega/")
    assert not re.search(r'(src|href)="(https?:)?//', interactive)  # never a CDN
    assert '<script src="/static/vendor/vega/vega-embed.min.js"></script>' in interactive
    assert 'type="application/json" id="spec-blocks"' in interactive


def test_write_report_is_all_or_nothing(built: Built, tmp_path: Path):
    with pytest.raises(OutputPathError):
        write_report(built.report, tmp_path / "report.docx")
    assert list(tmp_path.iterdir()) == []
    out = tmp_path / "r.html"
    write_report(built.report, out)
    assert [p.name for p in tmp_path.iterdir()] == ["r.html"]


def test_organisation_profile(cri: Instrument, wave):
    responses, _ = wave
    org = int(responses["organisation_id"][0])
    report = organisation_profile(responses=responses, instrument=cri, organisation_id=org)
    html = render_html(report)
    for sid in ("overview", "blocks", "peers", "actions", "reproducibility"):
        assert f'id="{sid}"' in html
    table = next(t for t in report.tables() if t.id == "peers-table")
    # the sector average equals the engine's unweighted mean over the other respondents
    data = prepare(responses, cri)
    own = data.organisation_id == org
    sector = data.profile["sector"][np.flatnonzero(own)[0]]
    peer = (data.profile["sector"] == sector) & ~own
    design = engine.Design.of(np.ones(int(peer.sum())), data.organisation_id[peer])
    res = engine.domain_means(y=data.scores.column("index")[peer].astype(float), design=design)
    assert table.rows[0][2].text == fmt_number(res.estimate[0])
    with pytest.raises(SubjectNotFoundError, match="respondent_id 123456789"):
        organisation_profile(responses=responses, instrument=cri, respondent_id=123456789)


def test_profile_suppresses_peers_below_k(cri: Instrument, wave):
    responses, _ = wave
    small = responses.filter(pl.col("sector") == "third").head(3)
    small = pl.concat([small, responses.filter(pl.col("sector") == "public").head(50)])
    rid = int(small["respondent_id"][0])
    report = organisation_profile(responses=small, instrument=cri, respondent_id=rid, k=5)
    assert not any(t.id == "peers-table" for t in report.tables())
    assert "fewer than 5 other respondents" in render_html(report)


def test_sector_briefing(cri: Instrument, wave):
    responses, margins = wave
    report = sector_briefing(responses=responses, instrument=cri, margins=margins, sector="public")
    pdf = render_pdf(report)
    text = " ".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)
    assert "public sector against all other sectors" in text
    assert any(f.id == "sector-gap between commitment and capacity" for f in report.findings())
    with pytest.raises(SectorError, match="choose one of public, private, third"):
        sector_briefing(responses=responses, instrument=cri, margins=margins, sector="pub")
