"""The *weight* and *design* steps: raking to population margins, then the survey design.

Organisations are the primary sampling units; respondents without one are
units of their own (:mod:`collabready.analysis.policy`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
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
    margins_from_records,
    rake,
    raked_design,
    survey_design,
    weight_diagnostics,
)

__all__ = [
    "EmptyLevel",
    "WeightingError",
    "WeightingSummary",
    "as_margins",
    "collapse_margins",
    "design_for",
    "empty_levels",
    "weight",
]


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


@dataclass(frozen=True, slots=True)
class EmptyLevel:
    """A margin level with a population total but no respondents (raking cannot reach it)."""

    variable: str
    level: str
    population_total: float
    #: the variable's other levels that have respondents, which it can be merged into
    others: tuple[str, ...]


def empty_levels(
    profile: Mapping[str, Sequence[object] | np.ndarray],
    margins: pl.DataFrame | pd.DataFrame | Margins,
) -> tuple[EmptyLevel, ...]:
    """The levels of ``margins`` that no respondent in ``profile`` has (during fieldwork,
    a sector or region that has not answered yet)."""
    m = as_margins(margins)
    out: list[EmptyLevel] = []
    for margin in m:
        if margin.variable not in profile:
            continue
        values = np.asarray(profile[margin.variable], dtype=object)
        present = {lv for lv in margin.levels if bool(np.any(values == lv))}
        for level, total in zip(margin.levels, margin.totals, strict=True):
            if level not in present and float(total) > 0:
                others = tuple(lv for lv in margin.levels if lv in present)
                out.append(EmptyLevel(margin.variable, level, float(total), others))
    return tuple(out)


def collapse_margins(
    margins: pl.DataFrame | pd.DataFrame | Margins, merges: Mapping[tuple[str, str], str]
) -> Margins:
    """``margins`` with each ``(variable, level)`` of ``merges`` merged into the level it maps
    to: its population total is added to that level's and the level dropped.

    A level with no respondents adds nothing to the sample, so merging it needs
    no change to the data; the merged level's respondents then stand for both.
    Raises :class:`WeightingError` naming every merge that does not fit.
    """
    m = as_margins(margins)
    levels = {mg.variable: set(mg.levels) for mg in m}
    problems = []
    for (var, level), into in merges.items():
        if var not in levels:
            problems.append(f"{var}: not a margin variable")
        elif level not in levels[var]:
            problems.append(f"{var}={level!r}: not a level of the margins")
        elif (
            into not in levels[var]
            or into == level
            or into in {lv for (v, lv) in merges if v == var}
        ):
            problems.append(f"{var}={level!r}: cannot be merged into {into!r}")
    if problems:
        raise WeightingError(f"{m.source}: " + "; ".join(problems))
    totals: dict[tuple[str, str], float] = {}
    for mg in m:
        for lv, t in zip(mg.levels, mg.totals, strict=True):
            totals[(mg.variable, lv)] = totals.get((mg.variable, lv), 0.0) + float(t)
    for (var, level), into in merges.items():
        totals[(var, into)] += totals.pop((var, level))
    return margins_from_records(
        ((v, lv, t) for (v, lv), t in totals.items()), source=f"{m.source} (levels merged)"
    )


def design_for(data: AnalysisData, raking: RakingResult | None) -> SurveyDesign:
    """The design: raked weights (calibration-aware) or unit weights; organisations as PSUs."""
    clusters = data.organisation_id if data.clustered else None
    if raking is None:
        return survey_design(weights=np.ones(len(data)), clusters=clusters)
    return raked_design(raking, clusters=clusters)
