"""McDonald's omega from a one-factor model fitted by minimum residuals (minres).

Estimation
    The one-factor model ``R ≈ λλᵀ + Ψ`` is fitted to the item *correlation*
    matrix ``R`` by minimum residuals (unweighted least squares on the
    off-diagonal elements), the default of R ``psych::fa`` and of
    ``psych::omega``: the loadings ``λ`` minimise
    ``Σ_{i≠j} (r_ij − λ_i λ_j)²`` with ``λ_i² ≤ 0.995`` (psych's bound on the
    uniquenesses ``ψ_i = 1 − λ_i² ≥ 0.005``), solved by L-BFGS-B with the
    analytic gradient from the first principal axis. Loadings are signed so
    that their sum is positive; reverse-coded items should already be flipped.

Coefficients (with ``V_t = 1ᵀR1``, the variance of the standardised total)
    * ``omega_total = 1 − Σψ / V_t`` — ``omega.tot`` of ``psych::omega``
      (McDonald 1999, ch. 6; what psych reports and our golden tests check);
    * ``omega_hierarchical = (Σλ)² / V_t`` — the share of total-score variance
      due to the common factor (psych's ``omega_h``);
    * ``omega_model = (Σλ)² / ((Σλ)² + Σψ)`` — McDonald's coefficient with the
      model-implied total variance.

    For a one-factor model that fits well the three agree closely; a gap
    between ``omega_total`` and ``omega_hierarchical`` is the off-diagonal
    residual the single factor leaves.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import NDArray
from scipy import optimize

from collabready.stats.reliability import (
    MissingPolicy,
    ReliabilityInputError,
    flip_reversed,
    scale_moments,
)

__all__ = ["OmegaResult", "mcdonald_omega", "omega_from_covariance", "one_factor_minres"]

_MAX_COMMUNALITY = 0.995


@dataclass(frozen=True, slots=True)
class OmegaResult:
    """McDonald's omega for one scale, with the one-factor solution behind it."""

    omega_total: float
    omega_hierarchical: float
    omega_model: float
    items: tuple[str, ...]
    loadings: tuple[float, ...]
    uniquenesses: tuple[float, ...]
    converged: bool

    def to_frame(self) -> pd.DataFrame:
        """One row per item: loading and uniqueness, with the scale's coefficients repeated."""
        return pd.DataFrame(
            {
                "item": list(self.items),
                "loading": list(self.loadings),
                "uniqueness": list(self.uniquenesses),
                "omega_total": self.omega_total,
                "omega_hierarchical": self.omega_hierarchical,
                "omega_model": self.omega_model,
            }
        )


def _objective(
    lam: NDArray[np.float64], r: NDArray[np.float64]
) -> tuple[float, NDArray[np.float64]]:
    resid = r - np.outer(lam, lam)
    np.fill_diagonal(resid, 0.0)
    value = float(np.sum(resid * resid))
    grad: NDArray[np.float64] = -4.0 * (resid @ lam)
    return value, grad


def one_factor_minres(correlation: NDArray[np.float64]) -> tuple[NDArray[np.float64], bool]:
    """Minres loadings of one factor for a correlation matrix, and whether the fit converged."""
    r = np.asarray(correlation, dtype=np.float64)
    k = r.shape[0]
    values, vectors = np.linalg.eigh(r)
    start = vectors[:, -1] * np.sqrt(max(values[-1], 0.0))
    if start.sum() < 0:
        start = -start
    bound = float(np.sqrt(_MAX_COMMUNALITY))
    start = np.clip(start, -bound, bound)
    fit = optimize.minimize(
        _objective,
        start,
        args=(r,),
        jac=True,
        method="L-BFGS-B",
        bounds=[(-bound, bound)] * k,
        options={"ftol": 1e-15, "gtol": 1e-12, "maxiter": 10_000},
    )
    lam = np.asarray(fit.x, dtype=np.float64)
    if lam.sum() < 0:
        lam = -lam
    return lam, bool(fit.success)


def omega_from_covariance(
    *, covariance: NDArray[np.float64], items: Sequence[str] | None = None
) -> OmegaResult:
    """Omega coefficients of the scale with this item covariance (or correlation) matrix."""
    cov = np.asarray(covariance, dtype=np.float64)
    if cov.ndim != 2 or cov.shape[0] != cov.shape[1]:
        raise ReliabilityInputError(f"covariance must be a square matrix, got shape {cov.shape}")
    k = cov.shape[0]
    names = tuple(items) if items is not None else tuple(f"item{i + 1}" for i in range(k))
    if len(names) != k:
        raise ReliabilityInputError(f"{len(names)} item names for {k} items")
    nan = float("nan")
    sd = np.sqrt(np.diag(cov))
    if k < 2 or not np.all(np.isfinite(cov)) or np.any(sd <= 0.0):
        return OmegaResult(nan, nan, nan, names, (nan,) * k, (nan,) * k, converged=False)
    r = cov / np.outer(sd, sd)
    lam, converged = one_factor_minres(r)
    psi = 1.0 - lam * lam
    v_total = float(r.sum())
    common = float(lam.sum()) ** 2
    unique = float(psi.sum())
    return OmegaResult(
        omega_total=1.0 - unique / v_total,
        omega_hierarchical=common / v_total,
        omega_model=common / (common + unique),
        items=names,
        loadings=tuple(float(v) for v in lam),
        uniquenesses=tuple(float(v) for v in psi),
        converged=converged,
    )


def mcdonald_omega(
    *,
    items: NDArray[Any],
    item_ids: Sequence[str] | None = None,
    points: int | None = None,
    reverse: Sequence[bool] | None = None,
    valid: NDArray[np.bool_] | None = None,
    weights: NDArray[np.float64] | None = None,
    missing: MissingPolicy = MissingPolicy.LISTWISE,
) -> OmegaResult:
    """McDonald's omega of the columns of ``items``; missing data as for ``cronbach_alpha``."""
    k = items.shape[1] if items.ndim == 2 else 0
    if reverse is not None and len(reverse) != k:
        raise ReliabilityInputError(f"reverse has {len(reverse)} flags for {k} items")
    moments = scale_moments(
        items=items, points=points, valid=valid, weights=weights, missing=missing
    )
    cov = moments.covariance()
    if reverse is not None:
        cov = flip_reversed(cov, reverse)
    return omega_from_covariance(covariance=cov, items=item_ids)
