"""The *weight* and *design* steps: raking to population margins, then the survey design.

Organisations are the primary sampling units; respondents without one are
units of their own (:mod:`collabready.analysis.policy`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import polars as pl

from collabready.analysis.data import AnalysisData
from collabready.errors import UserError
from collabready.stats import (
    Margins,
    RakingResult,
    StatsInputError,
    SurveyDesign,
    WeightDiagnostics,
    margins_from_frame,
    rake,
    raked_design,
    survey_design,
    weight_diagnostics,
)

__all__ = ["WeightingError", "WeightingSummary", "as_margins", "design_for", "weight"]


class WeightingError(UserError, ValueError):
    """The sample cannot be weighted to the margins as given."""


@dataclass(frozen=True, slots=True)
class WeightingSummary:
    """How the sample was weighted, for the methodology section."""

    variables: tuple[str, ...]
    margins: tuple[tuple[str, str, float], ...]
    diagnostics: WeightDiagnostics
    iterations: int
    max_residual: float

    @property
    def kish_deff(self) -> float:
        return self.diagnostics.kish_deff

    @property
    def n_effective(self) -> float:
        return self.diagnostics.effective_n

    @property
    def weight_min(self) -> float:
        return self.diagnostics.minimum

    @property
    def weight_max(self) -> float:
        return self.diagnostics.maximum

    @property
    def weight_cv(self) -> float:
        return self.diagnostics.cv


def as_margins(margins: pl.DataFrame | pd.DataFrame | Margins) -> Margins:
    """Margins as the statistics engine takes them (a table in the file layout, or Margins)."""
    if isinstance(margins, Margins):
        return margins
    return margins_from_frame(margins, source="margins")


def weight(
    data: AnalysisData,
    margins: pl.DataFrame | pd.DataFrame | Margins | None,
    *,
    source: str = "data",
) -> tuple[RakingResult | None, WeightingSummary | None]:
    """Rake to the margins (variable, level, population_total); ``None``: unweighted."""
    if margins is None:
        return None, None
    m = as_margins(margins)
    for var in m.variables:
        if var not in data.factors:
            raise WeightingError(f"{m.source}: margin variable {var!r} is not a column of {source}")
    try:
        raking = rake(data={v: data.factors[v] for v in m.variables}, margins=m)
    except StatsInputError as exc:
        raise WeightingError(f"{source} with margins {m.source}: {exc}") from None
    summary = WeightingSummary(
        variables=m.variables,
        margins=tuple(
            (mg.variable, lv, float(t))
            for mg in m
            for lv, t in zip(mg.levels, mg.totals, strict=True)
        ),
        diagnostics=weight_diagnostics(raking.weights),
        iterations=raking.iterations,
        max_residual=raking.max_relative_residual,
    )
    return raking, summary


def design_for(data: AnalysisData, raking: RakingResult | None) -> SurveyDesign:
    """The design: raked weights (calibration-aware) or unit weights; organisations as PSUs."""
    clusters = data.organisation_id if data.clustered else None
    if raking is None:
        return survey_design(weights=np.ones(len(data)), clusters=clusters)
    return raked_design(raking, clusters=clusters)
