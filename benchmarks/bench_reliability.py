"""Benchmark: six block alphas over 1,000,000 × 60 int8 codes, ours against pingouin.

Run:  .venv/bin/python benchmarks/bench_reliability.py [--rows 1000000] [--repeat 5]

The matrix has six blocks of ten 5-point items, each block driven by its own
latent factor, about 1% "don't know" (8) per item and two reverse-coded items.
Ours: ``cronbach_alpha`` on the column-major int8 block (listwise deletion,
reverse flags). pingouin: ``cronbach_alpha(nan_policy="listwise")`` on a
float64 DataFrame of the same block with 8 replaced by NaN and the reversed
items recoded (the preparation is not timed). Prints best-of-n times, the
speed ratio and the largest absolute difference between the alphas.
"""

from __future__ import annotations

import argparse
import os
import time
import warnings

import numpy as np
import pandas as pd

from collabready.stats.reliability import cronbach_alpha

BLOCKS = 6
ITEMS = 10
POINTS = 5
REVERSED = {(0, 1), (5, 9)}  # (block, item) pairs that are reverse-coded


def synthetic_codes(rows: int, seed: int = 2026) -> np.ndarray:
    rng = np.random.default_rng(seed)
    codes = np.empty((rows, BLOCKS * ITEMS), dtype=np.int8, order="F")
    for b in range(BLOCKS):
        latent = rng.standard_normal(rows).astype(np.float32)
        for i in range(ITEMS):
            noise = rng.standard_normal(rows, dtype=np.float32) * 1.1
            col = np.clip(np.rint(3.0 + latent + noise), 1, POINTS).astype(np.int8)
            if (b, i) in REVERSED:
                col = (POINTS + 1 - col).astype(np.int8)
            col[rng.random(rows) < 0.01] = 8
            codes[:, b * ITEMS + i] = col
    return codes


def ours(codes: np.ndarray) -> list[float]:
    out = []
    for b in range(BLOCKS):
        block = codes[:, b * ITEMS : (b + 1) * ITEMS]
        reverse = [(b, i) in REVERSED for i in range(ITEMS)]
        out.append(cronbach_alpha(items=block, points=POINTS, reverse=reverse).alpha)
    return out


def pingouin_frames(codes: np.ndarray) -> list[pd.DataFrame]:
    frames = []
    for b in range(BLOCKS):
        block = codes[:, b * ITEMS : (b + 1) * ITEMS].astype(np.float64)
        block[(block < 1) | (block > POINTS)] = np.nan
        for i in range(ITEMS):
            if (b, i) in REVERSED:
                block[:, i] = POINTS + 1 - block[:, i]
        frames.append(pd.DataFrame(block))
    return frames


def best_of(fn, repeat: int) -> tuple[float, object]:  # type: ignore[no-untyped-def]
    best, result = float("inf"), None
    for _ in range(repeat):
        t0 = time.perf_counter()
        result = fn()
        best = min(best, time.perf_counter() - t0)
    return best, result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()

    t0 = time.perf_counter()
    codes = synthetic_codes(args.rows)
    took = time.perf_counter() - t0
    print(f"data: {args.rows:,} × {codes.shape[1]} int8, generated in {took:.2f} s")

    t_ours, a_ours = best_of(lambda: ours(codes), args.repeat)

    t0 = time.perf_counter()
    import pingouin as pg

    print(f"importing pingouin: {time.perf_counter() - t0:.2f} s (not counted)")
    frames = pingouin_frames(codes)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        t_pg, a_pg = best_of(
            lambda: [pg.cronbach_alpha(data=f, nan_policy="listwise")[0] for f in frames],
            max(1, args.repeat // 2),
        )

    diff = float(np.max(np.abs(np.array(a_ours) - np.array(a_pg, dtype=float))))
    rel = float(np.max(np.abs(np.array(a_ours) / np.array(a_pg, dtype=float) - 1.0)))
    print("alphas (ours):    ", " ".join(f"{a:.6f}" for a in a_ours))
    print("alphas (pingouin):", " ".join(f"{a:.6f}" for a in a_pg))  # type: ignore[union-attr]
    print(f"6 block alphas, ours:     {t_ours * 1000:8.1f} ms (best of {args.repeat})")
    print(f"6 block alphas, pingouin: {t_pg * 1000:8.1f} ms")
    print(f"speed ratio (pingouin / ours): {t_pg / t_ours:.1f}x")
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    print(f"load average during the run: {load} on {os.cpu_count()} cores (other work slows both)")
    print(f"largest absolute difference: {diff:.2e}   largest relative difference: {rel:.2e}")


if __name__ == "__main__":
    main()
