"""Internal-consistency reliability: Cronbach's alpha with a Feldt interval.

Everything is computed from the item covariance matrix, which comes from one
Gram matrix ``XᵀX`` over the column-major item matrix (see
:mod:`collabready.stats._moments`), so one pass over the data gives alpha,
its interval, the item–rest correlations and alpha-if-item-deleted.

Missing data
    A cell is missing when it is NaN (float input), outside ``1..points``
    (integer codes: 8 = don't know and 9 = not answered are missing) or false
    in the optional ``valid`` mask. By default (``MissingPolicy.LISTWISE``)
    only respondents with a valid answer to *every* item of the scale are
    used, as R ``psych::alpha(use = "complete.obs")`` and pingouin's
    ``nan_policy="listwise"`` do. ``MissingPolicy.PAIRWISE`` estimates each
    covariance from the respondents valid on both items (psych's default).

Weights
    With survey weights the covariances are weighted (see
    :meth:`ItemMoments.covariance`) and the Feldt interval uses Kish's
    effective sample size in place of n.

Example
    >>> import numpy as np
    >>> x = np.array([[1, 2, 2], [2, 2, 3], [3, 4, 3], [4, 4, 5], [5, 5, 4]], dtype=np.int8)
    >>> r = cronbach_alpha(items=np.asfortranarray(x), points=5)
    >>> round(r.alpha, 4), r.n
    (0.9286, 5)
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import NDArray
from scipy import stats as sps

from collabready.errors import UserError
from collabready.stats._moments import ItemMoments, item_moments

__all__ = [
    "AlphaResult",
    "MissingPolicy",
    "ReliabilityInputError",
    "alpha_from_covariance",
    "cronbach_alpha",
    "feldt_interval",
    "flip_reversed",
    "interval_n",
    "scale_moments",
]


class ReliabilityInputError(UserError, ValueError):
    """Input to a reliability function that cannot be used as given."""


class MissingPolicy(StrEnum):
    """How respondents with some items missing are used."""

    LISTWISE = "listwise"
    PAIRWISE = "pairwise"


@dataclass(frozen=True, slots=True)
class AlphaResult:
    """Cronbach's alpha of one scale, with its Feldt interval and item statistics.

    ``n`` is the number of respondents used (listwise: complete on every item;
    pairwise: valid on at least one), ``n_interval`` the n that the Feldt
    interval used (Kish's effective n with weights; the smallest pair count
    under pairwise deletion). NaN alpha means the scale had no variance or
    fewer than two usable respondents.
    """

    alpha: float
    ci_lower: float
    ci_upper: float
    confidence: float
    n: int
    n_interval: float
    items: tuple[str, ...]
    item_rest: tuple[float, ...]
    alpha_if_deleted: tuple[float, ...]
    missing: MissingPolicy

    @property
    def k(self) -> int:
        return len(self.items)

    def to_frame(self) -> pd.DataFrame:
        """One row: alpha, interval, k and n."""
        return pd.DataFrame(
            {
                "alpha": [self.alpha],
                "ci_lower": [self.ci_lower],
                "ci_upper": [self.ci_upper],
                "confidence": [self.confidence],
                "k": [self.k],
                "n": [self.n],
                "n_interval": [self.n_interval],
                "missing": [str(self.missing)],
            }
        )

    def items_frame(self) -> pd.DataFrame:
        """One row per item: item–rest correlation and alpha if the item were deleted."""
        return pd.DataFrame(
            {
                "item": list(self.items),
                "item_rest": list(self.item_rest),
                "alpha_if_deleted": list(self.alpha_if_deleted),
            }
        )


def feldt_interval(
    *, alpha: float, n: float, k: int, confidence: float = 0.95
) -> tuple[float, float]:
    """Feldt, Woodruff & Salih (1987) interval for alpha.

    ``(1 - alpha_pop) / (1 - alpha)`` follows F with ``n - 1`` and
    ``(n - 1)(k - 1)`` degrees of freedom, so the interval is
    ``1 - (1 - alpha) · F_{1-p/2}`` to ``1 - (1 - alpha) · F_{p/2}``, as in R
    ``psych::alpha.ci`` and pingouin. Returns NaNs when ``n < 2`` or alpha is NaN.
    """
    if not 0.0 < confidence < 1.0:
        raise ReliabilityInputError(f"confidence must be between 0 and 1, got {confidence}")
    if not np.isfinite(alpha) or n < 2 or k < 2:
        return (float("nan"), float("nan"))
    df1 = n - 1.0
    df2 = df1 * (k - 1)
    tail = (1.0 - confidence) / 2.0
    lower = 1.0 - (1.0 - alpha) * float(sps.f.isf(tail, df1, df2))
    upper = 1.0 - (1.0 - alpha) * float(sps.f.isf(1.0 - tail, df1, df2))
    return (lower, upper)


def _alpha_of(cov: NDArray[np.float64], *, clamp: bool) -> float:
    k = cov.shape[0]
    total = float(cov.sum())
    trace = float(np.trace(cov))
    if k < 2 or not np.isfinite(total) or total <= 0.0:
        return float("nan")
    value: float = k * (total - trace) / ((k - 1) * total)
    # A positive semi-definite covariance gives alpha <= 1 exactly; only rounding can exceed it.
    return min(value, 1.0) if clamp else value


def alpha_from_covariance(
    *,
    covariance: NDArray[np.float64],
    n: float,
    items: Sequence[str] | None = None,
    confidence: float = 0.95,
    used: int | None = None,
    missing: MissingPolicy = MissingPolicy.LISTWISE,
) -> AlphaResult:
    """Alpha, Feldt interval, item–rest correlations and alpha-if-deleted from a covariance.

    ``n`` is the sample size the interval uses. ``missing`` records how the
    covariance was estimated; under listwise deletion it is positive
    semi-definite and alpha is capped at 1 against rounding.
    """
    cov = np.asarray(covariance, dtype=np.float64)
    if cov.ndim != 2 or cov.shape[0] != cov.shape[1]:
        raise ReliabilityInputError(f"covariance must be a square matrix, got shape {cov.shape}")
    k = cov.shape[0]
    if k < 2:
        raise ReliabilityInputError(f"alpha needs at least 2 items, got {k}")
    names = tuple(items) if items is not None else tuple(f"item{i + 1}" for i in range(k))
    if len(names) != k:
        raise ReliabilityInputError(f"{len(names)} item names for {k} items")
    clamp = missing is MissingPolicy.LISTWISE
    alpha = _alpha_of(cov, clamp=clamp)
    lower, upper = feldt_interval(alpha=alpha, n=n, k=k, confidence=confidence)
    rowsum = cov.sum(axis=1)
    total = float(cov.sum())
    diag = np.diag(cov)
    rest_var = total - 2.0 * rowsum + diag
    with np.errstate(invalid="ignore", divide="ignore"):
        item_rest = (rowsum - diag) / np.sqrt(diag * rest_var)
    if k >= 3:
        keep = np.ones(k, dtype=bool)
        dropped = []
        for i in range(k):
            keep[i] = False
            dropped.append(_alpha_of(cov[np.ix_(keep, keep)], clamp=clamp))
            keep[i] = True
    else:
        dropped = [float("nan")] * k
    return AlphaResult(
        alpha=alpha,
        ci_lower=lower,
        ci_upper=upper,
        confidence=confidence,
        n=int(n) if used is None else used,
        n_interval=float(n),
        items=names,
        item_rest=tuple(float(v) for v in item_rest),
        alpha_if_deleted=tuple(dropped),
        missing=missing,
    )


def flip_reversed(covariance: NDArray[np.float64], reverse: Sequence[bool]) -> NDArray[np.float64]:
    """Covariance after reverse-coding the flagged items.

    ``code' = points + 1 - code`` only changes the sign of the item, so the
    covariance becomes ``D C D`` with ``D = diag(±1)``: no pass over the data.
    """
    sign = np.where(np.asarray(reverse, dtype=bool), -1.0, 1.0)
    out: NDArray[np.float64] = covariance * np.outer(sign, sign)
    return out


def _check_items(
    items: NDArray[Any], weights: NDArray[np.float64] | None, valid: NDArray[np.bool_] | None
) -> None:
    if items.ndim != 2:
        raise ReliabilityInputError(
            f"items must be a 2-D respondents × items matrix, got {items.ndim} dimension(s)"
        )
    if items.dtype.kind not in "iufb":
        raise ReliabilityInputError(f"items must be numeric codes, got dtype {items.dtype}")
    if items.shape[1] < 2:
        raise ReliabilityInputError(f"a scale needs at least 2 items, got {items.shape[1]}")
    n = items.shape[0]
    if weights is not None:
        if weights.shape != (n,):
            raise ReliabilityInputError(
                f"weights must have one value per respondent ({n}), got shape {weights.shape}"
            )
        if not np.all(np.isfinite(weights)) or np.any(weights < 0):
            raise ReliabilityInputError("weights must be finite and non-negative")
    if valid is not None and valid.shape != items.shape:
        raise ReliabilityInputError(
            f"valid mask has shape {valid.shape}, items have shape {items.shape}"
        )


def scale_moments(
    *,
    items: NDArray[Any],
    points: int | None = None,
    valid: NDArray[np.bool_] | None = None,
    weights: NDArray[np.float64] | None = None,
    missing: MissingPolicy = MissingPolicy.LISTWISE,
) -> ItemMoments:
    """Validated one-pass moments of a scale's items (codes ``1..points`` valid)."""
    _check_items(items, weights, valid)
    if points is not None and points < 1:
        raise ReliabilityInputError(f"points must be at least 1, got {points}")
    w = None if weights is None else np.asarray(weights, dtype=np.float64)
    return item_moments(
        block=items,
        lo=None if points is None else 1,
        hi=points,
        valid=valid,
        weights=w,
        listwise=missing is MissingPolicy.LISTWISE,
    )


def interval_n(moments: ItemMoments, missing: MissingPolicy) -> float:
    """The n of the Feldt interval: respondents used (or smallest pair count), Kish-adjusted."""
    if moments.used == 0:
        return 0.0
    base = float(moments.used)
    if missing is MissingPolicy.PAIRWISE:
        base = float(moments.count.min())
    return base * moments.effective_n / moments.used


def cronbach_alpha(
    *,
    items: NDArray[Any],
    item_ids: Sequence[str] | None = None,
    points: int | None = None,
    reverse: Sequence[bool] | None = None,
    valid: NDArray[np.bool_] | None = None,
    weights: NDArray[np.float64] | None = None,
    missing: MissingPolicy = MissingPolicy.LISTWISE,
    confidence: float = 0.95,
) -> AlphaResult:
    """Cronbach's (1951) alpha of the columns of ``items`` (respondents × items).

    ``items`` is best column-major (Fortran order) int8 codes; float input
    with NaN for missing also works. ``reverse`` flags reverse-coded items.
    See the module docstring for missing data and weights.
    """
    k = items.shape[1] if items.ndim == 2 else 0
    if reverse is not None and len(reverse) != k:
        raise ReliabilityInputError(f"reverse has {len(reverse)} flags for {k} items")
    moments = scale_moments(
        items=items, points=points, valid=valid, weights=weights, missing=missing
    )
    cov = moments.covariance()
    if reverse is not None:
        cov = flip_reversed(cov, reverse)
    return alpha_from_covariance(
        covariance=cov,
        n=interval_n(moments, missing),
        items=item_ids,
        confidence=confidence,
        used=moments.used,
        missing=missing,
    )
