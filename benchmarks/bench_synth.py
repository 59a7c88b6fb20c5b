"""Generating 1,000,000 synthetic respondents: the target is at most 15 s (issue 2).

Baseline, measured in the same run: drawing one standard normal per person and
item with numpy (the floor for any item-level simulator).

    .venv/bin/python benchmarks/bench_synth.py [--respondents 1000000]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import numpy as np

from benchmarks._util import header
from collabready.instrument import load_instrument
from collabready.synth import generate_wave


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--respondents", type=int, default=1_000_000)
    args = parser.parse_args()
    header(f"synthetic wave of {args.respondents:,} respondents")
    cri = load_instrument()
    n_items = len(cri.item_ids)
    t0 = time.perf_counter()
    np.random.default_rng(0).standard_normal((args.respondents, n_items), dtype=np.float32)
    base = time.perf_counter() - t0
    t0 = time.perf_counter()
    wave = generate_wave(respondents=args.respondents, seed=1, instrument=cri)
    took = time.perf_counter() - t0
    with tempfile.TemporaryDirectory() as tmp:
        t1 = time.perf_counter()
        wave.write(Path(tmp) / "w.parquet")
        wrote = time.perf_counter() - t1
        size = (Path(tmp) / "w.parquet").stat().st_size
    print(
        f"generate: {took:6.2f} s   (numpy normals for {n_items} items: {base:5.2f} s; "
        f"ratio {took / base:4.1f}x)"
    )
    print(f"write Parquet: {wrote:6.2f} s, {size / 1e6:.0f} MB")
    print(f"total: {took + wrote:6.2f} s (target 15 s)")


if __name__ == "__main__":
    main()
