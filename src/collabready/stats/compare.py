"""Comparisons: differences between domains, between waves, and within respondents.

* :func:`compare_domains`: the difference between two domain means of the same
  sample, with the covariance of the two means taken from the design (domains
  of one sample are not independent once there are strata, clusters or
  calibration).
* :func:`compare_waves`: the change between two independent samples.
* :func:`paired_difference`: the mean within-respondent difference (for
  example commitment minus capacity), a mean of differences.
* :func:`adjust_p_values`: Holm (family-wise) or Benjamini–Hochberg (false
  discovery rate) adjustment, as R's ``p.adjust``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from itertools import combinations
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd
from scipy import stats as sps

from collabready.stats.design import SurveyDesign
from collabready.stats.errors import StatsInputError
from collabready.stats.estimate import EstimateTable, domain_estimates, estimate_means
from collabready.stats.factor import Factor
from collabready.stats.variance import Statistic

FloatArray = npt.NDArray[np.float64]


class PAdjust(StrEnum):
    """Multiple-comparison adjustment of p-values."""

    NONE = "none"
    HOLM = "holm"  #: Holm (1979): controls the family-wise error rate
    BH = "bh"  #: Benjamini & Hochberg (1995): controls the false discovery rate


def adjust_p_values(p_values: npt.ArrayLike, *, method: PAdjust) -> FloatArray:
    """Adjusted p-values (NaNs are left out of the family and kept as NaN).

    >>> adjust_p_values([0.01, 0.04, 0.03], method=PAdjust.HOLM).round(3).tolist()
    [0.03, 0.06, 0.06]
    """
    p = np.asarray(p_values, dtype=np.float64)
    out = np.full(p.shape, np.nan)
    ok = np.flatnonzero(np.isfinite(p))
    m = ok.size
    if m == 0 or method is PAdjust.NONE:
        out[ok] = p[ok]
        return out
    order = ok[np.argsort(p[ok], kind="stable")]
    ranked = p[order]
    if method is PAdjust.HOLM:
        adjusted = np.maximum.accumulate((m - np.arange(m)) * ranked)
    else:
        scaled = ranked * m / np.arange(1, m + 1)
        adjusted = np.minimum.accumulate(scaled[::-1])[::-1]
    out[order] = np.minimum(adjusted, 1.0)
    return out


@dataclass(frozen=True, slots=True)
class ComparisonTable:
    """One row per comparison: ``difference = first - second``."""

    level: float
    adjust: str
    variable: tuple[str, ...]
    grouping: tuple[str, ...]
    first: tuple[str, ...]
    second: tuple[str, ...]
    difference: FloatArray
    se: FloatArray
    ci_low: FloatArray
    ci_high: FloatArray
    df: FloatArray
    t: FloatArray
    p_value: FloatArray
    p_adjusted: FloatArray

    def __len__(self) -> int:
        return len(self.variable)

    def to_frame(self) -> pd.DataFrame:
        """The comparisons as a pandas DataFrame."""
        return pd.DataFrame(
            {
                "variable": list(self.variable),
                "grouping": list(self.grouping),
                "first": list(self.first),
                "second": list(self.second),
                "difference": self.difference,
                "se": self.se,
                "ci_low": self.ci_low,
                "ci_high": self.ci_high,
                "df": self.df,
                "t": self.t,
                "p_value": self.p_value,
                "p_adjusted": self.p_adjusted,
            }
        )


def _finish(
    labels: tuple[list[str], list[str], list[str], list[str]],
    *,
    difference: FloatArray,
    se: FloatArray,
    df: FloatArray,
    level: float,
    adjust: PAdjust,
) -> ComparisonTable:
    if not 0.0 < level < 1.0:
        raise StatsInputError(f"confidence level {level} must be between 0 and 1")
    with np.errstate(invalid="ignore", divide="ignore"):
        ok_df = np.where(df >= 1, df, np.nan)
        t = difference / se
        half = np.asarray(sps.t.ppf(0.5 + level / 2, ok_df), dtype=np.float64) * se
        p = np.asarray(2 * sps.t.sf(np.abs(t), ok_df), dtype=np.float64)
    return ComparisonTable(
        level=level,
        adjust=str(adjust),
        variable=tuple(labels[0]),
        grouping=tuple(labels[1]),
        first=tuple(labels[2]),
        second=tuple(labels[3]),
        difference=difference,
        se=se,
        ci_low=difference - half,
        ci_high=difference + half,
        df=df,
        t=t,
        p_value=p,
        p_adjusted=adjust_p_values(p, method=adjust),
    )


def compare_domains(
    *,
    design: SurveyDesign,
    variables: Mapping[str, npt.ArrayLike],
    by: Mapping[str, Factor | npt.ArrayLike | Any],
    pairs: Sequence[tuple[str, str]] | None = None,
    level: float = 0.95,
    adjust: PAdjust = PAdjust.HOLM,
) -> ComparisonTable:
    """Differences of domain means (``first - second``) with design-based SE, CI and p-value.

    Without ``pairs`` every pair of levels of every grouping is compared. The
    adjustment treats all the rows of the result as one family.
    """
    parts = domain_estimates(
        design=design, variables=variables, by=by, overall=False, statistic=Statistic.MEAN
    )
    labels: tuple[list[str], list[str], list[str], list[str]] = ([], [], [], [])
    differences: list[float] = []
    variances: list[float] = []
    for name, grouping, factor, est in parts:
        position = {level_: i for i, level_ in enumerate(factor.levels)}
        wanted = pairs if pairs is not None else list(combinations(factor.levels, 2))
        for first, second in wanted:
            if first not in position or second not in position:
                missing = first if first not in position else second
                raise StatsInputError(f"{grouping}: no level {missing!r} to compare")
            i, j = position[first], position[second]
            cov = est.covariance
            labels[0].append(name)
            labels[1].append(grouping)
            labels[2].append(first)
            labels[3].append(second)
            differences.append(float(est.estimate[i] - est.estimate[j]))
            variances.append(float(cov[i, i] + cov[j, j] - 2 * cov[i, j]))
    variance = np.maximum(np.asarray(variances), 0.0)
    df = np.full(variance.size, float(design.df))
    return _finish(
        labels,
        difference=np.asarray(differences),
        se=np.sqrt(variance),
        df=df,
        level=level,
        adjust=adjust,
    )


def compare_waves(
    *,
    earlier: EstimateTable,
    later: EstimateTable,
    level: float = 0.95,
    adjust: PAdjust = PAdjust.NONE,
    labels: tuple[str, str] = ("earlier", "later"),
) -> ComparisonTable:
    """Change ``later - earlier`` between two independent samples (waves).

    Rows are matched on (variable, grouping, domain); rows in only one table are
    left out. The SE is ``sqrt(se1² + se2²)`` and the degrees of freedom are
    Welch–Satterthwaite's from the two tables' ``df`` (the design df; for a
    proportion, its domain's).
    """
    index = {
        key: i
        for i, key in enumerate(
            zip(earlier.variable, earlier.grouping, earlier.domain, strict=True)
        )
    }
    out: tuple[list[str], list[str], list[str], list[str]] = ([], [], [], [])
    pairs: list[tuple[int, int]] = []
    for position, key in enumerate(zip(later.variable, later.grouping, later.domain, strict=True)):
        if key in index:
            pairs.append((index[key], position))
            out[0].append(key[0])
            out[1].append(key[1])
            out[2].append(f"{key[2]} ({labels[1]})")
            out[3].append(f"{key[2]} ({labels[0]})")
    if not pairs:
        raise StatsInputError("the two waves have no (variable, grouping, domain) in common")
    i = np.asarray([p[0] for p in pairs])
    j = np.asarray([p[1] for p in pairs])
    v1, v2 = earlier.se[i] ** 2, later.se[j] ** 2
    d1, d2 = earlier.df[i].astype(float), later.df[j].astype(float)
    with np.errstate(invalid="ignore", divide="ignore"):
        welch = (v1 + v2) ** 2 / (v1**2 / d1 + v2**2 / d2)
    welch = np.where(np.isfinite(welch), welch, np.minimum(d1, d2))
    difference = later.estimate[j] - earlier.estimate[i]
    return _finish(
        out, difference=difference, se=np.sqrt(v1 + v2), df=welch, level=level, adjust=adjust
    )


def paired_difference(
    *,
    design: SurveyDesign,
    first: npt.ArrayLike,
    second: npt.ArrayLike,
    name: str = "difference",
    by: Mapping[str, Factor | npt.ArrayLike | Any] | None = None,
    overall: bool = True,
    level: float = 0.95,
) -> EstimateTable:
    """Mean within-respondent difference ``first - second`` (for example the gap).

    Only respondents with both values count. Being a mean of differences, its
    SE accounts for the correlation between the two measures.
    """
    a = np.asarray(first, dtype=np.float64)
    b = np.asarray(second, dtype=np.float64)
    if a.shape != b.shape:
        raise StatsInputError(f"first has shape {a.shape} but second has {b.shape}")
    return estimate_means(
        design=design, variables={name: a - b}, by=by, overall=overall, level=level
    )
