"""Every figure in the national report equals the statistics engine's result.

The expected values are computed here by calling :mod:`collabready.stats`
directly on the same responses and margins file (see ``conftest.Engine``),
never through :mod:`collabready.reporting`. The report carries each figure at
full precision in ``data-value`` / ``data-ci`` attributes, so a change of
method (weights treated as fixed, organisations not treated as clusters, z
instead of t, another adjustment) changes them even when the one-decimal
text does not; the printed text is checked too, in the HTML and in the PDF.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats as sps

from collabready.instrument import Instrument
from collabready.instrument.model import MISSING
from collabready.reporting.model import fmt_number
from collabready.scoring import matrix_from_columns
from collabready.stats import (
    CorrelationMethod,
    PAdjust,
    adjust_p_values,
    compare_domains,
    design_regression,
    estimate_means,
    instrument_reliability,
    paired_difference,
    survey_design,
    weight_diagnostics,
    weighted_correlation,
)

from .conftest import Built, Engine

GROUPS = ("sector", "subsector", "role", "size", "region")
REL = 1e-9


def ci_text(low: float, high: float, digits: int = 1) -> str:
    return f"{fmt_number(low, digits=digits)} to {fmt_number(high, digits=digits)}"


def label(cri: Instrument, variable: str, level: str) -> str:
    return cri.profile_question(variable).choice_by_value(level).label.get()


def p_value(p: float) -> str:
    return "<0.001" if p < 0.001 else f"{p:.3f}"


def t_p(est: float, se: float, df: float) -> float:
    return float(2 * sps.t.sf(abs(est / se), df))


def test_overall_table_equals_estimate_means(built: Built, engine: Engine):
    cols = ("index", "commitment", "capacity", "gap")
    res = estimate_means(design=engine.design, variables={c: engine.col(c) for c in cols})
    table = built.tables["index-overall"]
    for c, row_label in zip(cols, ("Index", "Commitment", "Capacity", "Gap"), strict=True):
        i = res.index(c)
        est, ci, n = (table.cell(row_label, h) for h in ("Estimate", "95% CI", "Respondents"))
        assert est.value == pytest.approx(res.estimate[i], rel=REL)
        assert est.text == fmt_number(res.estimate[i])
        assert ci.ci == pytest.approx((res.ci_low[i], res.ci_high[i]), rel=REL)
        assert ci.text == ci_text(res.ci_low[i], res.ci_high[i])
        assert n.text == f"{int(res.n[i]):,}"


def test_headline_finding_equals_estimate_means(built: Built, engine: Engine):
    res = estimate_means(design=engine.design, variables={"index": engine.col("index")})
    f = built.findings["index"]
    assert f.value == pytest.approx(res.estimate[0], rel=REL)
    assert f.ci == pytest.approx((res.ci_low[0], res.ci_high[0]), rel=REL)
    expected = (
        f"stands at {fmt_number(res.estimate[0])} (95% CI {ci_text(res.ci_low[0], res.ci_high[0])})"
    )
    assert expected in f.text
    assert expected in built.pdf_flat
    # the number of leaders is the estimate's own n (respondents with an index),
    # not everyone in the data
    n_index = int(res.n[0])
    assert n_index == int(np.isfinite(engine.col("index")).sum())
    assert n_index < built.responses.height
    assert f"from {n_index:,} senior leaders" in f.text
    assert f"from {built.responses.height:,} senior leaders" not in f.text


@pytest.mark.parametrize("variable", GROUPS)
def test_breakdown_tables_equal_domain_estimates(
    built: Built, engine: Engine, cri: Instrument, variable: str
):
    cols = ("index", "commitment", "capacity", "gap")
    values = engine.profile(variable)
    res = estimate_means(
        design=engine.design,
        variables={c: engine.col(c) for c in cols},
        by={variable: values},
        overall=False,
    )
    table = built.tables[f"table-by-{variable}"]
    levels = sorted(set(values))
    assert len(table.rows) == len(levels)
    for level in levels:
        row_label = label(cri, variable, level)
        for c, head in zip(cols, ("Index", "Commitment", "Capacity", "Gap"), strict=True):
            i = res.index(c, variable, level)
            cell = table.cell(row_label, head)
            assert cell.value == pytest.approx(res.estimate[i], rel=REL), (level, c)
            assert cell.ci == pytest.approx((res.ci_low[i], res.ci_high[i]), rel=REL), (level, c)
            assert cell.text == fmt_number(res.estimate[i])
            assert cell.ci_text == ci_text(res.ci_low[i], res.ci_high[i])
            if variable == "sector":
                assert ci_text(res.ci_low[i], res.ci_high[i]) in built.pdf_flat
        n = int(np.sum(values == level))
        assert table.cell(row_label, "Respondents").text == f"{n:,}"


def test_blocks_by_sector_equal_domain_estimates(built: Built, engine: Engine, cri: Instrument):
    blocks = cri.block_ids
    res = estimate_means(
        design=engine.design,
        variables={b: engine.col(b) for b in blocks},
        by={"sector": engine.profile("sector")},
        overall=False,
    )
    table = built.tables["blocks-by-sector"]
    for sector in ("public", "private", "third"):
        for b in cri.blocks:
            i = res.index(b.id, "sector", sector)
            cell = table.cell(label(cri, "sector", sector), b.title.get())
            assert cell.value == pytest.approx(res.estimate[i], rel=REL)
            assert cell.ci == pytest.approx((res.ci_low[i], res.ci_high[i]), rel=REL)


def test_the_intervals_are_calibration_aware_and_clustered(built: Built, engine: Engine):
    """The same weights treated as fixed, or without clusters, give other intervals."""
    y = {"index": engine.col("index")}
    by = {"sector": engine.profile("sector")}
    report = built.tables["table-by-sector"].cell("Public sector", "Index")
    right = estimate_means(design=engine.design, variables=y, by=by, overall=False)
    i = right.index("index", "sector", "public")
    assert report.ci == pytest.approx((right.ci_low[i], right.ci_high[i]), rel=REL)
    clusters = engine.responses.get_column("organisation_id").to_numpy()
    for wrong_design in (
        survey_design(weights=engine.raking.weights, clusters=clusters),
        survey_design(weights=engine.raking.weights, calibration=engine.raking.calibration),
    ):
        wrong = estimate_means(design=wrong_design, variables=y, by=by, overall=False)
        assert report.ci is not None
        assert abs(report.ci[1] - wrong.ci_high[i]) > 1e-6


def test_block_gaps_are_paired_differences_holm_adjusted(
    built: Built, engine: Engine, cri: Instrument
):
    diffs = [
        paired_difference(
            design=engine.design,
            first=engine.col(f"{b}_commitment"),
            second=engine.col(f"{b}_capacity"),
        )
        for b in cri.block_ids
    ]
    p = [t_p(d.estimate[0], d.se[0], d.df[0]) for d in diffs]
    holm = adjust_p_values(p, method=PAdjust.HOLM)
    table = built.tables["block-gaps"]
    for b, d, p_raw, p_holm in zip(cri.blocks, diffs, p, holm, strict=True):
        row = b.title.get()
        assert table.cell(row, "Difference").value == pytest.approx(d.estimate[0], rel=REL)
        assert table.cell(row, "95% CI").ci == pytest.approx((d.ci_low[0], d.ci_high[0]), rel=REL)
        assert table.cell(row, "p").value == pytest.approx(p_raw, rel=1e-6, abs=1e-300)
        assert table.cell(row, "p (Holm)").value == pytest.approx(p_holm, rel=1e-6, abs=1e-300)
        assert table.cell(row, "Respondents").text == f"{int(d.n[0]):,}"
    # the overall gap finding: commitment minus capacity, paired within respondents
    gap = paired_difference(
        design=engine.design, first=engine.col("commitment"), second=engine.col("capacity")
    )
    f = built.findings["gap"]
    assert f.value == pytest.approx(gap.estimate[0], rel=REL)
    assert f.ci == pytest.approx((gap.ci_low[0], gap.ci_high[0]), rel=REL)
    expected = (
        f"by {fmt_number(gap.estimate[0])} (95% CI {ci_text(gap.ci_low[0], gap.ci_high[0])}) "
        "points on average"
    )
    assert expected in built.pdf_flat


def test_citizens_comparisons_are_paired_and_holm_adjusted(
    built: Built, engine: Engine, cri: Instrument
):
    others = [b for b in cri.blocks if b.id != "citizens"]
    diffs = [
        paired_difference(
            design=engine.design, first=engine.col("citizens"), second=engine.col(b.id)
        )
        for b in others
    ]
    p = [t_p(d.estimate[0], d.se[0], d.df[0]) for d in diffs]
    holm = adjust_p_values(p, method=PAdjust.HOLM)
    table = built.tables["citizens-vs-blocks"]
    for b, d, p_holm in zip(others, diffs, holm, strict=True):
        row = f"Citizens − {b.title.get()}"
        assert table.cell(row, "Difference").value == pytest.approx(d.estimate[0], rel=REL)
        assert table.cell(row, "95% CI").ci == pytest.approx((d.ci_low[0], d.ci_high[0]), rel=REL)
        assert table.cell(row, "p (Holm)").text == p_value(p_holm)
        assert ci_text(d.ci_low[0], d.ci_high[0]) in built.pdf_flat


def test_widest_gap_evidence_is_compare_domains(built: Built, engine: Engine):
    sector = engine.profile("sector")
    gap = {"gap": engine.col("gap")}
    means = estimate_means(
        design=engine.design, variables=gap, by={"sector": sector}, overall=False
    )
    ranked = sorted(
        ("public", "private", "third"),
        key=lambda s: -means.estimate[means.index("gap", "sector", s)],
    )
    cmp = compare_domains(
        design=engine.design,
        variables=gap,
        by={"sector": sector},
        pairs=[(ranked[0], ranked[1]), (ranked[0], ranked[2])],
        adjust=PAdjust.HOLM,
    )
    f = built.findings["widest-gap"]
    i = means.index("gap", "sector", ranked[0])
    assert f.value == pytest.approx(means.estimate[i], rel=REL)
    assert f.ci == pytest.approx((means.ci_low[i], means.ci_high[i]), rel=REL)
    evidence = (
        f"difference in gap {fmt_number(cmp.difference[0])} (95% CI "
        f"{ci_text(cmp.ci_low[0], cmp.ci_high[0])})"
    )
    assert evidence in f.text
    assert evidence in built.pdf_flat


def test_methodology_weighting_diagnostics(built: Built, engine: Engine):
    d = weight_diagnostics(engine.raking.weights)
    html = built.html
    assert (
        f"<dt>Design effect from weighting (Kish)</dt><dd>{fmt_number(d.kish_deff, digits=2)}</dd>"
        in html
    )
    assert f"{d.effective_n:,.0f} of {d.n:,}" in html
    assert f"{d.effective_n:,.0f} of {d.n:,}" in built.pdf_flat
    assert f"{engine.design.df:,} degrees of freedom" in built.pdf_flat
    margins = built.tables["weighting-margins"]
    public = engine.profile("sector") == "public"
    cell = margins.cell("Sector: Public sector", "Weighted total")
    assert cell.value == pytest.approx(engine.raking.weights[public].sum(), rel=REL)


def test_value_of_the_index_equals_the_engine(built: Built, engine: Engine, cri: Instrument):
    r = weighted_correlation(
        x=engine.col("index"),
        y=engine.col("outcomes"),
        weights=engine.raking.weights,
        clusters=engine.responses.get_column("organisation_id").to_numpy(),
        method=CorrelationMethod.LINEARIZED,
    )
    f = built.findings["validity"]
    assert f.value == pytest.approx(r.r, rel=REL)
    assert f.ci == pytest.approx((r.ci_lower, r.ci_upper), rel=REL)
    text = (
        f"r = {fmt_number(r.r, digits=2)} (95% CI {ci_text(r.ci_lower, r.ci_upper, 2)}, n = {r.n:,}"
    )
    assert text in built.pdf_flat
    reg = design_regression(
        design=engine.design,
        outcome=engine.col("outcomes"),
        predictors={b.title.get(): engine.col(b.id) for b in cri.blocks},
    )
    table = built.tables["validation-regression"]
    for j, term in enumerate(reg.terms):
        row = "Intercept" if term == "(Intercept)" else term
        assert table.cell(row, "Coefficient").value == pytest.approx(reg.estimate[j], rel=REL)
        assert table.cell(row, "95% CI").ci == pytest.approx(
            (reg.ci_low[j], reg.ci_high[j]), rel=REL
        )
        assert table.cell(row, "Coefficient").text == fmt_number(reg.estimate[j], digits=3)
    assert f"R² = {reg.r_squared:.2f}" in built.pdf_flat


def test_reliability_tables_equal_instrument_reliability(
    built: Built, engine: Engine, cri: Instrument
):
    cols = {i: engine.responses.get_column(i).fill_null(MISSING).to_numpy() for i in cri.item_ids}
    rel = instrument_reliability(
        codes=matrix_from_columns(cols, cri, source="test"), instrument=cri
    )
    table = built.tables["reliability"]
    assert len(table.rows) == len(rel.scales)
    for row, s in zip(table.rows, rel.scales, strict=True):
        cells = dict(zip(table.columns, row, strict=True))
        assert cells["Alpha"].value == pytest.approx(s.alpha.alpha, rel=REL)
        assert cells["95% CI"].ci == pytest.approx((s.alpha.ci_lower, s.alpha.ci_upper), rel=REL)
        assert s.omega is not None
        assert cells["Omega"].value == pytest.approx(s.omega.omega_total, rel=REL)
        assert cells["Respondents"].text == f"{s.alpha.n:,}"
    items = built.tables["item-rest"]
    frame = pd.concat(
        [s.alpha.items_frame() for s in rel.scales if s.dimension is None], ignore_index=True
    )
    assert len(items.rows) == len(frame)
    for row, rec in zip(items.rows, frame.itertuples(), strict=True):
        assert row[0].text == rec.item
        assert row[3].value == pytest.approx(rec.item_rest, rel=REL)
        assert row[4].value == pytest.approx(rec.alpha_if_deleted, rel=REL)
