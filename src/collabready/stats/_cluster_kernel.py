"""Compiled (numba) kernels for the clustered fused estimate: PSU totals of every variable at once.

The plain numpy route (:func:`collabready.stats.variance.fused_row_tables`
with ``engine="numpy"``) takes, for each variable, a bincount of ``w y`` over
the PSUs, a sort of the PSUs by fine key and ``reduceat`` sums of their
products: about ten passes over the rows per variable. These kernels do the
same sums for all variables together:

1. :func:`psu_layout`: one pass over the rows for what does not depend on a
   variable: the PSUs renumbered in order of first appearance (so that the
   passes below visit PSU arrays nearly in order), each PSU's weight ``W_u``,
   row count and fine key (or *mixed*, when its rows lie in more than one fine
   group), and the count and weight of every fine group;
2. :func:`shifts`: one pass per variable (sequential, no scatter) for the
   weighted mean each variable is centred at, as ``variance._centre``;
3. :func:`row_sums`: one pass over the rows for all variables: the PSU
   totals ``P_u = Σ w (y - shift)``, the fine sums of ``y - shift`` and
   ``w (y - shift)``, and, for rows missing a variable, the moves of their
   count and weight to the fine table's "missing" slot and each PSU's lost
   weight and rows;
4. :func:`psu_sums`: one pass over the PSUs: ``Σ s P²``, ``Σ s P W`` (and with
   missing values ``Σ s P Q``, ``Σ s Q²``, ``Σ s Q W``, the PSUs left with a
   valid row) of the simple PSUs by fine key, ``Q_u = W_u - lost weight``.

The sums are the same as numpy's up to the order of additions (about 1e-16
relative each; the tests hold the two routes to 1e-12). Every array is
float64 or int64 and C-contiguous, so each kernel compiles once, except that the
variables may also come as float32 (the score columns: each value is widened to
float64 as it is read, so the sums equal those of a float64 copy exactly), which
compiles :func:`shifts` and :func:`row_sums` a second time; compiled code
is cached on disk (``cache=True``: next to this file in ``__pycache__``, or,
where that is not writable, numba's user-wide cache directory; ``NUMBA_CACHE_DIR``
overrides both), so only the first process after a change pays the compile.
"""

# numba compiles positional parameters only (no keyword-only ones)
# ruff: noqa: PLR0917

from __future__ import annotations

import math
from typing import Any

import numpy as np
from numba import njit

#: the layout of :func:`psu_sums`'s output: term t of variable j is column t * k + j
PSU_TERMS = ("s_pp", "s_pw", "count", "s_pq", "s_qq", "s_qw")


@njit(cache=True, nogil=True)
def psu_layout(key: Any, psu: Any, w: Any, n_psu: int, key_scale: Any) -> Any:  # pragma: no cover
    """What does not depend on a variable: each row's PSU slot and the PSUs with several rows.

    A PSU with one row (most, where organisations are PSUs and many answer
    alone) needs no PSU total: its total is the row's own value, so its terms
    go straight into the fine tables. The others are numbered ``0..m-1`` in
    order of first appearance, so that a pass over the rows visits their
    totals nearly in order (only a PSU's second and later rows jump back).

    Returns each row's slot (``-1``: a PSU of its own), the design's number of
    each multi-row PSU, by multi-row PSU (m × 3) its weight ``W_u``, row count
    and fine key, whether it is mixed, and by fine key (size × 4) the rows'
    count and weight and the one-row PSUs' ``Σ s W²`` and count.
    """
    n = key.size
    size = key_scale.size
    # int32 by PSU: these arrays are read at random, and the smaller they are the
    # more of them stays in the cache
    rows = np.zeros(n_psu, dtype=np.int32)
    first = np.empty(n_psu, dtype=np.int32)  # the fine key of the PSU's first row
    mixed_any = np.zeros(n_psu, dtype=np.bool_)
    fine = np.zeros((size, 4))
    for i in range(n):
        u = psu[i]
        k = key[i]
        if rows[u] == 0:
            first[u] = k
        elif first[u] != k:
            mixed_any[u] = True
        rows[u] += 1
        fine[k, 0] += 1.0
        fine[k, 1] += w[i]
    slot = np.empty(n, dtype=np.int32)
    number = np.full(n_psu, -1, dtype=np.int32)
    order = np.empty(n_psu, dtype=np.int64)
    m = 0
    for i in range(n):
        u = psu[i]
        if rows[u] == 1:
            k = key[i]
            wi = w[i]
            slot[i] = -1
            fine[k, 2] += key_scale[k] * wi * wi
            fine[k, 3] += 1.0
            continue
        r = number[u]
        if r < 0:
            r = m
            m += 1
            number[u] = r
            order[r] = u
        slot[i] = r
    info = np.zeros((m, 3))
    mixed = np.zeros(m, dtype=np.bool_)
    for r in range(m):
        u = order[r]
        info[r, 1] = rows[u]
        info[r, 2] = first[u]
        mixed[r] = mixed_any[u]
    for i in range(n):
        r = slot[i]
        if r >= 0:
            info[r, 0] += w[i]
    return slot, order[:m], info, mixed, fine


@njit(cache=True, nogil=True)
def shifts(ys: Any, w: Any) -> Any:  # pragma: no cover
    """Each variable's weighted mean over its finite values (0 if none) and its missing count."""
    k, n = ys.shape
    shift = np.zeros(k)
    gone = np.zeros(k, dtype=np.int64)
    for j in range(k):
        sw = 0.0
        swy = 0.0
        g = 0
        for i in range(n):
            v = ys[j, i]
            if math.isfinite(v):
                sw += w[i]
                swy += w[i] * v
            else:
                g += 1
        gone[j] = g
        if g < n:
            shift[j] = swy / sw
    return shift, gone


@njit(cache=True, nogil=True)
def row_sums(
    ys: Any,
    shift: Any,
    w: Any,
    key: Any,
    slot: Any,
    key_scale: Any,
    width: int,
    m: int,
    lost: bool,
) -> Any:  # pragma: no cover
    """One pass over the rows for all variables.

    Returns the multi-row PSUs' totals ``P_u`` (m × k), their missing weight and
    rows of each variable (m × 2k; 0 × 2k unless ``lost``: apart, so that the
    totals a row adds to stay close together), the fine sums (size × 2k:
    Σ y, Σ w y), the moves of rows missing a variable to their missing slot
    (size × 2k: count, weight) and the one-row PSUs' terms by fine key
    (size × 4k: ``Σ s P²``, ``Σ s P W``, and for a variable with missing values
    ``Σ s Q²`` and the count of those with a valid row, with ``P = w y`` and ``Q
    = W = w``, or ``P = Q = 0`` for a missing value: ``Σ s P Q = Σ s P W`` and
    ``Σ s Q W = Σ s Q²``).
    """
    k, n = ys.shape
    size = key_scale.size
    acc = np.zeros((m, k))
    gone = np.zeros((m if lost else 0, 2 * k))
    fine = np.zeros((size, 2 * k))
    moves = np.zeros((size, 2 * k))
    out = np.zeros((size, 4 * k))
    for i in range(n):
        kk = key[i]
        wi = w[i]
        r = slot[i]
        s = key_scale[kk]
        sw = s * wi
        for j in range(k):
            v = ys[j, i]
            if math.isfinite(v):
                yc = v - shift[j]
                wy = wi * yc
                fine[kk, j] += yc
                fine[kk, k + j] += wy
                if r < 0:
                    out[kk, j] += s * wy * wy
                    out[kk, k + j] += sw * wy
                    if lost:
                        out[kk, 2 * k + j] += sw * wi
                        out[kk, 3 * k + j] += 1.0
                else:
                    acc[r, j] += wy
            elif lost:
                km = kk - kk % width + width - 1
                moves[kk, j] -= 1.0
                moves[km, j] += 1.0
                moves[kk, k + j] -= wi
                moves[km, k + j] += wi
                if r >= 0:
                    gone[r, j] += wi
                    gone[r, k + j] += 1.0
    return acc, gone, fine, moves, out


@njit(cache=True, nogil=True)
def psu_sums(
    acc: Any, gone: Any, info: Any, mixed: Any, scale: Any, size: int, lost: bool
) -> Any:  # pragma: no cover
    """The simple multi-row PSUs' terms by fine key: size × 6k (:data:`PSU_TERMS`; only
    the first two when not ``lost``) and their ``Σ s W²`` and count (size × 2)."""
    k = acc.shape[1]
    out = np.zeros((size, 6 * k if lost else 2 * k))
    common = np.zeros((size, 2))
    for u in range(acc.shape[0]):
        if mixed[u]:
            continue
        wu = info[u, 0]
        n_rows = info[u, 1]
        kk = int(info[u, 2])
        s = scale[u]
        common[kk, 0] += s * wu * wu
        common[kk, 1] += 1.0
        for j in range(k):
            pu = acc[u, j]
            sp = s * pu
            out[kk, j] += sp * pu
            out[kk, k + j] += sp * wu
            if lost:
                q = wu - gone[u, j]
                if gone[u, k + j] < n_rows:
                    out[kk, 2 * k + j] += 1.0
                out[kk, 3 * k + j] += sp * q
                out[kk, 4 * k + j] += s * q * q
                out[kk, 5 * k + j] += s * q * wu
    return out, common
