"""Charts, rendering, the organisation profile and the sector briefing."""

from __future__ import annotations

import io
import re
from pathlib import Path

import numpy as np
import polars as pl
import pytest
from pypdf import PdfReader

from collabready.analysis.gate import RawEstimate, publish
from collabready.instrument import Instrument
from collabready.reporting.charts import OKABE_ITO, Point, estimate_chart
from collabready.reporting.model import CellStatus, fmt_number
from collabready.reporting.readiness import SubjectNotFoundError, organisation_readiness_report
from collabready.reporting.render import (
    OutputPathError,
    render_html,
    render_pdf,
    write_report,
)
from collabready.reporting.sector import SectorError, sector_briefing
from collabready.stats import (
    PAdjust,
    compare_domains,
    estimate_means,
)

from .conftest import Built, Engine
from .html_tables import parse


def test_chart_is_accessible_and_leaves_out_suppressed_rows():
    points = [
        Point("Citizens", publish(RawEstimate(50.0, 48.0, 52.0, 100), k=5), "Commitment"),
        Point("Citizens", publish(RawEstimate(45.0, 43.0, 47.0, 100), k=5), "Capacity"),
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
    assert [c.status for c in markets[2:]] == [CellStatus.SUPPRESSED_PRIMARY] * 4
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


def snapshot_median(responses: pl.DataFrame, cri: Instrument, sector: str, step: int) -> float:
    """The peer snapshot's median index, worked out row by row from the rule
    (docs/statistics.md): organisations in order of their first row, the first
    step x floor(N / step) of them, with the rows up to the last one's first row."""
    from collabready.scoring import score

    rows = responses.with_row_index("row").filter(pl.col("sector") == sector)
    first = rows.group_by("organisation_id").agg(pl.col("row").min()).sort("row")
    m = step * (first.height // step)
    cut = first["row"][m - 1]
    taken = rows.filter(pl.col("row") <= cut)
    orgs = score(taken.drop("row"), cri, per="organisation")
    index = orgs.get_column("index").drop_nulls().to_numpy()
    return float(np.median(index))


def test_organisation_profile(cri: Instrument, wave):
    responses, _ = wave
    org = int(responses["organisation_id"][0])
    report = organisation_readiness_report(responses=responses, instrument=cri, organisation_id=org)
    html = render_html(report)
    for sid in ("overview", "blocks", "peers", "actions", "reproducibility"):
        assert f'id="{sid}"' in html
    sector = str(responses.filter(pl.col("organisation_id") == org)["sector"][0])
    tables, _ = parse(html)
    peers = tables["peers-table"]
    median = snapshot_median(responses, cri, sector, step=5)
    assert peers.cell("Sector median", "Figure").text == f"{5 * np.floor(median / 5 + 0.5):.0f}"
    share = peers.cell("Share of the sector with a lower index", "Figure").text
    assert share.endswith("%")
    assert int(share[:-1]) % 10 == 0
    # no unrounded peer figure and no interval anywhere in the profile
    assert "Sector average" not in html
    assert "95% CI" not in html
    with pytest.raises(SubjectNotFoundError, match="respondent_id 123456789"):
        organisation_readiness_report(responses=responses, instrument=cri, respondent_id=123456789)


def test_profile_hides_peers_below_the_minimum(cri: Instrument, wave):
    responses, _ = wave
    third = responses.filter(pl.col("sector") == "third")
    orgs = third["organisation_id"].unique(maintain_order=True).head(9)
    small = pl.concat(
        [
            third.filter(pl.col("organisation_id").is_in(orgs.implode())),
            responses.filter(pl.col("sector") == "public").head(50),
        ]
    )
    rid = int(small["respondent_id"][0])
    report = organisation_readiness_report(responses=small, instrument=cri, respondent_id=rid, k=5)
    assert not any(t.id == "peers-table" for t in report.tables())
    assert "once at least 10 organisations" in render_html(report)


def test_profile_peers_ignore_rows_without_an_organisation(cri: Instrument, wave):
    """Rows with no organisation (the open link) never fill a peer group."""
    responses, _ = wave
    third = responses.filter(pl.col("sector") == "third")
    orgs = third["organisation_id"].unique(maintain_order=True).head(9)
    real = third.filter(pl.col("organisation_id").is_in(orgs.implode()))
    fake = third.filter(~pl.col("organisation_id").is_in(orgs.implode())).head(30)
    fake = fake.with_columns(pl.lit(None, dtype=pl.Int64).alias("organisation_id"))
    data = pl.concat([real, fake])
    rid = int(real["respondent_id"][0])
    report = organisation_readiness_report(responses=data, instrument=cri, respondent_id=rid, k=5)
    assert not any(t.id == "peers-table" for t in report.tables())


def test_sector_briefing(cri: Instrument, wave, engine: Engine):
    responses, margins = wave
    report = sector_briefing(responses=responses, instrument=cri, margins=margins, sector="public")
    html = render_html(report)
    pdf = render_pdf(report)
    text = " ".join(
        " ".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages).split()
    )
    assert "public sector against all other sectors" in text
    assert any(f.id == "sector-gap between commitment and capacity" for f in report.findings())
    # block differences: compare_domains, public against the rest, Holm over the six blocks
    group = np.where(engine.profile("sector") == "public", "public", "others")
    cmp = compare_domains(
        design=engine.design,
        variables={b: engine.col(b) for b in cri.block_ids},
        by={"group": group},
        pairs=[("public", "others")],
        adjust=PAdjust.HOLM,
    )
    table = parse(html)[0]["sector-block-differences"]
    for i, b in enumerate(cri.blocks):
        row = f"{b.title.get()} − all other sectors"
        assert table.cell(row, "Difference").value == pytest.approx(cmp.difference[i], rel=1e-9)
        assert table.cell(row, "95% CI").ci == pytest.approx(
            (cmp.ci_low[i], cmp.ci_high[i]), rel=1e-9
        )
        assert table.cell(row, "p (Holm)").value == pytest.approx(
            cmp.p_adjusted[i], rel=1e-6, abs=1e-300
        )
        lo, hi = fmt_number(cmp.ci_low[i]), fmt_number(cmp.ci_high[i])
        assert f"{lo} to {hi}" in text
    with pytest.raises(SectorError, match="choose one of public, private, third"):
        sector_briefing(responses=responses, instrument=cri, margins=margins, sector="pub")


def test_sector_briefing_subsectors_are_domains(cri: Instrument, wave, engine: Engine):
    """Within the sector, sub-sector figures are domains of the whole design."""
    responses, margins = wave
    report = sector_briefing(responses=responses, instrument=cri, margins=margins, sector="public")
    table = parse(render_html(report))[0]["sector-by-subsector"]
    sub = np.where(engine.profile("sector") == "public", engine.profile("subsector"), None)
    res = estimate_means(
        design=engine.design, variables={"index": engine.col("index")}, by={"s": sub}, overall=False
    )
    assert len(table.rows) == len(res.domain)
    for i, level in enumerate(res.domain):
        lab = cri.profile_question("subsector").choice_by_value(level).label.get()
        cell = table.cell(lab, "Index")
        assert cell.value == pytest.approx(res.estimate[i], rel=1e-9)
        assert cell.ci == pytest.approx((res.ci_low[i], res.ci_high[i]), rel=1e-9)


def score_index(responses: pl.DataFrame, cri: Instrument) -> np.ndarray:
    from collabready.scoring import score

    return score(responses, cri).get_column("index").to_numpy().astype(np.float64)
