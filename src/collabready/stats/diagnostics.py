"""Weight diagnostics: Kish design effect, effective sample size, range and spread."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import pandas as pd

from collabready.stats.errors import StatsInputError


@dataclass(frozen=True, slots=True)
class WeightDiagnostics:
    """Summary of a set of weights.

    ``kish_deff`` is Kish's design effect due to unequal weighting,
    ``n * sum(w**2) / sum(w)**2 = 1 + cv**2``; ``effective_n`` is
    ``n / kish_deff``; ``cv`` is the coefficient of variation (population
    standard deviation over mean).
    """

    n: int
    total: float
    mean: float
    minimum: float
    maximum: float
    ratio: float
    cv: float
    kish_deff: float
    effective_n: float

    def to_frame(self) -> pd.DataFrame:
        """One row per diagnostic (columns ``diagnostic``, ``value``)."""
        names: tuple[str, ...] = ("n", "total", "mean", "minimum", "maximum", "ratio")
        names += ("cv", "kish_deff", "effective_n")
        return pd.DataFrame(
            {"diagnostic": list(names), "value": [float(getattr(self, k)) for k in names]}
        )


def weight_diagnostics(weights: npt.ArrayLike) -> WeightDiagnostics:
    """Diagnostics of positive weights.

    >>> d = weight_diagnostics([1.0, 1.0, 2.0, 4.0])
    >>> round(d.kish_deff, 4), round(d.effective_n, 4)
    (1.375, 2.9091)
    """
    w = np.asarray(weights, dtype=np.float64)
    if w.ndim != 1 or w.size == 0:
        raise StatsInputError("weights must be a non-empty one-dimensional array")
    if not np.all(np.isfinite(w)) or np.any(w <= 0):
        raise StatsInputError("weights must be finite and positive")
    n = int(w.size)
    total = float(w.sum())
    mean = total / n
    sum_sq = float(np.dot(w, w))
    deff = n * sum_sq / total**2
    return WeightDiagnostics(
        n=n,
        total=total,
        mean=mean,
        minimum=float(w.min()),
        maximum=float(w.max()),
        ratio=float(w.max() / w.min()),
        cv=float(np.sqrt(max(deff - 1.0, 0.0))),
        kish_deff=deff,
        effective_n=n / deff,
    )
