"""The real analysis pipeline on 1,000,000 respondents × 60 block items, end to end.

    .venv/bin/python -m benchmarks.bench_pipeline [--rows 1000000] [--repeat 5]
        [--data wave.parquet] [--no-baseline] [--no-per-grouping] [--profile]

Targets: compute (load + ``analyse_responses``) at most 400 ms on 1,000,000 × 60;
at least 100× faster than samplics + pingouin measured in the same run.

Nothing here re-implements a step: the timed code is the package's own
functions, called as ``collabready analyse`` calls them.

Setup (not timed): ``generate_wave`` writes a synthetic national wave of
``--rows`` respondents to Parquet (or ``--data`` names an existing one).
Reading it with polars (the columns ``from_frame`` uses: the 60 block items,
the five profile questions, ``respondent_id``, ``organisation_id``,
``complete``) is timed separately.

Timed ("compute"), best of ``--repeat``, each run from the frame:

1. ``load``: :func:`collabready.analysis.load.from_frame` with the CRI's block
   items only (the instrument without its sections: 60 items), giving the
   :class:`ResponseMatrix` (codes, profile columns, organisations as clusters,
   the content digest);
2. ``analyse``: :func:`collabready.analysis.tables.analyse_responses` with
   ``by=sector, size, region``, timed whole: score (``data.prepare``), rake to
   the three shipped synthetic margins (``weighting.weight``), the design with
   organisations as PSUs (``weighting.design_for``), means with
   calibration-aware SEs and t CIs of the index, 6 blocks, commitment,
   capacity and gap overall and in every domain (one ``estimate_means``), disclosure
   control of every one-way table (``tables._protect``) and every cell through
   the gate.

The parts of each call are timed inside that same call: the module-level
names ``analyse_responses`` and ``from_frame`` look up (``prepare``,
``weight``, ``design_for``, ``grouping``, ``estimate_means``, ``_protect``;
``matrix_from_columns``, ``polars_codes``, ``_digest``) are wrapped with a
timer for the run (a few microseconds of overhead). "rest" is what the
wrapped parts do not cover (for ``load``: the profile columns as choice
values, ids, clusters; for ``analyse``: score columns, building the cells).

Also timed, not in compute: ``alpha``, six :func:`collabready.stats.cronbach_alpha`
(one per block over its ten items, reverse-coded items flipped; not part of
``analyse``, but of the baseline), and, with ``--profile``, one more run of
steps 1-2 under cProfile (the 25 costliest calls by cumulative time).

Same-run baseline on the same data: samplics 0.6.1 ``SampleWeight.rake``
(tolerance 1e-12) and 18 ``TaylorEstimator("mean")`` calls with ``domain=``
(6 blocks × 3 groupings, one respondent per PSU; the labels as numpy text
arrays, on which samplics is about twice as fast as on object arrays), and pingouin
``cronbach_alpha(nan_policy="listwise")`` on each block (its input prepared
outside the timing). The baseline does less than we do (no overall row, 6 of
the 10 variables, no clusters, no disclosure control, no loading), so both
ratios printed are conservative: baseline / (weight + design + estimate +
alpha), and baseline / (load + analyse + alpha).

Like with like for the numbers: samplics computes the plain Taylor SE,
treating the raked weights as fixed, without clusters; ``analyse`` computes
the calibration-aware SE with organisations as PSUs. So the SEs are compared
with ours from ``survey_design(weights=raked weights)`` (same weights, no
calibration, no clusters; not timed), the means with ``analyse``'s published
cells, the weights with ``analyse``'s raking. One known, explained difference
remains in the plain SEs (a few 1e-8): samplics cannot take NaN and drops a
respondent without a block score from its design (``remove_nan=True``), while
we (as R's ``svyby``) keep them with zero influence; the factor ``n / (n - 1)``
then uses a different ``n``.

Same-run baselines of the clustered estimate step (skip with
``--no-per-grouping``), on ``analyse``'s own design and variables, best of 2,
each with the largest relative difference from ``analyse``'s published means
and SEs: the numpy route of the fused tables (``domain_estimates(engine="numpy")``:
bincounts and ``reduceat`` per variable, what ``analyse`` ran before the
compiled kernel of :mod:`collabready.stats._cluster_kernel`), and the
per-grouping route (``domain_estimates(fused=False)``, PSU × domain totals per
table).

The first of the ``--repeat`` runs also pays, once per process, for importing
numba and loading the kernels' compiled code from its cache (or compiling it,
after a change to the kernels); its compute time is printed apart.
"""

from __future__ import annotations

import argparse
import contextlib
import cProfile
import dataclasses
import functools
import io
import os
import pstats
import tempfile
import time
import warnings
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

import numpy as np
import polars as pl

from benchmarks._util import best_of, header
from collabready.analysis import load as load_module
from collabready.analysis import tables as tables_module
from collabready.analysis.data import grouping
from collabready.analysis.load import ResponseMatrix, from_frame
from collabready.analysis.tables import Analysis, analyse_responses, outcome_variables
from collabready.instrument import load_instrument
from collabready.instrument.model import Instrument
from collabready.stats import (
    AlphaResult,
    Margins,
    cronbach_alpha,
    estimate_means,
    read_margins_csv,
    survey_design,
)
from collabready.stats.estimate import domain_estimates
from collabready.stats.variance import Statistic
from collabready.synth import data_path, generate_wave

GROUPINGS = ("sector", "size", "region")
TARGET_COMPUTE = 0.400
TARGET_RATIO = 100.0
#: the names each timed function looks up at call time, wrapped with a timer
LOAD_PARTS = ("polars_codes", "matrix_from_columns", "_digest")
ANALYSE_PARTS = ("prepare", "weight", "design_for", "grouping", "estimate_means", "_protect")


@dataclass(frozen=True)
class Blocks:
    """The block-items-only instrument and, per block, its item positions and reverse flags."""

    instrument: Instrument
    ids: tuple[str, ...]
    columns: tuple[tuple[int, ...], ...]
    reverse: tuple[tuple[bool, ...], ...]
    points: int


def blocks_of(cri: Instrument) -> Blocks:
    inst = dataclasses.replace(cri, sections=())
    position = {item_id: j for j, item_id in enumerate(inst.item_ids)}
    columns, reverse, points = [], [], set()
    for block in inst.blocks:
        columns.append(tuple(position[i.id] for i in block.items))
        reverse.append(tuple(i.reverse for i in block.items))
        points |= {inst.scale(i.scale).points for i in block.items}
    if len(points) != 1:
        raise SystemExit("every block item must use the same scale for this benchmark")
    return Blocks(inst, inst.block_ids, tuple(columns), tuple(reverse), points.pop())


@contextlib.contextmanager
def timed_names(
    module: ModuleType, names: tuple[str, ...], times: dict[str, float]
) -> Iterator[None]:
    """Wrap ``module.<name>`` for each name with a timer adding to ``times[name]``."""
    saved = {name: getattr(module, name) for name in names}

    def wrap(name: str, fn: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(fn)
        def timed(*args: Any, **kwargs: Any) -> Any:
            t0 = time.perf_counter()
            try:
                return fn(*args, **kwargs)
            finally:
                times[name] = times.get(name, 0.0) + time.perf_counter() - t0

        return timed

    for name, fn in saved.items():
        setattr(module, name, wrap(name, fn))
    try:
        yield
    finally:
        for name, fn in saved.items():
            setattr(module, name, fn)


@dataclass
class Run:
    """One timed run: the step totals, the parts inside each step, and the outputs."""

    load: float
    analyse: float
    alpha: float
    load_parts: dict[str, float]
    analyse_parts: dict[str, float]
    matrix: ResponseMatrix
    analysis: Analysis
    alphas: list[AlphaResult]

    @property
    def compute(self) -> float:
        return self.load + self.analyse


def block_view(codes: np.ndarray, idx: tuple[int, ...]) -> np.ndarray:
    """A block's columns: a column-major view when they are adjacent (as in the CRI)."""
    if idx == tuple(range(idx[0], idx[0] + len(idx))):
        return codes[:, idx[0] : idx[0] + len(idx)]
    return np.asfortranarray(codes[:, list(idx)])


def alphas_of(codes: np.ndarray, blocks: Blocks) -> list[AlphaResult]:
    return [
        cronbach_alpha(items=block_view(codes, idx), points=blocks.points, reverse=list(rev))
        for idx, rev in zip(blocks.columns, blocks.reverse, strict=True)
    ]


def run_once(frame: pl.DataFrame, blocks: Blocks, margins: Margins) -> Run:
    """Steps 1 and 2 (compute) and the alphas, each timed, with their parts."""
    clock = time.perf_counter
    load_parts: dict[str, float] = {}
    analyse_parts: dict[str, float] = {}
    with timed_names(load_module, LOAD_PARTS, load_parts):
        t0 = clock()
        matrix = from_frame(frame, blocks.instrument, source="bench")
        t1 = clock()
    with timed_names(tables_module, ANALYSE_PARTS, analyse_parts):
        t2 = clock()
        analysis = analyse_responses(matrix, margins=margins, by=GROUPINGS, source="bench")
        t3 = clock()
    alphas = alphas_of(matrix.codes, blocks)
    t4 = clock()
    return Run(t1 - t0, t3 - t2, t4 - t3, load_parts, analyse_parts, matrix, analysis, alphas)


def print_parts(title: str, total: float, parts: dict[str, float], names: tuple[str, ...]) -> None:
    print(f"  {title:<10} {total * 1000:7.1f} ms")
    for name in names:
        took = parts.get(name, 0.0)
        print(f"    {name:<20} {took * 1000:7.1f} ms  ({took / total:4.0%})")
    rest = total - sum(parts.get(n, 0.0) for n in names)
    print(f"    {'rest':<20} {rest * 1000:7.1f} ms  ({rest / total:4.0%})")


def labels_of(run: Run) -> dict[str, np.ndarray]:
    """The three groupings as ``analyse`` sees them (no label: the missing domain)."""
    out = {}
    for name in GROUPINGS:
        factor = grouping(run.analysis.data, name)
        out[name] = np.array(factor.levels, dtype=object)[factor.codes]
    return out


def run_baseline(run: Run, blocks: Blocks, margins: Margins) -> dict[str, Any]:
    """samplics (rake + 18 Taylor means) and pingouin (6 alphas) on the same data."""
    warnings.filterwarnings("ignore", category=FutureWarning)
    t0 = time.perf_counter()
    import pandas as pd
    import pingouin as pg
    from samplics.estimation import TaylorEstimator
    from samplics.utils.types import PopParam
    from samplics.weighting import SampleWeight

    imports = time.perf_counter() - t0
    # numpy text arrays, as before: samplics is about twice as slow on object arrays
    labels = {name: values.astype(str) for name, values in labels_of(run).items()}
    control = {m.variable: dict(zip(m.levels, m.totals.tolist(), strict=True)) for m in margins}
    frames = []
    for idx, rev in zip(blocks.columns, blocks.reverse, strict=True):
        block = run.matrix.codes[:, list(idx)].astype(np.float64)
        block[(block < 1) | (block > blocks.points)] = np.nan
        for j, flip in enumerate(rev):
            if flip:
                block[:, j] = blocks.points + 1 - block[:, j]
        frames.append(pd.DataFrame(block))
    scores = {b: run.analysis.data.col(b) for b in blocks.ids}
    n = len(run.matrix)
    t0 = time.perf_counter()
    weights = np.asarray(
        SampleWeight().rake(
            samp_weight=np.ones(n),
            margins=labels,
            control=control,
            tol=1e-12,
            ctrl_tol=1e-12,
            max_iter=1000,
        )
    )
    t1 = time.perf_counter()
    means = {}
    for score, y in scores.items():
        for name, domain in labels.items():
            est = TaylorEstimator(PopParam.mean)
            est.estimate(y=y, samp_weight=weights, domain=domain, remove_nan=True)
            means[(score, name)] = (est.point_est, est.stderror)
    t2 = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        alphas = [float(pg.cronbach_alpha(data=f, nan_policy="listwise")[0]) for f in frames]
    t3 = time.perf_counter()
    return {
        "imports": imports,
        "rake": t1 - t0,
        "estimate": t2 - t1,
        "alpha": t3 - t2,
        "weights": weights,
        "means": means,
        "alphas": alphas,
    }


def published(analysis: Analysis) -> dict[tuple[str, str, str], tuple[float, float]]:
    """(variable, grouping, domain) -> (mean, SE) of every published cell."""
    return {
        (c.variable, c.grouping, c.domain): (c.estimate.value, c.estimate.se)
        for c in analysis.cells
        if c.estimate is not None
    }


def report_per_grouping(run: Run, t_fused: float) -> None:
    """Same-run baselines of the clustered estimate step: numpy's fused tables, and the
    per-grouping route."""
    from collabready.analysis.weighting import design_for

    data = run.analysis.data
    design = design_for(data, run.analysis.raking)
    variables = {v: data.col(v) for v in outcome_variables(data.instrument)}
    by = labels_of(run)

    cells = published(run.analysis)
    routes = {
        "numpy route of the fused tables (engine='numpy', bincounts per variable)": {
            "engine": "numpy"
        },
        "per-grouping route (PSU × domain totals)": {"fused": False},
    }
    for title, options in routes.items():

        def route(options: dict[str, Any] = options) -> list[Any]:
            return domain_estimates(
                design=design,
                variables=variables,
                by=by,
                overall=True,
                statistic=Statistic.MEAN,
                **options,
            )

        t_old, parts = best_of(route, 2)
        diff = 0.0
        for variable, group, factor, est in parts:
            se = np.sqrt(np.diag(est.covariance))
            for j, level in enumerate(factor.levels):
                cell = cells.get((variable, group, level))
                if cell is not None:
                    diff = max(diff, abs(cell[0] / est.estimate[j] - 1), abs(cell[1] / se[j] - 1))
        print(
            f"  same-run baseline for analyse's estimate step, {title}, best of 2: "
            f"{t_old * 1000:.0f} ms = {t_old / t_fused:.1f}x estimate_means inside analyse "
            f"(the kernel); largest relative difference in means and SEs {diff:.1e}"
        )


def profile_once(frame: pl.DataFrame, blocks: Blocks, margins: Margins) -> None:
    profiler = cProfile.Profile()
    profiler.enable()
    matrix = from_frame(frame, blocks.instrument, source="bench")
    analyse_responses(matrix, margins=margins, by=GROUPINGS, source="bench")
    profiler.disable()
    out = io.StringIO()
    pstats.Stats(profiler, stream=out).sort_stats("cumulative").print_stats(25)
    print("cProfile of one run of load + analyse (25 costliest by cumulative time):")
    print(out.getvalue().rstrip())


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--data", type=Path, help="an existing wave (Parquet) to read instead")
    parser.add_argument("--no-baseline", action="store_true", help="skip samplics/pingouin")
    parser.add_argument(
        "--no-per-grouping", action="store_true", help="skip the per-grouping route baseline"
    )
    parser.add_argument("--profile", action="store_true", help="print a cProfile of one run")
    args = parser.parse_args()
    cri = load_instrument()
    blocks = blocks_of(cri)
    margins = read_margins_csv(data_path("margins.csv"))
    columns = [
        *blocks.instrument.item_ids,
        *(q.id for q in blocks.instrument.profile),
        "respondent_id",
        "organisation_id",
        "complete",
    ]
    with tempfile.TemporaryDirectory() as tmp:
        path = args.data
        if path is None:
            path = Path(tmp) / "wave.parquet"
            t0 = time.perf_counter()
            generate_wave(respondents=args.rows, seed=2026, instrument=cri).write(path)
            print(f"setup: generate_wave + write {path.name}: {time.perf_counter() - t0:.1f} s")
        t_read, frame = best_of(lambda: pl.read_parquet(path, columns=columns), args.repeat)
    header(
        f"the real pipeline (from_frame + analyse_responses) on {frame.height:,} respondents × "
        f"{len(blocks.instrument.item_ids)} block items"
    )
    print(f"read Parquet ({len(columns)} columns): {t_read * 1000:7.1f} ms (not in compute)")
    best: Run | None = None
    computes, loads, analyses, alphas = [], [], [], []
    for _ in range(args.repeat):
        run = run_once(frame, blocks, margins)
        computes.append(run.compute)
        loads.append(run.load)
        analyses.append(run.analyse)
        alphas.append(run.alpha)
        if best is None or run.compute < best.compute:
            best = run
        del run  # keep one run's outputs in memory, not --repeat of them
    assert best is not None
    t_load, t_analyse, t_alpha = min(loads), min(analyses), min(alphas)
    print(f"fastest run of {args.repeat} (compute = load + analyse), with its parts:")
    print_parts("load", best.load, best.load_parts, LOAD_PARTS)
    print_parts("analyse", best.analyse, best.analyse_parts, ANALYSE_PARTS)
    verdict = "met" if best.compute <= TARGET_COMPUTE else "NOT met"
    print(
        f"compute (load + analyse):  {best.compute * 1000:7.1f} ms (best of {args.repeat}; "
        f"target <= {TARGET_COMPUTE * 1000:.0f} ms: {verdict}); median "
        f"{np.median(computes) * 1000:.0f} ms; read + compute "
        f"{(t_read + best.compute) * 1000:.0f} ms"
    )
    print(
        f"  first run (imports numba, loads the compiled kernels): compute "
        f"{computes[0] * 1000:.0f} ms"
    )
    print(
        f"  best of each step alone: load {t_load * 1000:.0f} ms, analyse "
        f"{t_analyse * 1000:.0f} ms; alpha (6 x cronbach_alpha, not in compute) "
        f"{t_alpha * 1000:.0f} ms"
    )
    analysis = best.analysis
    r = analysis.raking
    print(
        f"  {analysis.n_respondents:,} respondents in {analysis.n_psu:,} PSUs; raking: "
        f"{r.calibration.n_cells} cells, {r.iterations} iterations, max residual "
        f"{r.max_relative_residual:.1e}; Kish deff {r.diagnostics.kish_deff:.3f}; "
        f"{len(analysis.cells)} cells, "
        f"{sum(c.estimate is None for c in analysis.cells)} withheld"
    )
    if args.profile:
        profile_once(frame, blocks, margins)
    if not args.no_per_grouping:
        report_per_grouping(best, best.analyse_parts["estimate_means"])
    if args.no_baseline:
        print(f"load average at the end {os.getloadavg()[0]:.2f}")
        return
    base = run_baseline(best, blocks, margins)
    t_base = base["rake"] + base["estimate"] + base["alpha"]
    parts = best.analyse_parts
    t_same = parts["weight"] + parts["design_for"] + parts["estimate_means"] + best.alpha
    print(
        f"samplics rake {base['rake']:.2f} s + 18 TaylorEstimator {base['estimate']:.2f} s; "
        f"pingouin 6 alphas {base['alpha']:.2f} s (imports {base['imports']:.1f} s, not counted)"
    )
    print(
        f"speed ratio, baseline / (weight + design + estimate + alpha): "
        f"{t_base:.2f} s / {t_same * 1000:.0f} ms = {t_base / t_same:.0f}x"
    )
    t_all = best.compute + best.alpha
    verdict = "met" if t_base / t_all >= TARGET_RATIO else "NOT met"
    print(
        f"speed ratio, baseline / (load + analyse + alpha): {t_base:.2f} s / "
        f"{t_all * 1000:.0f} ms = {t_base / t_all:.0f}x (target >= {TARGET_RATIO:.0f}x: {verdict})"
    )
    cells = published(analysis)
    labels = {name: values.astype(str) for name, values in labels_of(best).items()}
    scores = {b: analysis.data.col(b) for b in blocks.ids}
    plain = estimate_means(
        design=survey_design(weights=r.weights), variables=scores, by=labels, overall=False
    )
    diffs = {"weights": float(np.max(np.abs(r.weights / base["weights"] - 1)))}
    e_diff = s_diff = 0.0
    se_ratio = []
    for (score, name), (point, stderr) in base["means"].items():
        for level in np.unique(labels[name]).tolist():
            row = plain.index(score, name, level)
            e_diff = max(e_diff, abs(cells[(score, name, level)][0] / point[level] - 1))
            s_diff = max(s_diff, abs(plain.se[row] / stderr[level] - 1))
            se_ratio.append(cells[(score, name, level)][1] / plain.se[row])
    diffs["means"] = e_diff
    diffs["plain SEs"] = s_diff
    ours_alpha = np.array([a.alpha for a in best.alphas])
    diffs["alphas"] = float(np.max(np.abs(ours_alpha / np.array(base["alphas"]) - 1)))
    print(
        "largest relative difference: "
        + ", ".join(f"{k} {v:.1e}" for k, v in diffs.items())
        + f"; overall {max(diffs.values()):.1e} (must be <= 1e-6)"
    )
    print(
        f"  analyse's SE (organisations as PSUs, calibration-aware) / plain Taylor SE: "
        f"{min(se_ratio):.3f} to {max(se_ratio):.3f} (median {np.median(se_ratio):.3f})"
    )
    print(f"load average at the end {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
