"""The statistics the reports need, behind one narrow interface.

Every figure in a report comes through the functions here. They delegate to
:mod:`collabready.stats` where the engine provides the method; where it does
not (yet), the fallback below is a plain design-based implementation:

- raking by iterative proportional fitting on the one-way margins;
- domain means with Taylor-linearised standard errors, organisations as
  clusters (with-replacement variance), t intervals on ``clusters - 1``
  degrees of freedom;
- differences (paired within respondents, or between domains) from the
  difference of influence values, so correlation between the two estimates is
  accounted for.

The fallback ignores the calibration when estimating the variance, so its
standard errors are slightly conservative for raked weights.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray
from scipy import stats as sps

from collabready.errors import UserError

F64 = NDArray[np.float64]
I64 = NDArray[np.int64]


class WeightingError(UserError, ValueError):
    """The sample cannot be weighted to the margins given."""


@dataclass(frozen=True, slots=True)
class Weights:
    weights: F64
    iterations: int
    converged: bool
    max_residual: float

    @property
    def kish_deff(self) -> float:
        w = self.weights
        return float(w.size * np.sum(w**2) / np.sum(w) ** 2)

    @property
    def n_effective(self) -> float:
        return float(self.weights.size / self.kish_deff)

    @property
    def cv(self) -> float:
        return float(np.std(self.weights) / np.mean(self.weights))


def rake(
    *,
    groups: dict[str, tuple[I64, tuple[str, ...]]],
    totals: dict[str, dict[str, float]],
    tolerance: float = 1e-8,
    max_iterations: int = 200,
) -> Weights:
    """Rake unit base weights to one-way population totals.

    ``groups`` maps each margin variable to (codes per respondent, level names);
    ``totals`` maps variable -> level -> population total.
    """
    n = next(iter(groups.values()))[0].size
    for var, (_, levels) in groups.items():
        missing = [lv for lv in levels if lv not in totals[var]]
        if missing:
            raise WeightingError(f"margins: no population total for {var} = {missing[0]!r}")
        for lv, total in totals[var].items():
            if lv not in levels:
                raise WeightingError(
                    f"margins: {var} = {lv!r} has a population total ({total:,.0f}) "
                    "but no respondents"
                )
    # work on the table of cells: weights are constant within a cell
    keys = np.zeros(n, dtype=np.int64)
    for codes, levels in groups.values():
        keys = keys * len(levels) + codes
    cells, inverse, counts = np.unique(keys, return_inverse=True, return_counts=True)
    cell_codes = {}
    rest = cells.copy()
    for var, (_, levels) in reversed(list(groups.items())):
        cell_codes[var] = rest % len(levels)
        rest //= len(levels)
    w = np.ones(cells.size)
    residual = math.inf
    it = 0
    for it in range(1, max_iterations + 1):  # noqa: B007 - the count is reported
        for var, (_, levels) in groups.items():
            target = np.array([totals[var][lv] for lv in levels])
            have = np.bincount(cell_codes[var], weights=w * counts, minlength=len(levels))
            w *= (target / have)[cell_codes[var]]
        residual = 0.0
        for var, (_, levels) in groups.items():
            target = np.array([totals[var][lv] for lv in levels])
            have = np.bincount(cell_codes[var], weights=w * counts, minlength=len(levels))
            residual = max(residual, float(np.max(np.abs(have - target) / target)))
        if residual < tolerance:
            break
    return Weights(w[inverse], it, residual < tolerance, residual)


@dataclass(frozen=True, slots=True)
class Design:
    """Weights and clusters (organisations) for n respondents."""

    weights: F64
    cluster: I64
    n_clusters: int

    @staticmethod
    def of(weights: F64, organisation: NDArray[np.int64]) -> Design:
        _, inverse = np.unique(organisation, return_inverse=True)
        return Design(weights, inverse.astype(np.int64), int(inverse.max()) + 1)

    @property
    def df(self) -> int:
        return max(self.n_clusters - 1, 1)


@dataclass(frozen=True, slots=True)
class DomainMeans:
    """Means of one variable in each domain (level), with SE, t CI and counts."""

    estimate: F64
    se: F64
    low: F64
    high: F64
    n: I64
    influence: F64  # n_domains x n matrix, used for differences

    def diff(self, a: int, b: int, design: Design) -> Difference:
        return _difference(
            self.estimate[a] - self.estimate[b], self.influence[a] - self.influence[b], design
        )


@dataclass(frozen=True, slots=True)
class Difference:
    estimate: float
    se: float
    low: float
    high: float
    p_value: float


def _variance(z: F64, design: Design) -> float:
    totals = np.bincount(design.cluster, weights=z, minlength=design.n_clusters)
    m = design.n_clusters
    return float(m / max(m - 1, 1) * np.sum((totals - totals.mean()) ** 2))


def _difference(est: float, z: F64, design: Design) -> Difference:
    se = math.sqrt(_variance(z, design))
    t = float(sps.t.ppf(0.975, design.df))
    p = float(2 * sps.t.sf(abs(est) / se, design.df)) if se > 0 else (0.0 if est else 1.0)
    return Difference(est, se, est - t * se, est + t * se, p)


def domain_means(
    *, y: F64, design: Design, domain: I64 | None = None, n_domains: int = 1
) -> DomainMeans:
    """Weighted mean of ``y`` (NaN = missing) in each domain, design-based."""
    if domain is None:
        domain = np.zeros(y.size, dtype=np.int64)
    ok = ~np.isnan(y)
    w = np.where(ok, design.weights, 0.0)
    yv = np.where(ok, y, 0.0)
    wsum = np.bincount(domain, weights=w, minlength=n_domains)
    est = np.bincount(domain, weights=w * yv, minlength=n_domains) / np.where(wsum > 0, wsum, 1)
    n = np.bincount(domain[ok], minlength=n_domains).astype(np.int64)
    influence = np.zeros((n_domains, y.size))
    se = np.full(n_domains, np.nan)
    for d in range(n_domains):
        if wsum[d] <= 0:
            continue
        in_d = domain == d
        influence[d] = np.where(in_d, w * (yv - est[d]) / wsum[d], 0.0)
        se[d] = math.sqrt(_variance(influence[d], design))
    t = float(sps.t.ppf(0.975, design.df))
    est = np.where(wsum > 0, est, np.nan)
    return DomainMeans(est, se, est - t * se, est + t * se, n, influence)


def paired_difference(*, a: F64, b: F64, design: Design) -> tuple[Difference, int]:
    """Mean of ``a - b`` over respondents with both, design-based; and that count."""
    d = a - b
    res = domain_means(y=d, design=design)
    return (
        Difference(
            float(res.estimate[0]),
            float(res.se[0]),
            float(res.low[0]),
            float(res.high[0]),
            float(2 * sps.t.sf(abs(res.estimate[0]) / res.se[0], design.df)),
        ),
        int(res.n[0]),
    )


def holm(p_values: list[float]) -> list[float]:
    """Holm's step-down adjusted p-values."""
    m = len(p_values)
    order = sorted(range(m), key=lambda i: p_values[i])
    adjusted = [0.0] * m
    running = 0.0
    for rank, i in enumerate(order):
        running = max(running, min(1.0, (m - rank) * p_values[i]))
        adjusted[i] = running
    return adjusted


@dataclass(frozen=True, slots=True)
class Correlation:
    r: float
    low: float
    high: float
    n: int


def weighted_correlation(*, x: F64, y: F64, weights: F64, n_effective: float) -> Correlation:
    """Weighted Pearson correlation with a Fisher-z interval on the effective n."""
    ok = ~(np.isnan(x) | np.isnan(y))
    w, xv, yv = weights[ok], x[ok], y[ok]
    mx, my = np.average(xv, weights=w), np.average(yv, weights=w)
    cov = np.average((xv - mx) * (yv - my), weights=w)
    r = float(
        cov
        / math.sqrt(np.average((xv - mx) ** 2, weights=w) * np.average((yv - my) ** 2, weights=w))
    )
    n_eff = n_effective * ok.mean()
    half = 1.959963984540054 / math.sqrt(max(n_eff - 3, 1))
    z = math.atanh(r)
    return Correlation(r, math.tanh(z - half), math.tanh(z + half), int(ok.sum()))


@dataclass(frozen=True, slots=True)
class Coefficient:
    term: str
    estimate: float
    se: float
    low: float
    high: float
    p_value: float


def design_regression(
    *, y: F64, X: F64, terms: tuple[str, ...], design: Design
) -> tuple[tuple[Coefficient, ...], float, int]:
    """Weighted least squares with sandwich (linearised, clustered) SEs; R² and n."""
    ok = ~(np.isnan(y) | np.isnan(X).any(axis=1))
    Xo = np.column_stack([np.ones(ok.sum()), X[ok]])
    yo, w = y[ok], design.weights[ok]
    XtW = Xo.T * w
    bread = np.linalg.inv(XtW @ Xo)
    beta = bread @ (XtW @ yo)
    resid = yo - Xo @ beta
    scores = Xo * (w * resid)[:, None]
    clusters = design.cluster[ok]
    m = int(clusters.max()) + 1
    totals = np.zeros((m, Xo.shape[1]))
    np.add.at(totals, clusters, scores)
    totals -= totals.mean(axis=0)
    meat = m / max(m - 1, 1) * totals.T @ totals
    cov = bread @ meat @ bread
    se = np.sqrt(np.diag(cov))
    t = float(sps.t.ppf(0.975, design.df))
    ybar = np.average(yo, weights=w)
    r2 = float(1 - np.sum(w * resid**2) / np.sum(w * (yo - ybar) ** 2))
    coefs = tuple(
        Coefficient(
            name,
            float(beta[j]),
            float(se[j]),
            float(beta[j] - t * se[j]),
            float(beta[j] + t * se[j]),
            float(2 * sps.t.sf(abs(beta[j] / se[j]), design.df)),
        )
        for j, name in enumerate(("(intercept)", *terms))
    )
    return coefs, r2, int(ok.sum())
