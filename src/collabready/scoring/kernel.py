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


def _threads() -> int:
    return max(1, min(2, os.cpu_count() or 1))


def _subscale_sums(
    codes: NDArray[np.uint8], sub: Subscale, t: NDArray[np.uint8], valid: NDArray[np.uint8]
) -> tuple[NDArray[np.uint8] | NDArray[np.float64], NDArray[np.uint8]]:
    """Points above the bottom of the scale, and answers counted, for one chunk.

    ``t`` and ``valid`` are scratch buffers of the chunk's length. Every ufunc
    here works on uint8 alone: a bool or scalar of another type would send
    numpy down its slow, buffered mixed-type path.
    """
    rows = codes.shape[0]
    count = np.zeros(rows, dtype=np.uint8)
    total: NDArray[np.uint8] | NDArray[np.float64] = (
        np.zeros(rows, dtype=np.uint8) if sub.uniform else np.zeros(rows, dtype=np.float64)
    )
    top = sub.items[0][2] - 1
    for j, reverse, points in sub.items:
        # code 1..points -> 0..points-1; anything else wraps round to >= points
        np.subtract(codes[:, j], 1, out=t)
        np.less(t, points, out=valid.view(np.bool_))
        if reverse:
            np.subtract(points - 1, t, out=t)
        np.multiply(t, valid, out=t)
        np.add(count, valid, out=count)
        if sub.uniform:
            np.add(total, t, out=total)
        else:
            np.add(total, t * (top / (points - 1)), out=total)
    return total, count


def _score_chunk(
    plan: ScoringPlan, codes: NDArray[np.uint8], out: NDArray[np.float32], r0: int, r1: int
) -> None:
    chunk = codes[r0:r1]
    rows = r1 - r0
    n_sub = len(plan.subscales)
    # zero-filled subscale scores and "has a score" flags, for deriving blocks
    # and overall scores without any NaN tests (masking NaNs is slow)
    zero = np.empty((rows, n_sub), dtype=np.float32, order="F")
    flags = np.empty((rows, n_sub), dtype=np.uint8, order="F")
    answered = np.empty(rows, dtype=np.float32)
    t = np.empty(rows, dtype=np.uint8)
    valid = np.empty(rows, dtype=np.uint8)
    for s, sub in enumerate(plan.subscales):
        total, count = _subscale_sums(chunk, sub, t, valid)
        # a subscale needs at least half its items answered
        # (bool viewed as uint8: mixed-type ufuncs take a slow buffered path)
        enough = flags[:, s]
        np.greater_equal(count, (sub.size + 1) // 2, out=enough.view(np.bool_))
        np.multiply(total, enough, out=total)
        np.bitwise_xor(enough, 1, out=valid)
        np.bitwise_or(count, valid, out=count)  # at least 1: 0 / 1 = 0 where there is no score
        score0 = zero[:, s]
        score0[...] = total  # casting copies are much faster than a mixed-type divide
        answered[...] = count
        score0 /= answered
        score0 *= np.float32(100.0 / float(sub.points[0] - 1))
        # the published score: x / 1 = x, and 0 / 0 = NaN where there is none
        answered[...] = enough
        np.divide(score0, answered, out=out[r0:r1, s])
    _derive(plan, out, r0, r1, zero, flags)


def _score_chunk_quiet(
    plan: ScoringPlan, codes: NDArray[np.uint8], out: NDArray[np.float32], r0: int, r1: int
) -> None:
    # np.errstate is thread-local: set it in the worker thread too
    with np.errstate(invalid="ignore", divide="ignore"):
        _score_chunk(plan, codes, out, r0, r1)


def derive_rows(plan: ScoringPlan, out: NDArray[np.float32], r0: int, r1: int) -> None:
    """Fill blocks, gaps and overall scores of rows r0:r1 from their subscale scores (NaN = none)."""
    sub = out[r0:r1, : len(plan.subscales)]
    flags = (~np.isnan(sub)).view(np.uint8)
    zero = np.fmax(sub, np.float32(0))  # NaN -> 0; scores are never negative
    _derive(plan, out, r0, r1, np.asfortranarray(zero), np.asfortranarray(flags))


def _derive(
    plan: ScoringPlan,
    out: NDArray[np.float32],
    r0: int,
    r1: int,
    zero: NDArray[np.float32],
    flags: NDArray[np.uint8],
) -> None:
    """Blocks, gaps and overall scores from zero-filled subscale scores and their flags.

    A block is the mean of its commitment and capacity scores (missing if either
    is); its gap is commitment minus capacity. Overall commitment, capacity and
    the index are means over the blocks that have a score, when at least
    ``plan.min_blocks_for_index`` do; the overall gap is their difference.
    """
    rows = r1 - r0
    sums = np.zeros((3, rows), dtype=np.float32)
    counts = np.zeros((3, rows), dtype=np.uint8)
    both = np.empty(rows, dtype=np.uint8)
    both_f = np.empty(rows, dtype=np.float32)
    block0 = np.empty(rows, dtype=np.float32)
    half = np.float32(0.5)
    c = len(plan.subscales)
    for i_com, i_cap in plan.block_subscales:
        np.bitwise_and(flags[:, i_com], flags[:, i_cap], out=both)
        both_f[...] = both
        np.add(zero[:, i_com], zero[:, i_cap], out=block0)
        block0 *= half
        block0 *= both_f
        np.divide(block0, both_f, out=out[r0:r1, c])  # NaN unless both are present
        np.subtract(out[r0:r1, i_com], out[r0:r1, i_cap], out=out[r0:r1, c + 1])
        c += 2
        sums[0] += zero[:, i_com]
        sums[1] += zero[:, i_cap]
        sums[2] += block0
        counts[0] += flags[:, i_com]
        counts[1] += flags[:, i_cap]
        counts[2] += both
    enough = (counts >= plan.min_blocks_for_index).view(np.uint8)
    np.multiply(counts, enough, out=counts)
    counts_f = counts.astype(np.float32)
    sums *= enough.astype(np.float32)
    np.divide(sums, counts_f, out=out[r0:r1, c : c + 3].T)  # 0 / 0 = NaN: too few blocks
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
