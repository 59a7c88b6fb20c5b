"""Second moments of a set of items in one pass: the XᵀX kernel behind reliability.

Everything in :mod:`collabready.stats.reliability` is a function of the item
covariance matrix, and the covariance matrix is a function of one Gram matrix
``AᵀA`` (or ``AᵀWA`` with weights), where ``A`` is built from the item columns
and their validity indicators:

* listwise deletion: ``A = [m, (X - c)·m]`` with ``m`` the indicator "this
  respondent gave a valid answer to every item" (k + 1 columns);
* pairwise deletion: ``A = [V, (X - c)∘V]`` with ``V`` the n × k validity
  matrix (2k columns), so that ``VᵀV`` counts the respondents valid on both
  items of each pair, ``(X∘V)ᵀV`` holds the sums and ``(X∘V)ᵀ(X∘V)`` the
  cross-products over exactly those respondents.

``c`` is a per-column shift that keeps the numbers small. For integer codes
without weights the Gram matrix is computed with float32 BLAS in row chunks
small enough that every partial sum is an integer below 2**24, so float32 is
exact; the chunk results are accumulated in float64. Weighted or float input
uses float64 throughout.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

__all__ = ["ItemMoments", "item_moments"]

Float64Array = NDArray[np.float64]

_EXACT_F32 = 1 << 24
_MAX_CHUNK = 1 << 16


@dataclass(frozen=True, slots=True)
class ItemMoments:
    """Pairwise weighted moments of ``k`` items (all shifted by ``center``).

    ``count[i, j]`` respondents are valid on both items i and j, with total
    weight ``weight[i, j]``; over them, ``sums[i, j]`` is the weighted sum of
    item i and ``cross[i, j]`` the weighted sum of products. ``sum_w2`` is the
    sum of squared weights over the respondents used (listwise) or valid on at
    least one item (pairwise), ``used`` the number of those respondents.
    """

    count: Float64Array
    weight: Float64Array
    sums: Float64Array
    cross: Float64Array
    sum_w: float
    sum_w2: float
    used: int

    def covariance(self) -> Float64Array:
        """Item covariance matrix; unweighted it is the usual n - 1 estimator.

        With weights ``C_ij = (S_ij - s_i s_j / W_ij) / W_ij · n_ij / (n_ij - 1)``,
        which reduces to the n - 1 estimator when every weight is 1. Pairs with
        fewer than two respondents give NaN.
        """
        with np.errstate(invalid="ignore", divide="ignore"):
            centred = self.cross - self.sums * self.sums.T / self.weight
            cov: Float64Array = centred / self.weight * (self.count / (self.count - 1.0))
        cov[self.count < 2] = np.nan
        return cov

    @property
    def effective_n(self) -> float:
        """Kish effective sample size of the respondents used."""
        if self.sum_w2 <= 0.0:
            return 0.0
        return self.sum_w * self.sum_w / self.sum_w2


def _validity(
    block: NDArray[np.generic], lo: int | None, hi: int | None, valid: NDArray[np.bool_] | None
) -> NDArray[np.bool_]:
    """n × k validity of the block's cells (codes within lo..hi, finite floats, mask)."""
    n, k = block.shape
    out = np.empty((n, k), dtype=np.bool_, order="F")
    for j in range(k):
        col = block[:, j]
        if col.dtype.kind == "f":
            np.isfinite(col, out=out[:, j])
            if lo is not None and hi is not None:
                out[:, j] &= (col >= lo) & (col <= hi)
        elif lo is not None and hi is not None:
            info = np.iinfo(col.dtype) if col.dtype.kind in "iu" else None
            if info is not None and col.dtype.kind == "i" and info.min <= lo <= hi <= info.max:
                # (code - lo) as unsigned wraps invalid codes to large values: one comparison.
                shifted = (col - col.dtype.type(lo)).view(np.dtype(f"u{col.dtype.itemsize}"))
                np.less_equal(shifted, hi - lo, out=out[:, j])
            else:
                np.logical_and(col >= lo, col <= hi, out=out[:, j])
        else:
            out[:, j] = True
    if valid is not None:
        out &= valid
    return out


def _centres(
    block: NDArray[np.generic], ok: NDArray[np.bool_], lo: int | None, hi: int | None
) -> tuple[NDArray[np.float64], float]:
    """Per-column shift and the largest absolute shifted valid value."""
    k = block.shape[1]
    if lo is not None and hi is not None:
        c = float((lo + hi) // 2)
        return np.full(k, c), float(max(hi - c, c - lo, 1.0))
    centres = np.zeros(k)
    spread = 1.0
    for j in range(k):
        vals = block[ok[:, j], j]
        if vals.size:
            lo_j, hi_j = float(vals.min()), float(vals.max())
            centres[j] = np.floor((lo_j + hi_j) / 2.0)
            spread = max(spread, hi_j - centres[j], centres[j] - lo_j)
    return centres, spread


def item_moments(
    *,
    block: NDArray[np.generic],
    lo: int | None = None,
    hi: int | None = None,
    valid: NDArray[np.bool_] | None = None,
    weights: NDArray[np.float64] | None = None,
    listwise: bool = True,
) -> ItemMoments:
    """Moments of the ``n × k`` item matrix ``block`` (see the module docstring).

    A cell is valid when it is finite, within ``lo..hi`` (when given) and
    ``valid`` (when given) is true there. Respondents with zero weight count
    as not answering.
    """
    n, k = block.shape
    ok = _validity(block, lo, hi, valid)
    if weights is not None:
        ok &= (weights > 0)[:, None]
    centres, spread = _centres(block, ok, lo, hi)
    rows = ok.all(axis=1) if listwise else ok.any(axis=1)
    exact_ints = block.dtype.kind in "iub" and weights is None
    chunk = min(_MAX_CHUNK, max(1, _EXACT_F32 // int(np.ceil(spread)) ** 2))
    if not exact_ints or chunk < 1024:
        exact_ints = False
        chunk = _MAX_CHUNK
    dtype = np.float32 if exact_ints else np.float64
    width = k + 1 if listwise else 2 * k
    gram = np.zeros((width, width))
    buf = np.empty((min(chunk, max(n, 1)), width), dtype=dtype, order="F")
    shift = centres.astype(dtype)
    for start in range(0, n, chunk):
        stop = min(n, start + chunk)
        a = buf[: stop - start]
        x = a[:, width - k :]
        np.subtract(block[start:stop], shift, out=x, casting="unsafe")
        if listwise:
            a[:, 0] = rows[start:stop]
            np.multiply(x, a[:, :1], out=x)
        else:
            a[:, :k] = ok[start:stop]
            np.multiply(x, a[:, :k], out=x)
        if not exact_ints:
            np.nan_to_num(x, copy=False, nan=0.0, posinf=0.0, neginf=0.0)
        if weights is None:
            gram += a.T @ a
        else:
            gram += (a * weights[start:stop, None]).T @ a
    w_rows = np.ones(n) if weights is None else weights
    used_w = w_rows[rows]
    if listwise:
        n_used = float(np.count_nonzero(rows))
        count = np.full((k, k), n_used)
        weight = np.full((k, k), gram[0, 0])
        sums = np.repeat(gram[1:, 0][:, None], k, axis=1)
        cross = gram[1:, 1:]
    else:
        valid_f = ok.astype(np.float64)
        count = valid_f.T @ valid_f if weights is not None else gram[:k, :k].copy()
        weight = gram[:k, :k]
        sums = gram[k:, :k]
        cross = gram[k:, k:]
    return ItemMoments(
        count=count,
        weight=np.ascontiguousarray(weight),
        sums=np.ascontiguousarray(sums),
        cross=np.ascontiguousarray(cross),
        sum_w=float(used_w.sum()),
        sum_w2=float(np.dot(used_w, used_w)),
        used=int(np.count_nonzero(rows)),
    )
