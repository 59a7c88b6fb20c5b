"""Scoring 1,000,000 respondents: the target is at most 50 ms of compute (issue 2).

Baseline, measured in the same run: one column-major numpy pass over the same
matrix (subtract 1 into a preallocated buffer).

    .venv/bin/python benchmarks/bench_scoring.py [--rows 1000000]
"""

from __future__ import annotations

import argparse
import dataclasses

import numpy as np

from benchmarks._util import best_of, header
from collabready.instrument import load_instrument
from collabready.scoring import score_matrix


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=7)
    args = parser.parse_args()
    header(f"scoring {args.rows:,} respondents")
    cri = load_instrument()
    blocks_only = dataclasses.replace(cri, sections=())
    rng = np.random.default_rng(1)
    for label, inst in (("60 block items", blocks_only), ("full CRI", cri)):
        m = len(inst.item_ids)
        codes = rng.choice(
            np.array([1, 2, 3, 4, 5, 8, 9], dtype=np.int8),
            p=[0.1, 0.2, 0.3, 0.22, 0.12, 0.04, 0.02],
            size=(args.rows, m),
        )
        codes = np.asfortranarray(codes)
        buf = np.empty_like(codes)
        base, _ = best_of(lambda c=codes, b=buf: np.subtract(c, 1, out=b), args.repeat)
        took, result = best_of(lambda c=codes, i=inst: score_matrix(c, i), args.repeat)
        print(
            f"{label:>15}: {args.rows:,} x {m} items -> {len(result.columns)} scores: "
            f"{took * 1000:7.1f} ms   (one numpy pass {base * 1000:5.1f} ms; "
            f"ratio {took / base:4.1f}x)"
        )


if __name__ == "__main__":
    main()
