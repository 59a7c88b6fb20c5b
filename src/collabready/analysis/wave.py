"""The analysis of a wave behind the national report: weights, estimates, comparisons,
validation and reliability.

Every figure comes from :mod:`collabready.stats` (see docs/reporting.md for
which function computes which figure) and is published through the gate.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd
import polars as pl

from collabready.analysis.contrasts import Contrast, domain_contrasts, holm, paired_contrast
from collabready.analysis.data import GROUPS, AnalysisData, factor_of
from collabready.analysis.enablers import EnablerShare, enabler_shares
from collabready.analysis.estimates import Breakdown, breakdown, breakdowns, overall
from collabready.analysis.gate import CellStatus, Estimate, protect_counts
from collabready.analysis.pattern import (
    LEVEL_COLUMNS,
    SECTION_COLUMNS,
    DisclosurePattern,
    disclosure_pattern,
)
from collabready.analysis.steps import Step, no_step
from collabready.analysis.weighting import WeightingSummary, design_for, weight
from collabready.stats import (
    CorrelationMethod,
    CorrelationResult,
    Margins,
    PAdjust,
    RegressionResult,
    ReliabilityTable,
    SurveyDesign,
    design_regression,
    index_outcomes_correlation,
    instrument_reliability,
)


@dataclass(frozen=True, slots=True)
class Validation:
    """ "Assessing the value of the index": correlation and regression, from the engine.

    ``published`` is False when fewer than k respondents are behind them.
    """

    correlation: CorrelationResult
    regression: RegressionResult | None
    published: bool

    @property
    def r_squared(self) -> float:
        return float("nan") if self.regression is None else self.regression.r_squared

    @property
    def n(self) -> int:
        return 0 if self.regression is None else self.regression.n


@dataclass(frozen=True, slots=True)
class WaveAnalysis:
    data: AnalysisData
    k: int
    weighting: WeightingSummary | None
    design: SurveyDesign
    #: whole-sample estimates; a measure with fewer than k respondents is absent
    overall: Mapping[str, Estimate]
    #: the suppression pattern shared by every document built from these responses
    pattern: DisclosurePattern
    breakdowns: Mapping[str, Breakdown]
    block_breakdown: Breakdown
    #: block ids from lowest to highest score
    block_order: tuple[str, ...]
    lowest_vs_next: Contrast | None
    #: the instrument's focus block (CRI: citizens) against each other block; () without one
    citizens_vs_others: tuple[Contrast, ...]
    block_gaps: tuple[Contrast, ...]
    #: the widest-gap sector against the next widest (first of ``widest_gap_family``)
    widest_gap: Contrast | None
    widest_gap_estimate: Estimate | None
    #: the widest-gap sector against every other published sector, Holm-adjusted
    widest_gap_family: tuple[Contrast, ...]
    #: commitment minus capacity, paired within respondents
    overall_gap: Contrast | None
    environment: Contrast | None
    #: the share agreeing with each enabler component (instrument facets); () without any
    enablers: tuple[EnablerShare, ...]
    validation: Validation
    reliability: ReliabilityTable | None

    @property
    def n(self) -> int:
        return len(self.data)

    @property
    def n_organisations(self) -> int:
        return self.data.n_organisations


def analyse_wave(
    *,
    data: AnalysisData,
    margins: pl.DataFrame | Margins | None,
    k: int,
    step: Step = no_step,
) -> WaveAnalysis:
    inst = data.instrument
    step("rake")
    raking, summary = weight(data, margins)
    design = design_for(data, raking)
    step("estimates")
    blocks = inst.block_ids
    block_cols = tuple(
        c for b in blocks for c in (b, f"{b}_commitment", f"{b}_capacity", f"{b}_gap")
    )
    present_sections = tuple(c for c in SECTION_COLUMNS if c in data.scores.columns)
    ov = overall(
        data=data, design=design, columns=LEVEL_COLUMNS + block_cols + present_sections, k=k
    )
    groups = [var for var in GROUPS if var in data.profile]
    pattern = disclosure_pattern(data, k=k)
    by_group = breakdowns(
        data=data,
        design=design,
        variables=[v for v in groups if v != "sector"],
        columns=LEVEL_COLUMNS,
        k=k,
        pattern=pattern,
    )
    by_group["sector"] = breakdown(
        data=data,
        design=design,
        variable="sector",
        columns=LEVEL_COLUMNS + present_sections,
        k=k,
        pattern=pattern,
    )
    by_group = {v: by_group[v] for v in groups}
    sector_blocks = breakdown(
        data=data, design=design, variable="sector", columns=blocks, k=k, pattern=pattern
    )

    title = {b.id: b.title.get() for b in inst.blocks}
    # blocks ranked; the lowest against the next lowest, paired within respondents
    ranked = tuple(b for b in sorted(blocks, key=lambda b: ov[b].value if b in ov else np.inf))
    shown_blocks = [b for b in ranked if b in ov]
    lowest = None
    if len(shown_blocks) >= 2:
        lo, nxt = shown_blocks[0], shown_blocks[1]
        lowest = paired_contrast(
            data=data, design=design, first=lo, second=nxt, a=title[lo], b=title[nxt], k=k
        )
    cit = inst.focus.block if inst.focus else None
    citizens = holm(
        _present(
            paired_contrast(
                data=data, design=design, first=cit, second=b, a=title[cit], b=title[b], k=k
            )
            for b in blocks
            if cit is not None and b != cit
        )
    )
    block_gaps = holm(
        _present(
            paired_contrast(
                data=data,
                design=design,
                first=f"{b}_commitment",
                second=f"{b}_capacity",
                a=title[b],
                b="",
                k=k,
            )
            for b in blocks
        )
    )

    widest, widest_est, family = _widest_gap(data, design, by_group.get("sector"), k)

    overall_gap = paired_contrast(
        data=data,
        design=design,
        first="commitment",
        second="capacity",
        a="Commitment",
        b="Capacity",
        k=k,
    )
    environment = None
    if "environment_hinders" in present_sections and "environment_helps" in present_sections:
        environment = paired_contrast(
            data=data,
            design=design,
            first="environment_hinders",
            second="environment_helps",
            a="Hinders",
            b="Helps",
            k=k,
        )

    enablers = enabler_shares(data=data, design=design, k=k)

    step("validation")
    validation = _validation(data, design, k)
    step("reliability")
    reliability = instrument_reliability(codes=data.codes, instrument=inst, with_omega=True)
    return WaveAnalysis(
        data=data,
        k=k,
        weighting=summary,
        design=design,
        overall=ov,
        pattern=pattern,
        breakdowns=by_group,
        block_breakdown=sector_blocks,
        block_order=ranked,
        lowest_vs_next=lowest,
        citizens_vs_others=citizens,
        block_gaps=block_gaps,
        widest_gap=widest,
        widest_gap_estimate=widest_est,
        widest_gap_family=family,
        overall_gap=overall_gap,
        environment=environment,
        enablers=enablers,
        validation=validation,
        reliability=reliability,
    )


def _present(contrasts: Iterable[Contrast | None]) -> list[Contrast]:
    """The contrasts that passed the gate."""
    return [c for c in contrasts if c is not None]


def _widest_gap(
    data: AnalysisData, design: SurveyDesign, sector: Breakdown | None, k: int
) -> tuple[Contrast | None, Estimate | None, tuple[Contrast, ...]]:
    """The published sector with the widest gap against every other published sector.

    ``compare_domains`` on the gap by sector (so the covariance of the two
    domain means is the design's), Holm-adjusted over the comparisons; the
    first comparison is against the next widest.
    """
    if sector is None:
        return None, None, ()
    shown = [r for r in sector.rows if r.estimates is not None]
    if len(shown) < 2:
        return None, None, ()
    ranked = sorted(shown, key=lambda r: -r.estimates["gap"].value)  # type: ignore[index]
    top = ranked[0]
    family = domain_contrasts(
        data=data,
        design=design,
        column="gap",
        factor=factor_of(data, "sector"),
        pairs=[(top.level, r.level) for r in ranked[1:]],
        labels={r.level: r.label for r in sector.rows},
        adjust=PAdjust.HOLM,
        k=k,
    )
    assert top.estimates is not None
    if not family:
        return None, None, ()
    return family[0], top.estimates["gap"], family


def _validation(data: AnalysisData, design: SurveyDesign, k: int) -> Validation:
    """Index–outcomes correlation and the regression of outcomes on the six blocks."""
    inst = data.instrument
    scores = pd.DataFrame(
        {
            "index": data.col("index"),
            "outcomes": data.col("outcomes"),
            "organisation_id": data.organisation_id,
        }
    )
    corr = index_outcomes_correlation(
        scores=scores,
        weights=design.weights,
        clusters="organisation_id" if data.clustered else None,
        method=CorrelationMethod.LINEARIZED,
    )
    predictors = {b.title.get(): data.col(b.id) for b in inst.blocks}
    outcome = data.col("outcomes")
    complete = np.isfinite(outcome) & np.all(
        np.isfinite(np.column_stack(list(predictors.values()))), axis=1
    )
    status = protect_counts([corr.n, int(complete.sum())], k=k)
    regression = None
    if status[1] is CellStatus.PUBLISHED and int(complete.sum()) > len(predictors) + 1:
        regression = design_regression(
            design=design, outcome=outcome, predictors=predictors, outcome_name="outcomes"
        )
    return Validation(corr, regression, status[0] is CellStatus.PUBLISHED)
