"""The national analysis of a wave: weights, estimates, comparisons, validation."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import polars as pl

from collabready.reporting import engine
from collabready.reporting.analysis import (
    GROUPS,
    MAIN_COLUMNS,
    SECTION_COLUMNS,
    Breakdown,
    Contrast,
    Step,
    WaveData,
    WeightingSummary,
    _no_step,
    breakdown,
    difference_estimate,
    overall,
    paired,
    weight,
)
from collabready.reporting.model import Estimate


@dataclass(frozen=True, slots=True)
class Validation:
    """ "Assessing the value of the index"."""

    correlation: engine.Correlation
    coefficients: tuple[engine.Coefficient, ...]
    r_squared: float
    n: int


@dataclass(frozen=True, slots=True)
class WaveAnalysis:
    data: WaveData
    k: int
    weighting: WeightingSummary | None
    design: engine.Design
    overall: Mapping[str, Estimate]
    breakdowns: Mapping[str, Breakdown]
    block_breakdown: Breakdown
    #: block ids from lowest to highest score
    block_order: tuple[str, ...]
    lowest_vs_next: Contrast
    citizens_vs_others: tuple[Contrast, ...]
    block_gaps: tuple[Contrast, ...]
    widest_gap: Contrast | None
    widest_gap_estimate: Estimate | None
    environment: Contrast
    validation: Validation
    reliability: object | None

    @property
    def n(self) -> int:
        return len(self.data)

    @property
    def n_organisations(self) -> int:
        return int(np.unique(self.data.organisation_id).size)


def analyse_wave(
    *,
    data: WaveData,
    margins: pl.DataFrame | None,
    k: int,
    step: Step = _no_step,
) -> WaveAnalysis:
    inst = data.instrument
    step("rake")
    w, summary = weight(data, margins)
    weights = w.weights if w is not None else np.ones(len(data))
    design = engine.Design.of(weights, data.organisation_id)
    step("estimates")
    blocks = inst.block_ids
    block_cols = tuple(
        c for b in blocks for c in (b, f"{b}_commitment", f"{b}_capacity", f"{b}_gap")
    )
    present_sections = tuple(c for c in SECTION_COLUMNS if c in data.scores.columns)
    ov = overall(data=data, design=design, columns=MAIN_COLUMNS + block_cols + present_sections)
    breakdowns: dict[str, Breakdown] = {}
    gap_by_sector: engine.DomainMeans | None = None
    sector_levels: list[str] = []
    for var in GROUPS:
        if var not in data.profile:
            continue
        cols = MAIN_COLUMNS + (present_sections if var == "sector" else ())
        b, res, levels = breakdown(data=data, design=design, variable=var, columns=cols, k=k)
        breakdowns[var] = b
        if var == "sector":
            gap_by_sector, sector_levels = res["gap"], levels
    sector_blocks, _, _ = breakdown(
        data=data, design=design, variable="sector", columns=blocks, k=k
    )

    # blocks ranked; the lowest against the next lowest, paired within respondents
    order = tuple(sorted(blocks, key=lambda b: ov[b].value))
    title = {b.id: b.title.get() for b in inst.blocks}
    diff, n = paired(data=data, design=design, a=order[0], b=order[1])
    lowest = Contrast(
        title[order[0]], title[order[1]], difference_estimate(diff, n), diff.p_value, diff.p_value
    )

    cit = "citizens" if "citizens" in blocks else order[0]
    raw = [(b, *paired(data=data, design=design, a=cit, b=b)) for b in blocks if b != cit]
    adj = engine.holm([d.p_value for _, d, _ in raw])
    citizens = tuple(
        Contrast(title[cit], title[b], difference_estimate(d, n), d.p_value, p, "holm")
        for (b, d, n), p in zip(raw, adj, strict=True)
    )
    gaps_raw = [
        (b, *paired(data=data, design=design, a=f"{b}_commitment", b=f"{b}_capacity"))
        for b in blocks
    ]
    gadj = engine.holm([d.p_value for _, d, _ in gaps_raw])
    block_gaps = tuple(
        Contrast(title[b], "", difference_estimate(d, n), d.p_value, p, "holm")
        for (b, d, n), p in zip(gaps_raw, gadj, strict=True)
    )

    widest: Contrast | None = None
    widest_est: Estimate | None = None
    sector = breakdowns.get("sector")
    if sector is not None and gap_by_sector is not None:
        shown = [(i, r) for i, r in enumerate(sector.rows) if r.estimates is not None]
        if len(shown) >= 2:
            ranked = sorted(shown, key=lambda ir: -ir[1].estimates["gap"].value)  # type: ignore[index]
            (ia, ra), (ib, rb) = ranked[0], ranked[1]
            d = gap_by_sector.diff(ia, ib, design)
            n_ab = int(gap_by_sector.n[ia] + gap_by_sector.n[ib])
            widest = Contrast(
                ra.label,
                rb.label,
                Estimate(d.estimate, d.low, d.high, n_ab, d.se),
                d.p_value,
                d.p_value,
            )
            widest_est = ra.estimates["gap"] if ra.estimates else None
    del sector_levels

    if "environment_hinders" in present_sections and "environment_helps" in present_sections:
        d, n = paired(data=data, design=design, a="environment_hinders", b="environment_helps")
    else:  # pragma: no cover - every CRI version has both
        d, n = engine.Difference(np.nan, np.nan, np.nan, np.nan, 1.0), 0
    environment = Contrast("Hinders", "Helps", difference_estimate(d, n), d.p_value, d.p_value)

    step("validation")
    n_eff = float(weights.size) if w is None else w.n_effective
    corr = engine.weighted_correlation(
        x=data.col("index"), y=data.col("outcomes"), weights=weights, n_effective=n_eff
    )
    X = np.column_stack([data.col(b) for b in blocks])
    coefs, r2, n_reg = engine.design_regression(
        y=data.col("outcomes"), X=X, terms=tuple(title[b] for b in blocks), design=design
    )
    step("reliability")
    reliability = _reliability(data)
    return WaveAnalysis(
        data=data,
        k=k,
        weighting=summary,
        design=design,
        overall=ov,
        breakdowns=breakdowns,
        block_breakdown=sector_blocks,
        block_order=order,
        lowest_vs_next=lowest,
        citizens_vs_others=citizens,
        block_gaps=block_gaps,
        widest_gap=widest,
        widest_gap_estimate=widest_est,
        environment=environment,
        validation=Validation(corr, coefs, r2, n_reg),
        reliability=reliability,
    )


def _reliability(data: WaveData) -> object | None:
    try:
        from collabready.stats import instrument_reliability
    except ImportError:
        return None
    result: object = instrument_reliability(
        codes=data.codes, instrument=data.instrument, with_omega=True
    )
    return result
