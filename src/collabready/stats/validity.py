"""Assessing the value of the index: weighted correlation with a confidence interval.

The association between the index and the outcomes of collaboration is the
weighted Pearson correlation

    r = Σ wᵢ (xᵢ − x̄)(yᵢ − ȳ) / sqrt(Σ wᵢ (xᵢ − x̄)² · Σ wᵢ (yᵢ − ȳ)²)

over respondents with both values present (NaN is missing) and positive
weight. Its interval is built on Fisher's z = atanh(r) and mapped back with
tanh, so it stays inside (−1, 1) and is asymmetric as it should be. Two
standard errors for z are offered (``CorrelationMethod``):

``FISHER_KISH`` (default)
    ``se(z) = 1 / sqrt(n_eff − 3)`` with Kish's effective sample size
    ``n_eff = (Σw)² / Σw²``. Unweighted this is the textbook Fisher interval
    (what ``scipy.stats.pearsonr(...).confidence_interval()`` gives).

``LINEARIZED``
    Design-based: Taylor linearisation of r. The influence of respondent i is
    ``uᵢvᵢ − r(uᵢ² + vᵢ²)/2`` (u, v the weighted standardised values); its
    weighted totals are summed within clusters (primary sampling units, e.g.
    the organisation when several respondents answer for one), and
    ``var(r) = m/(m − 1) Σ_c t_c² / (Σw)²`` over the m clusters (PSUs drawn
    with replacement, no strata), then ``se(z) = se(r) / (1 − r²)``. This
    does not assume normality and accounts for clustering.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import NDArray
from scipy import stats as sps

from collabready.errors import UserError

__all__ = [
    "CorrelationMethod",
    "CorrelationResult",
    "ValidityInputError",
    "index_outcomes_correlation",
    "weighted_correlation",
]


class ValidityInputError(UserError, ValueError):
    """Input to a validity function that cannot be used as given."""


class CorrelationMethod(StrEnum):
    """How the standard error of Fisher's z is estimated."""

    FISHER_KISH = "fisher_kish"
    LINEARIZED = "linearized"


@dataclass(frozen=True, slots=True)
class CorrelationResult:
    """A weighted Pearson correlation with its confidence interval."""

    r: float
    ci_lower: float
    ci_upper: float
    confidence: float
    se_z: float
    n: int
    n_effective: float
    method: CorrelationMethod
    x: str = "x"
    y: str = "y"

    def to_frame(self) -> pd.DataFrame:
        """One row: the pair of variables, r, its interval, n and method."""
        return pd.DataFrame(
            {
                "x": [self.x],
                "y": [self.y],
                "r": [self.r],
                "ci_lower": [self.ci_lower],
                "ci_upper": [self.ci_upper],
                "confidence": [self.confidence],
                "se_z": [self.se_z],
                "n": [self.n],
                "n_effective": [self.n_effective],
                "method": [str(self.method)],
            }
        )


def _as_vector(values: Any, name: str) -> NDArray[np.float64]:
    arr = np.asarray(values, dtype=np.float64)
    if arr.ndim != 1:
        raise ValidityInputError(f"{name} must be one-dimensional, got shape {arr.shape}")
    return arr


def weighted_correlation(
    *,
    x: NDArray[np.floating[Any]],
    y: NDArray[np.floating[Any]],
    weights: NDArray[np.floating[Any]] | None = None,
    clusters: NDArray[Any] | None = None,
    method: CorrelationMethod = CorrelationMethod.FISHER_KISH,
    confidence: float = 0.95,
    x_name: str = "x",
    y_name: str = "y",
) -> CorrelationResult:
    """Weighted Pearson correlation of ``x`` and ``y`` with a Fisher-z interval.

    See the module docstring for the two standard errors. ``clusters`` (one
    label per respondent) is used by ``LINEARIZED`` only. Returns NaNs when
    fewer than 4 respondents (or 2 clusters) are usable or a variable is
    constant.
    """
    xv, yv = _as_vector(x, "x"), _as_vector(y, "y")
    n_all = xv.shape[0]
    w = np.ones(n_all) if weights is None else _as_vector(weights, "weights")
    for name, arr in (("y", yv), ("weights", w)):
        if arr.shape[0] != n_all:
            raise ValidityInputError(f"{name} has {arr.shape[0]} values, x has {n_all}")
    if clusters is not None and np.shape(clusters) != (n_all,):
        raise ValidityInputError(f"clusters must have one label per respondent ({n_all})")
    if np.any(~np.isfinite(w)) or np.any(w < 0):
        raise ValidityInputError("weights must be finite and non-negative")
    if not 0.0 < confidence < 1.0:
        raise ValidityInputError(f"confidence must be between 0 and 1, got {confidence}")
    keep = np.isfinite(xv) & np.isfinite(yv) & (w > 0)
    xv, yv, w = xv[keep], yv[keep], w[keep]
    n = int(xv.shape[0])
    sw = float(w.sum())
    n_eff = sw * sw / float(np.dot(w, w)) if n else 0.0
    nan = float("nan")

    def result(r: float, se_z: float) -> CorrelationResult:
        if np.isfinite(r) and abs(r) == 1.0:
            lo = hi = r  # a perfect correlation: the interval degenerates to the point
        elif np.isfinite(r) and np.isfinite(se_z):
            q = float(sps.norm.isf((1.0 - confidence) / 2.0))
            z = float(np.arctanh(r))
            lo, hi = float(np.tanh(z - q * se_z)), float(np.tanh(z + q * se_z))
        else:
            lo = hi = nan
        return CorrelationResult(r, lo, hi, confidence, se_z, n, n_eff, method, x=x_name, y=y_name)

    if n < 4:
        return result(nan, nan)
    dx = xv - float(np.dot(w, xv)) / sw
    dy = yv - float(np.dot(w, yv)) / sw
    sxx, syy, sxy = float(np.dot(w, dx * dx)), float(np.dot(w, dy * dy)), float(np.dot(w, dx * dy))
    if sxx <= 0.0 or syy <= 0.0:
        return result(nan, nan)
    r = float(np.clip(sxy / np.sqrt(sxx * syy), -1.0, 1.0))
    if method is CorrelationMethod.FISHER_KISH:
        se_z = 1.0 / np.sqrt(n_eff - 3.0) if n_eff > 3.0 else nan
        return result(r, float(se_z))
    u = dx / np.sqrt(sxx / sw)
    v = dy / np.sqrt(syy / sw)
    influence = w * (u * v - r * (u * u + v * v) / 2.0)
    if clusters is None:
        totals = influence
    else:
        _, codes = np.unique(np.asarray(clusters)[keep], return_inverse=True)
        totals = np.bincount(codes, weights=influence)
    m = totals.shape[0]
    if m < 2:
        return result(r, nan)
    centred = totals - totals.mean()
    var_r = m / (m - 1.0) * float(np.dot(centred, centred)) / (sw * sw)
    with np.errstate(divide="ignore", invalid="ignore"):
        return result(r, float(np.sqrt(var_r) / (1.0 - r * r)))


def index_outcomes_correlation(
    *,
    scores: pd.DataFrame,
    weights: NDArray[np.floating[Any]] | str | None = None,
    clusters: str | None = None,
    index_column: str = "index",
    outcome_column: str = "outcomes",
    method: CorrelationMethod = CorrelationMethod.FISHER_KISH,
    confidence: float = 0.95,
) -> CorrelationResult:
    """Correlation of the index with the outcomes composite, from a scores table.

    ``scores`` is a pandas table with the score columns of
    :func:`collabready.scoring.score`; ``weights`` and ``clusters`` may name
    columns of it.
    """
    for col in (index_column, outcome_column, clusters, weights):
        if isinstance(col, str) and col not in scores.columns:
            raise ValidityInputError(f"scores has no column {col!r}")
    w = scores[weights].to_numpy(dtype=np.float64) if isinstance(weights, str) else weights
    cl = None if clusters is None else scores[clusters].to_numpy()
    return weighted_correlation(
        x=scores[index_column].to_numpy(dtype=np.float64),
        y=scores[outcome_column].to_numpy(dtype=np.float64),
        weights=w,
        clusters=cl,
        method=method,
        confidence=confidence,
        x_name=index_column,
        y_name=outcome_column,
    )
