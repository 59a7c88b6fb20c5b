"""Weighting and design-based estimation on 1,000,000 respondents (issue 3).

Synthetic data made with numpy: sector (3) × size (4) × region (12), unequal
response by cell, six score columns (0-100). Timed, best of N:

1. raking to the three margins (cell-table IPF, tolerance 1e-10);
2. mean, SE and t CI for 6 scores × 3 groupings, with calibration-aware SEs
   (and, for the baseline comparison, without calibration).

Same-run baseline: samplics 0.6.1 (``SampleWeight.rake`` at tolerance 1e-12,
``TaylorEstimator("mean")`` with ``domain=``) on the same data. Printed: the
speed ratio and the largest relative difference of the weights, estimates and
SEs (samplics has no calibration-aware SE, so its SEs are compared with ours
for the same weights treated as fixed).

    .venv/bin/python -m benchmarks.bench_stats [--rows 1000000] [--no-samplics]
"""

from __future__ import annotations

import argparse
import time
import warnings
from dataclasses import dataclass

import numpy as np

from benchmarks._util import best_of, header
from collabready.stats import (
    Factor,
    Margins,
    estimate_means,
    margins_from_records,
    rake,
    raked_design,
    survey_design,
)

SECTORS = ("public", "private", "third")
SIZES = ("small", "medium", "large", "very_large")
REGIONS = tuple(f"region_{i:02d}" for i in range(12))
SCORES = ("citizens", "behaviours", "systems", "services", "places", "markets")


@dataclass(frozen=True)
class Sample:
    """A synthetic sample: margin factors, base weights, scores and population margins."""

    factors: dict[str, Factor]
    base_weights: np.ndarray
    scores: dict[str, np.ndarray]
    margins: Margins


def synthetic_sample(rows: int, seed: int = 7, population: float = 250_000.0) -> Sample:
    """Respondents drawn with response rates that vary by cell, plus population margins."""
    rng = np.random.default_rng(seed)
    shapes = {"sector": len(SECTORS), "size": len(SIZES), "region": len(REGIONS)}
    pop_share = {name: rng.dirichlet(np.full(k, 8.0)) for name, k in shapes.items()}
    # the sample over-represents some levels: response propensity varies by level
    sample_share = {
        name: share * rng.uniform(0.5, 1.5, share.size) for name, share in pop_share.items()
    }
    factors = {}
    for (name, share), levels in zip(sample_share.items(), (SECTORS, SIZES, REGIONS), strict=True):
        codes = rng.choice(share.size, size=rows, p=share / share.sum()).astype(np.intp)
        factors[name] = Factor(codes=codes, levels=levels)
    base = np.ones(rows)
    effect = {name: rng.normal(0, 6, k) for name, k in shapes.items()}
    scores = {}
    for j, score in enumerate(SCORES):
        level = 40 + 3 * j + sum(effect[name][f.codes] for name, f in factors.items())
        scores[score] = np.clip(level + rng.normal(0, 18, rows), 0, 100)
    records = [
        (name, level, population * p)
        for (name, share), levels in zip(pop_share.items(), (SECTORS, SIZES, REGIONS), strict=True)
        for level, p in zip(levels, share, strict=True)
    ]
    return Sample(factors, base, scores, margins_from_records(records))


def ours(sample: Sample, calibrated: bool) -> tuple[np.ndarray, object]:
    raking = rake(
        data=sample.factors,
        margins=sample.margins,
        base_weights=sample.base_weights,
        tolerance=1e-10,
    )
    design = raked_design(raking) if calibrated else survey_design(weights=raking.weights)
    table = estimate_means(design=design, variables=sample.scores, by=sample.factors, overall=False)
    return raking.weights, table


def run_samplics(sample: Sample) -> tuple[float, float, np.ndarray, dict]:
    warnings.filterwarnings("ignore", category=FutureWarning)
    t0 = time.perf_counter()
    from samplics.estimation import TaylorEstimator
    from samplics.utils.types import PopParam
    from samplics.weighting import SampleWeight

    import_time = time.perf_counter() - t0
    labels = {name: np.asarray(f.levels)[f.codes] for name, f in sample.factors.items()}
    control = {
        m.variable: dict(zip(m.levels, m.totals.tolist(), strict=True)) for m in sample.margins
    }
    t0 = time.perf_counter()
    weights = SampleWeight().rake(
        samp_weight=sample.base_weights,
        margins=labels,
        control=control,
        tol=1e-12,
        ctrl_tol=1e-12,
        max_iter=1000,
    )
    results = {}
    for score, y in sample.scores.items():
        for name, domain in labels.items():
            est = TaylorEstimator(PopParam.mean)
            est.estimate(y=y, samp_weight=weights, domain=domain)
            results[(score, name)] = (est.point_est, est.stderror)
    return time.perf_counter() - t0, import_time, np.asarray(weights), results


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--no-samplics", action="store_true")
    args = parser.parse_args()
    header(f"weighting and estimation on {args.rows:,} respondents")
    sample = synthetic_sample(args.rows)
    n_things = len(SCORES) * len(sample.factors)

    t_rake, raking = best_of(
        lambda: rake(data=sample.factors, margins=sample.margins, tolerance=1e-10), args.repeat
    )
    print(
        f"rake to 3 margins ({raking.calibration.n_cells} cells, {raking.iterations} "
        f"iterations, max residual {raking.max_relative_residual:.1e}): {t_rake * 1000:7.1f} ms"
    )
    cal_design = raked_design(raking)
    plain_design = survey_design(weights=raking.weights)
    for label, design in (("calibration-aware", cal_design), ("weights fixed", plain_design)):
        took, _ = best_of(
            lambda d=design: estimate_means(
                design=d, variables=sample.scores, by=sample.factors, overall=False
            ),
            args.repeat,
        )
        print(
            f"mean+SE+CI, {len(SCORES)} scores x {len(sample.factors)} groupings, {label}: "
            f"{took * 1000:7.1f} ms  ({took / n_things * 1000:5.1f} ms per score x grouping)"
        )
    t_ours, (weights, _) = best_of(lambda: ours(sample, calibrated=True), args.repeat)
    t_plain, (_, plain) = best_of(lambda: ours(sample, calibrated=False), args.repeat)
    print(f"rake + 18 estimates, calibration-aware: {t_ours * 1000:7.1f} ms")
    print(f"rake + 18 estimates, weights fixed:     {t_plain * 1000:7.1f} ms")
    if args.no_samplics:
        return
    t_samplics, t_import, s_weights, s_results = run_samplics(sample)
    print(f"samplics rake + 18 TaylorEstimator: {t_samplics:7.2f} s (import {t_import:.1f} s)")
    print(
        f"speed ratio samplics / ours: {t_samplics / t_ours:6.1f}x (calibration-aware), "
        f"{t_samplics / t_plain:6.1f}x (same computation, weights fixed)"
    )
    w_diff = float(np.max(np.abs(weights / s_weights - 1)))
    e_diff = 0.0
    s_diff = 0.0
    for (score, name), (point, stderr) in s_results.items():
        for level in sample.factors[name].levels:
            row = plain.index(score, name, level)
            e_diff = max(e_diff, abs(plain.estimate[row] / point[level] - 1))
            s_diff = max(s_diff, abs(plain.se[row] / stderr[level] - 1))
    print(
        f"largest relative difference vs samplics: weights {w_diff:.1e}, "
        f"means {e_diff:.1e}, SEs {s_diff:.1e}"
    )


if __name__ == "__main__":
    main()
