"""Design-based means, proportions and totals, overall and in domains.

Every function takes a :class:`~collabready.stats.design.SurveyDesign`, one or
more variables (NaN = missing) and optional groupings, and returns an
:class:`EstimateTable` with one row per (variable, grouping, domain). Domains are
estimated properly: rows outside a domain stay in the design with zero
influence, as in R's ``svyby``; a respondent missing the variable is outside
every domain of it. Confidence intervals of means and totals use Student's t
with the design degrees of freedom (R's ``degf``: PSUs minus strata); those of
proportions use each domain's own degrees of freedom, as R's ``svyby`` with
``svyciprop`` (see :func:`estimate_proportions`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd
from scipy import stats as sps

from collabready.stats.design import SurveyDesign
from collabready.stats.errors import StatsInputError
from collabready.stats.factor import Factor, factorize
from collabready.stats.variance import (
    DomainEstimates,
    Engine,
    GroupTables,
    Statistic,
    domain_covariance,
    fused_row_tables,
    group_tables,
    prepare_variable,
)

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.intp]

#: Grouping name and domain label of the whole-sample rows.
OVERALL = "all"
#: Proportions (and SEs) this close to 0 or 1 are treated as exactly there.
_EDGE = 1e-10


class ProportionCI(StrEnum):
    """Confidence interval for a proportion (both stay inside [0, 1])."""

    LOGIT = "logit"  #: t interval on the logit scale (R ``svyciprop(method="logit")``)
    BETA = "beta"  #: Korn–Graubard (R ``svyciprop(method="beta")``)


@dataclass(frozen=True, slots=True)
class EstimateTable:
    """One row per (variable, grouping, domain); columns as arrays."""

    statistic: str
    level: float
    variable: tuple[str, ...]
    grouping: tuple[str, ...]
    domain: tuple[str, ...]
    estimate: FloatArray
    se: FloatArray
    ci_low: FloatArray
    ci_high: FloatArray
    df: IntArray
    n: IntArray
    weighted_n: FloatArray

    def __len__(self) -> int:
        return len(self.variable)

    def to_frame(self) -> pd.DataFrame:
        """The table as a pandas DataFrame (one row per estimate)."""
        return pd.DataFrame(
            {
                "statistic": self.statistic,
                "variable": list(self.variable),
                "grouping": list(self.grouping),
                "domain": list(self.domain),
                "estimate": self.estimate,
                "se": self.se,
                "ci_low": self.ci_low,
                "ci_high": self.ci_high,
                "df": self.df,
                "n": self.n,
                "weighted_n": self.weighted_n,
            }
        )

    def index(self, variable: str, grouping: str = OVERALL, domain: str = OVERALL) -> int:
        """Position of the row for ``variable`` in ``domain`` of ``grouping``."""
        for i, key in enumerate(zip(self.variable, self.grouping, self.domain, strict=True)):
            if key == (variable, grouping, domain):
                return i
        raise KeyError((variable, grouping, domain))


def t_quantile(level: float, df: float) -> float:
    """The two-sided Student t critical value for confidence ``level``."""
    if not 0.0 < level < 1.0:
        raise StatsInputError(f"confidence level {level} must be between 0 and 1")
    if df < 1:
        return float("nan")
    return float(sps.t.ppf(0.5 + level / 2.0, df))


def _t_quantiles(level: float, df: IntArray) -> FloatArray:
    """:func:`t_quantile` for every element of ``df`` (NaN where ``df < 1``)."""
    t_quantile(level, 1)  # checks the level
    d = np.asarray(df, dtype=np.float64)
    with np.errstate(invalid="ignore"):
        t = np.asarray(sps.t.ppf(0.5 + level / 2.0, np.where(d >= 1, d, np.nan)))
    return t.astype(np.float64)


def _groupings(
    design: SurveyDesign, by: Mapping[str, Factor | npt.ArrayLike | Any] | None, overall: bool
) -> list[tuple[str, Factor]]:
    groupings: list[tuple[str, Factor]] = []
    if overall:
        groupings.append(
            (OVERALL, Factor(codes=np.zeros(design.n, dtype=np.intp), levels=(OVERALL,)))
        )
    for name, values in (by or {}).items():
        factor = factorize(values, name=name)
        if len(factor) != design.n:
            raise StatsInputError(
                f"grouping {name!r} has {len(factor)} rows; the design has {design.n}"
            )
        groupings.append((name, factor))
    if not groupings:
        raise StatsInputError("nothing to estimate: give groupings in by= or set overall=True")
    return groupings


def domain_estimates(
    *,
    design: SurveyDesign,
    variables: Mapping[str, npt.ArrayLike],
    by: Mapping[str, Factor | npt.ArrayLike | Any] | None,
    overall: bool,
    statistic: Statistic,
    fused: bool = True,
    engine: Engine = "auto",
) -> list[tuple[str, str, Factor, DomainEstimates]]:
    """(variable, grouping, factor, estimates) for every variable and grouping.

    The fused tables (one pass per variable for all groupings, with or without
    clusters) are used when they apply; ``fused=False`` forces the per-grouping
    path, which gives the same numbers (kept for checks and as the benchmark's
    same-run baseline). ``engine`` chooses how the fused tables of a clustered
    design are summed (see :func:`~collabready.stats.variance.fused_row_tables`).
    """
    groupings = _groupings(design, by, overall)
    results = []
    factors = [factor for _, factor in groupings]
    fused_tables = fused_row_tables(design, variables, factors, engine=engine) if fused else None
    if fused_tables is not None:
        for name, g, row_tables in fused_tables:
            grouping, factor = groupings[g]
            estimates = domain_covariance(design, None, factor, statistic, row_tables=row_tables)
            results.append((name, grouping, factor, estimates))
        return results
    tables: dict[str, GroupTables] = {}
    for name, values in variables.items():
        prepared = prepare_variable(design, values)
        for grouping, factor in groupings:
            shared = None
            if prepared.valid is None:
                if grouping not in tables:
                    tables[grouping] = group_tables(design, factor)
                shared = tables[grouping]
            estimates = domain_covariance(design, prepared, factor, statistic, tables=shared)
            results.append((name, grouping, factor, estimates))
    return results


def _table(
    statistic: str,
    design: SurveyDesign,
    level: float,
    parts: list[tuple[str, str, Factor, DomainEstimates]],
    ci: ProportionCI | None = None,
) -> EstimateTable:
    variable: list[str] = []
    grouping: list[str] = []
    domain: list[str] = []
    for name, group_name, factor, _ in parts:
        variable += [name] * factor.n_levels
        grouping += [group_name] * factor.n_levels
        domain += list(factor.levels)
    estimate = np.concatenate([p[3].estimate for p in parts])
    variance = np.concatenate([np.diag(p[3].covariance) for p in parts])
    # a variance that is exactly zero can come out as -1e-20 after rounding
    se = np.sqrt(np.where(variance > 0, variance, 0.0 * variance))
    n = np.concatenate([p[3].n for p in parts])
    if ci is None:
        df = np.full(estimate.size, design.df, dtype=np.intp)
        half = t_quantile(level, design.df) * se
        low, high = estimate - half, estimate + half
    else:  # each domain's own df, as svyby(..., svyciprop) (see estimate_proportions)
        df = np.concatenate([p[3].domain_df for p in parts])
        low, high = proportion_interval(estimate, se, n, df=df, level=level, method=ci)
    return EstimateTable(
        statistic=statistic,
        level=level,
        variable=tuple(variable),
        grouping=tuple(grouping),
        domain=tuple(domain),
        estimate=estimate,
        se=se,
        ci_low=low,
        ci_high=high,
        df=df,
        n=n,
        weighted_n=np.concatenate([p[3].weighted_n for p in parts]),
    )


def estimate_means(
    *,
    design: SurveyDesign,
    variables: Mapping[str, npt.ArrayLike],
    by: Mapping[str, Factor | npt.ArrayLike | Any] | None = None,
    overall: bool = True,
    level: float = 0.95,
) -> EstimateTable:
    """Weighted means with Taylor-linearisation SEs and t intervals (R ``svymean``/``svyby``).

    ``by`` maps grouping names to labels (or :class:`Factor`); every grouping
    gives a row per level. ``overall`` adds the whole-sample row.
    """
    parts = domain_estimates(
        design=design, variables=variables, by=by, overall=overall, statistic=Statistic.MEAN
    )
    return _table("mean", design, level, parts)


def estimate_totals(
    *,
    design: SurveyDesign,
    variables: Mapping[str, npt.ArrayLike],
    by: Mapping[str, Factor | npt.ArrayLike | Any] | None = None,
    overall: bool = True,
    level: float = 0.95,
) -> EstimateTable:
    """Weighted (population) totals with SEs and t intervals (R ``svytotal``)."""
    parts = domain_estimates(
        design=design, variables=variables, by=by, overall=overall, statistic=Statistic.TOTAL
    )
    return _table("total", design, level, parts)


def estimate_proportions(
    *,
    design: SurveyDesign,
    variables: Mapping[str, npt.ArrayLike],
    by: Mapping[str, Factor | npt.ArrayLike | Any] | None = None,
    overall: bool = True,
    level: float = 0.95,
    method: ProportionCI = ProportionCI.LOGIT,
) -> EstimateTable:
    """Proportions of 0/1 (or boolean) variables with intervals inside [0, 1].

    NaN marks a missing answer. The SE is that of the mean; the interval is
    the logit interval of R's ``svyciprop`` or the Korn–Graubard interval.

    Both intervals take the t quantile on the degrees of freedom of the row's
    own domain, not of the whole design: the PSUs with respondents in the
    domain minus the strata with respondents in it, R's ``degf`` of the subset
    design, which is what ``svyby(~y, ~g, design, svyciprop)`` uses (it calls
    ``svyciprop`` on ``design[g == level, ]``, whose default ``df`` is
    ``degf()`` of that subset). The whole-sample row's domain is every
    respondent to the variable, so with no missing answers its df is the
    design's. The table's ``df`` column holds these domain df, the ones the
    intervals used (means and totals report the design df). A respondent
    missing the variable is outside every domain of it, for the df too: with
    missing answers the df are those of R on ``subset(design, !is.na(y))``
    (R on the whole design would still count a PSU whose domain members all
    skipped the question).
    """
    checked: dict[str, FloatArray] = {}
    for name, values in variables.items():
        y = np.asarray(values, dtype=np.float64)
        bad = np.flatnonzero(np.isfinite(y) & (y != 0) & (y != 1))
        if bad.size:
            raise StatsInputError(
                f"{name}: a proportion needs 0/1 values; row {int(bad[0])} has {y[bad[0]]:g}"
            )
        checked[name] = y
    parts = domain_estimates(
        design=design, variables=checked, by=by, overall=overall, statistic=Statistic.MEAN
    )
    return _table("proportion", design, level, parts, ci=method)


def proportion_interval(
    p: FloatArray,
    se: FloatArray,
    n: IntArray,
    *,
    df: int | IntArray,
    level: float,
    method: ProportionCI,
) -> tuple[FloatArray, FloatArray]:
    """Confidence limits for proportions ``p`` with standard errors ``se``.

    ``df`` (one per proportion, or one for all) is the degrees of freedom of
    each proportion's domain: PSUs minus strata with respondents in the
    domain, as R's ``degf`` of the subset design. Logit:
    ``expit(logit(p) ± t_df * se / (p (1 - p)))``. Korn–Graubard: Clopper–
    Pearson limits at the effective sample size ``p (1 - p) / se²`` scaled by
    ``(t_{n-1} / t_df)²``, where ``n`` counts the domain's respondents.
    Where ``p`` is 0 or 1 (so ``se`` is 0) both use Korn–Graubard with the
    effective sample size taken as ``n``. A domain with ``df < 1`` gets NaN
    logit limits (R: ``NaN``).
    """
    p = np.asarray(p, dtype=np.float64)
    low = np.full(p.shape, np.nan)
    high = np.full(p.shape, np.nan)
    domain_df = np.broadcast_to(np.asarray(df), p.shape)
    t = _t_quantiles(level, domain_df)
    # estimates within rounding of 0 or 1 have no variance to speak of
    edge = (p <= _EDGE) | (p >= 1 - _EDGE) | (se <= _EDGE)
    use_beta = np.isfinite(p) & (edge | (method is ProportionCI.BETA))
    inner = np.isfinite(p) & ~use_beta
    if inner.any():
        q = p[inner]
        centre = np.log(q / (1 - q))
        half = t[inner] * se[inner] / (q * (1 - q))
        low[inner] = 1 / (1 + np.exp(-(centre - half)))
        high[inner] = 1 / (1 + np.exp(-(centre + half)))
    if use_beta.any():
        q = p[use_beta]
        v = se[use_beta] ** 2
        count = n[use_beta].astype(np.float64)
        q = np.where(q <= _EDGE, 0.0, np.where(q >= 1 - _EDGE, 1.0, q))
        usable = (v > _EDGE**2) & (q > 0) & (q < 1)
        n_eff = np.where(usable, q * (1 - q) / np.where(usable, v, 1.0), count)
        alpha = 1 - level
        t_n = np.asarray(sps.t.ppf(alpha / 2, np.maximum(count - 1, 1)), dtype=np.float64)
        kg_df = domain_df[use_beta].astype(np.float64)
        with np.errstate(invalid="ignore"):
            t_df = np.asarray(sps.t.ppf(alpha / 2, np.where(kg_df >= 1, kg_df, np.nan)))
        ratio = np.where((count > 1) & np.isfinite(t_df), (t_n / t_df) ** 2, 1.0)
        n_eff = n_eff * ratio
        with np.errstate(invalid="ignore"):
            lo = np.asarray(
                sps.beta.ppf(alpha / 2, n_eff * q, n_eff * (1 - q) + 1), dtype=np.float64
            )
            hi = np.asarray(
                sps.beta.ppf(1 - alpha / 2, n_eff * q + 1, n_eff * (1 - q)), dtype=np.float64
            )
        low[use_beta] = np.where(q <= 0, 0.0, lo)
        high[use_beta] = np.where(q >= 1, 1.0, hi)
    return low, high
