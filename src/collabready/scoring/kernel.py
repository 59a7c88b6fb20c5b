"""The scoring kernel: a column-major code matrix in, a matrix of 0-100 scores out.

The matrix is processed in row chunks small enough to stay in the CPU cache;
within a chunk each item column is read once. Subscale sums and answered counts
are accumulated in ``uint8`` (a subscale of up to 63 five-point items cannot
overflow), then turned into scores in ``float32`` (seven significant digits:
far finer than any score needs, and half the memory traffic of float64). Chunks are spread over a
small thread pool: numpy releases the GIL inside its loops.

See docs/scoring.md for the rules; :mod:`collabready.scoring.plan` for what is
scored.
"""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor

import numpy as np
from numpy.typing import NDArray

from collabready.scoring.plan import ScoringPlan, Subscale

#: Rows per chunk: a uint8 column chunk is 32 KiB and a float64 one 256 KiB (measured best).
CHUNK_ROWS = 1 << 15
_U1 = np.uint8(1)


def _threads() -> int:
    return max(1, min(2, os.cpu_count() or 1))


def _subscale_sums(
    codes: NDArray[np.uint8], sub: Subscale
) -> tuple[NDArray[np.uint8] | NDArray[np.float64], NDArray[np.uint8]]:
    """Points above the bottom of the scale, and answers counted, for one chunk."""
    rows = codes.shape[0]
    count = np.zeros(rows, dtype=np.uint8)
    uniform = bool((sub.points == sub.points[0]).all())
    total: NDArray[np.uint8] | NDArray[np.float64] = (
        np.zeros(rows, dtype=np.uint8) if uniform else np.zeros(rows, dtype=np.float64)
    )
    for j, reverse, points in zip(sub.columns, sub.reverse, sub.points, strict=True):
        # code 1..points -> 0..points-1; anything else wraps to >= points
        t = codes[:, j] - _U1
        valid = t < points
        if reverse:
            np.subtract(points - _U1, t, out=t)
        np.multiply(t, valid, out=t)
        count += valid
        if uniform:
            np.add(total, t, out=total)
        else:
            np.add(total, t * (float(points[0] - 1) / float(points - 1)), out=total)
    return total, count


def _score_chunk(
    plan: ScoringPlan, codes: NDArray[np.uint8], out: NDArray[np.float32], r0: int, r1: int
) -> None:
    chunk = codes[r0:r1]
    answered = np.empty(r1 - r0, dtype=np.float32)
    for s, sub in enumerate(plan.subscales):
        total, count = _subscale_sums(chunk, sub)
        # a subscale needs at least half its items answered; otherwise 0/0 gives NaN
        enough = count >= (sub.size + 1) // 2
        np.multiply(count, enough, out=count)
        np.multiply(total, enough, out=total)
        col = out[r0:r1, s]
        col[...] = total  # casting copies are much faster than a mixed-type divide
        answered[...] = count
        col /= answered
        col *= np.float32(100.0 / float(sub.points[0] - 1))
    derive_rows(plan, out, r0, r1)


def _score_chunk_quiet(
    plan: ScoringPlan, codes: NDArray[np.uint8], out: NDArray[np.float32], r0: int, r1: int
) -> None:
    # np.errstate is thread-local: set it in the worker thread too
    with np.errstate(invalid="ignore", divide="ignore"):
        _score_chunk(plan, codes, out, r0, r1)


def derive_rows(plan: ScoringPlan, out: NDArray[np.float32], r0: int, r1: int) -> None:
    """Fill blocks, gaps and overall scores of rows r0:r1 from their subscale scores.

    A block is the mean of its commitment and capacity scores (missing if either
    is); its gap is commitment minus capacity. Overall commitment, capacity and
    the index are means over the blocks that have a score, when at least
    ``plan.min_blocks_for_index`` do; the overall gap is their difference.
    """
    rows = r1 - r0
    sums = np.zeros((3, rows), dtype=np.float32)
    counts = np.zeros((3, rows), dtype=np.uint8)
    tmp = np.empty(rows, dtype=np.float32)
    missing = np.empty(rows, dtype=np.bool_)
    half = np.float32(0.5)
    c = len(plan.subscales)
    for i_com, i_cap in plan.block_subscales:
        com = out[r0:r1, i_com]
        cap = out[r0:r1, i_cap]
        block = out[r0:r1, c]
        np.add(com, cap, out=block)
        block *= half
        np.subtract(com, cap, out=out[r0:r1, c + 1])
        c += 2
        for k, value in enumerate((com, cap, block)):
            np.isnan(value, out=missing)
            counts[k] += 1
            np.subtract(counts[k], missing.view(np.uint8), out=counts[k])
            tmp[...] = value
            tmp[missing] = 0  # much faster than np.fmax or nan_to_num here
            sums[k] += tmp
    enough = counts >= plan.min_blocks_for_index
    np.multiply(sums, enough, out=sums)
    np.multiply(counts, enough, out=counts)
    np.divide(sums, counts, out=out[r0:r1, c : c + 3].T)
    np.subtract(out[r0:r1, c], out[r0:r1, c + 1], out=out[r0:r1, c + 3])


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
    bounds = [(r0, min(n, r0 + CHUNK_ROWS)) for r0 in range(0, n, CHUNK_ROWS)]
    with np.errstate(invalid="ignore", divide="ignore"):
        if len(bounds) <= 2 or _threads() == 1:
            for r0, r1 in bounds:
                _score_chunk(plan, u, out, r0, r1)
        else:
            with ThreadPoolExecutor(max_workers=_threads()) as pool:
                list(pool.map(lambda b: _score_chunk_quiet(plan, u, out, b[0], b[1]), bounds))
    return out


def derive_from_subscales(plan: ScoringPlan, subscales: NDArray[np.float32]) -> NDArray[np.float32]:
    """Complete a score matrix from subscale scores alone (used for organisations)."""
    n = subscales.shape[0]
    out = np.empty((n, len(plan.columns)), dtype=np.float32, order="F")
    out[:, : len(plan.subscales)] = subscales
    with np.errstate(invalid="ignore", divide="ignore"):
        for r0 in range(0, n, CHUNK_ROWS):
            derive_rows(plan, out, r0, min(n, r0 + CHUNK_ROWS))
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
