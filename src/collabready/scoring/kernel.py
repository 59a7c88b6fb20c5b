"""The scoring kernel: a column-major code matrix in, a matrix of 0-100 scores out.

Each subscale's answers are folded into one small unsigned integer per
respondent (answered count in the high bits, points in the low bits: see
:class:`~collabready.scoring.plan.Group`) by a handful of ufuncs over all the
subscales of a group at once, and a lookup table turns that integer into the
score. Blocks, gaps and overall scores are then derived in ``float32`` (seven
significant digits: far finer than any score needs, and half the memory
traffic of float64), again a few whole-array operations at a time.

Rows are processed in chunks small enough to stay in the CPU cache. The rows
are split between a small pool of threads (numpy releases the GIL inside its
loops), each with its own scratch buffers.

See docs/scoring.md for the rules; :mod:`collabready.scoring.plan` for what is
scored.
"""

from __future__ import annotations

import math
import os
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import numpy as np
from numpy.typing import NDArray

from collabready.scoring.plan import ScoringPlan

#: Rows per chunk: a group of 60 uint8 items is ~1 MiB and a float32 score column 64 KiB.
CHUNK_ROWS = 1 << 14


def _threads() -> int:
    return max(1, min(2, os.cpu_count() or 1))


class _Scratch:
    """Working buffers for chunks of up to ``rows`` rows (one set per thread)."""

    def __init__(self, plan: ScoringPlan, rows: int) -> None:
        widest = max(g.size * g.count for g in plan.groups)
        most = max(g.count for g in plan.groups)
        item_dtypes = {g.item_dtype for g in plan.groups}
        # flat, so that a chunk's (rows, columns) view is exactly Fortran-contiguous
        # and reshapes to (rows, items, subscales) without a copy
        self.items = {d: np.empty(rows * widest, dtype=d) for d in item_dtypes}
        self.valid = {d: np.empty(rows * widest, dtype=d) for d in item_dtypes}
        self.packed = {d: np.empty(rows * most, dtype=d) for d in {g.dtype for g in plan.groups}}
        n_sub, n_blocks = len(plan.subscales), len(plan.block_ids)
        # zero-filled subscale scores and "has a score" flags, for deriving blocks
        # and overall scores without any NaN tests (masking NaNs is slow)
        self.zero = np.empty(rows * n_sub, dtype=np.float32)
        self.flags = np.empty(rows * n_sub, dtype=np.uint8)
        self.blocks = np.empty(rows * n_blocks, dtype=np.float32)
        self.both = np.empty(rows * n_blocks, dtype=np.uint8)
        self.sums = np.empty(rows * 3, dtype=np.float32)
        self.counts = np.empty(rows * 3, dtype=np.uint8)
        self.enough = np.empty(rows * 3, dtype=np.uint8)
        self.counts_f = np.empty(rows * 3, dtype=np.float32)


def _fortran(flat: NDArray[Any], *shape: int) -> NDArray[Any]:
    """The first ``prod(shape)`` elements of ``flat`` as a Fortran-ordered array."""
    return flat[: math.prod(shape)].reshape(shape, order="F")


def _score_chunk(
    plan: ScoringPlan,
    codes: NDArray[np.uint8],
    out: NDArray[np.float32],
    rows: tuple[int, int],
    scratch: _Scratch,
) -> None:
    r0, r1 = rows
    n = r1 - r0
    chunk = codes[r0:r1]
    for g in plan.groups:
        width = g.size * g.count
        t = _fortran(scratch.items[g.item_dtype], n, width)
        valid = _fortran(scratch.valid[g.item_dtype], n, width)
        packed = _fortran(scratch.packed[g.dtype], n, g.count)
        # code 1..points -> 0..points-1; anything else wraps round to >= points.
        # Every ufunc here sees one unsigned type only: a bool or a scalar of
        # another type would send numpy down its slow, buffered mixed-type path.
        np.subtract(chunk[:, g.columns], 1, out=t)
        np.less(t, g.points, out=valid.view(np.bool_) if g.item_dtype is np.uint8 else valid)
        for j, top in g.reversed_items:
            np.subtract(top, t[:, j], out=t[:, j])
        if not isinstance(g.multiplier, int):
            np.multiply(t, g.multiplier, out=t)
        np.add(t, 1 << g.shift, out=t)
        np.multiply(t, valid, out=t)
        # as (rows, items, subscales), the sum over items packs each subscale's answers
        np.add.reduce(t.reshape((n, g.size, g.count), order="F"), axis=1, dtype=g.dtype, out=packed)
        for i in range(g.count):
            # a 2-D take is several times slower than one per column
            np.take(g.published, packed[:, i], out=out[r0:r1, g.first + i], mode="wrap")
    _derive(plan, out, r0, r1, scratch)


def _score_rows(
    plan: ScoringPlan, codes: NDArray[np.uint8], out: NDArray[np.float32], r0: int, r1: int
) -> None:
    scratch = _Scratch(plan, min(CHUNK_ROWS, r1 - r0))
    # np.errstate is thread-local: set it in each worker thread
    with np.errstate(invalid="ignore", divide="ignore"):
        for c0 in range(r0, r1, CHUNK_ROWS):
            _score_chunk(plan, codes, out, (c0, min(r1, c0 + CHUNK_ROWS)), scratch)


def _derive(
    plan: ScoringPlan, out: NDArray[np.float32], r0: int, r1: int, scratch: _Scratch
) -> None:
    """Blocks, gaps and overall scores of rows r0:r1 from their subscale scores (NaN = none).

    A block is the mean of its commitment and capacity scores (missing if either
    is); its gap is commitment minus capacity. Overall commitment, capacity and
    the index are means over the blocks that have a score, when at least
    ``plan.min_blocks_for_index`` do; the overall gap is their difference.
    """
    rows = r1 - r0
    n_blocks, n_sub = len(plan.block_ids), len(plan.subscales)
    scores = out[r0:r1]
    zero = _fortran(scratch.zero, rows, n_sub)
    np.fmax(scores[:, :n_sub], np.float32(0), out=zero)  # NaN -> 0; scores are never negative
    flags = _fortran(scratch.flags, rows, n_sub)
    np.equal(scores[:, :n_sub], scores[:, :n_sub], out=flags.view(np.bool_))  # not NaN
    # block b's commitment and capacity subscales are 2b and 2b + 1; its score
    # and gap columns follow the subscales, also interleaved
    com, cap = slice(0, 2 * n_blocks, 2), slice(1, 2 * n_blocks, 2)
    blocks = scores[:, n_sub : n_sub + 2 * n_blocks : 2]
    np.add(scores[:, com], scores[:, cap], out=blocks)  # NaN unless both are present
    np.multiply(blocks, np.float32(0.5), out=blocks)
    np.subtract(scores[:, com], scores[:, cap], out=scores[:, n_sub + 1 : n_sub + 2 * n_blocks : 2])
    zero_blocks = _fortran(scratch.blocks, rows, n_blocks)
    np.fmax(blocks, np.float32(0), out=zero_blocks)
    both = _fortran(scratch.both, rows, n_blocks)
    np.bitwise_and(flags[:, com], flags[:, cap], out=both)
    sums = _fortran(scratch.sums, rows, 3)
    counts = _fortran(scratch.counts, rows, 3)
    parts = ((zero[:, com], flags[:, com]), (zero[:, cap], flags[:, cap]), (zero_blocks, both))
    for i, (values, present) in enumerate(parts):
        np.add.reduce(values, axis=1, out=sums[:, i])
        np.add.reduce(present, axis=1, out=counts[:, i])
    # too few blocks: count and sum 0, and 0 / 0 = NaN
    enough = _fortran(scratch.enough, rows, 3)
    np.greater_equal(counts, plan.min_blocks_for_index, out=enough.view(np.bool_))
    np.multiply(counts, enough, out=counts)
    counts_f = _fortran(scratch.counts_f, rows, 3)
    counts_f[...] = enough  # casting copies are much faster than mixed-type ufuncs
    sums *= counts_f
    counts_f[...] = counts
    c = n_sub + 2 * n_blocks
    np.divide(sums, counts_f, out=scores[:, c : c + 3])
    np.subtract(scores[:, c], scores[:, c + 1], out=scores[:, c + 3])


def score_codes(
    plan: ScoringPlan, codes: NDArray[np.int8] | NDArray[np.uint8]
) -> NDArray[np.float32]:
    """Scores for every row of ``codes`` (n x items), as an n x len(plan.columns) matrix.

    ``codes`` should be column-major (Fortran order); a row-major matrix is
    converted first, which costs one pass.
    """
    if codes.ndim != 2 or codes.shape[1] != plan.n_items:
        raise ValueError(
            f"response matrix has shape {codes.shape}; expected (n, {plan.n_items}) "
            f"for {plan.instrument_key}"
        )
    u = np.asfortranarray(codes).view(np.uint8)
    n = u.shape[0]
    out = np.empty((n, len(plan.columns)), dtype=np.float32, order="F")
    if n == 0:
        return out
    threads = _threads() if n >= 4 * CHUNK_ROWS else 1
    # contiguous, chunk-aligned shares of the rows, one per thread
    per = -(-n // (threads * CHUNK_ROWS)) * CHUNK_ROWS
    shares = [(r0, min(n, r0 + per)) for r0 in range(0, n, per)]
    if len(shares) <= 1:
        for r0, r1 in shares:
            _score_rows(plan, u, out, r0, r1)
    else:
        with ThreadPoolExecutor(max_workers=len(shares)) as pool:
            list(pool.map(lambda b: _score_rows(plan, u, out, b[0], b[1]), shares))
    return out


def derive_from_subscales(plan: ScoringPlan, subscales: NDArray[np.float32]) -> NDArray[np.float32]:
    """Complete a score matrix from subscale scores alone (used for organisations)."""
    n = subscales.shape[0]
    out = np.empty((n, len(plan.columns)), dtype=np.float32, order="F")
    out[:, : len(plan.subscales)] = subscales
    scratch = _Scratch(plan, min(CHUNK_ROWS, max(n, 1)))
    with np.errstate(invalid="ignore", divide="ignore"):
        for r0 in range(0, n, CHUNK_ROWS):
            _derive(plan, out, r0, min(n, r0 + CHUNK_ROWS), scratch)
    return out


#: scores are compared with level bounds at four decimal places, so that float32
#: rounding (54.99999 for a true 55) never moves anyone down a level
LEVEL_TOLERANCE = 1e-4


def level_codes(plan: ScoringPlan, index: NDArray[np.float32]) -> NDArray[np.int8]:
    """The readiness level of each index score, as a position in ``plan.level_ids`` (-1 = none)."""
    level = np.full(index.shape, -1, dtype=np.int8)
    for i, lower in enumerate(plan.level_lower):
        level[index >= np.float32(lower - LEVEL_TOLERANCE)] = i
    return level
