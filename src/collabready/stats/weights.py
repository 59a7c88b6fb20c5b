"""Raking (iterative proportional fitting) of base weights to population margins.

The work is done on the table of *cells* (combinations of margin levels), not
on the rows: every row in a cell gets the same raking factor, so the rows are
read twice (to build the cell table) and written once (the final gather). See
docs/statistics.md for the method and its references.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from enum import StrEnum

import numpy as np
import numpy.typing as npt
import pandas as pd

from collabready.stats._kernels import group_sum
from collabready.stats.calibration import Calibration
from collabready.stats.diagnostics import WeightDiagnostics, weight_diagnostics
from collabready.stats.errors import RakingError, RakingWarning, StatsInputError
from collabready.stats.factor import ColumnSource, compact_codes, factorize
from collabready.stats.margins import Margins

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.intp]


class NonConvergence(StrEnum):
    """What :func:`rake` does when it stops before reaching its tolerance."""

    RAISE = "raise"  #: raise :class:`RakingError`
    WARN = "warn"  #: warn (:class:`RakingWarning`) and return ``converged=False``


@dataclass(frozen=True, slots=True)
class WeightBounds:
    """Bounds on the final weights, relative to the mean final weight.

    ``WeightBounds(lower=0.2, upper=5.0)`` keeps every weight between a fifth
    and five times the mean weight (population size / respondents).
    """

    lower: float | None = None
    upper: float | None = None

    def __post_init__(self) -> None:
        if self.lower is not None and not 0.0 < self.lower <= 1.0:
            raise StatsInputError(f"lower weight bound {self.lower} must be in (0, 1]")
        if self.upper is not None and not self.upper >= 1.0:
            raise StatsInputError(f"upper weight bound {self.upper} must be at least 1")


@dataclass(frozen=True, slots=True)
class RakingResult:
    """Raked weights with their convergence record and diagnostics."""

    weights: FloatArray
    converged: bool
    iterations: int
    bound_rounds: int
    n_at_bounds: int
    max_relative_residual: float
    margins: Margins
    achieved: tuple[FloatArray, ...]
    diagnostics: WeightDiagnostics
    calibration: Calibration

    def to_frame(self) -> pd.DataFrame:
        """Margin residuals: variable, level, target, achieved, relative_residual."""
        rows = []
        for margin, achieved in zip(self.margins, self.achieved, strict=True):
            for level, target, got in zip(margin.levels, margin.totals, achieved, strict=True):
                residual = (got - target) / target if target > 0 else got
                rows.append((margin.variable, level, float(target), float(got), float(residual)))
        return pd.DataFrame(
            rows, columns=["variable", "level", "target", "achieved", "relative_residual"]
        )


def _base_weights(base_weights: npt.ArrayLike | None, n: int) -> FloatArray:
    if base_weights is None:
        return np.ones(n)
    w = np.asarray(base_weights, dtype=np.float64)
    if w.shape != (n,):
        raise StatsInputError(f"base_weights has shape {w.shape}; expected ({n},)")
    bad = np.flatnonzero(~np.isfinite(w) | (w <= 0))
    if bad.size:
        raise StatsInputError(
            f"base_weights must be finite and positive; row {int(bad[0])} has {w[bad[0]]!r} "
            f"({bad.size} such rows)"
        )
    return w


def _cells(codes: list[IntArray], sizes: list[int]) -> tuple[IntArray, IntArray]:
    """Compact cell index per row and the margin levels of each cell."""
    code = codes[0].astype(np.int64)
    for c, size in zip(codes[1:], sizes[1:], strict=True):
        code = code * size + c
    cell, present = compact_codes(code, int(np.prod(sizes, dtype=np.float64)))
    cell_levels = np.empty((present.size, len(sizes)), dtype=np.intp)
    rest = present.astype(np.int64)
    for m in range(len(sizes) - 1, -1, -1):
        rest, cell_levels[:, m] = np.divmod(rest, sizes[m])
    return cell, cell_levels


def _level_sums(
    cell_values: FloatArray, cell_levels: IntArray, sizes: list[int]
) -> list[FloatArray]:
    return [group_sum(cell_levels[:, m], cell_values, size) for m, size in enumerate(sizes)]


def _ipf(
    cell_weights: FloatArray,
    *,
    cell_levels: IntArray,
    targets: list[FloatArray],
    scale: list[FloatArray],
    tolerance: float,
    max_iterations: int,
) -> tuple[FloatArray, int, bool, float]:
    """Raking factors per cell; returns (factors, iterations, converged, max residual)."""
    sizes = [t.size for t in targets]
    factors = np.ones(cell_weights.size)
    residual = np.inf
    for iteration in range(1, max_iterations + 1):
        for m, target in enumerate(targets):
            level = cell_levels[:, m]
            achieved = group_sum(level, cell_weights * factors, sizes[m])
            ratio = np.divide(target, achieved, out=np.ones_like(target), where=achieved > 0)
            factors *= ratio[level]
        if not np.all(np.isfinite(factors) & (factors > 0)):
            return factors, iteration, False, np.inf
        sums = _level_sums(cell_weights * factors, cell_levels, sizes)
        residual = max(
            float(np.max(np.abs(s - t) / s_, initial=0.0))
            for s, t, s_ in zip(sums, targets, scale, strict=True)
        )
        if residual <= tolerance:
            return factors, iteration, True, residual
    return factors, max_iterations, False, residual


def rake(
    *,
    data: ColumnSource,
    margins: Margins,
    base_weights: npt.ArrayLike | None = None,
    tolerance: float = 1e-10,
    max_iterations: int = 1000,
    bounds: WeightBounds | None = None,
    max_bound_rounds: int = 100,
    on_nonconvergence: NonConvergence = NonConvergence.RAISE,
) -> RakingResult:
    """Rake ``base_weights`` so that weighted counts match every margin.

    ``data`` holds one column per margin variable (a dict of arrays or
    :class:`~collabready.stats.factor.Factor`, or a pandas / polars
    DataFrame). Raking stops when every level's weighted count is within
    ``tolerance`` (relative) of its population total. With ``bounds``, weights
    outside them are set to the bound and held there while the other weights
    are raked again, until every weight is within bounds and every margin
    met; if that is impossible :class:`RakingError` says which level.

    >>> from collabready.stats.margins import margins_from_records
    >>> m = margins_from_records([("sex", "f", 60), ("sex", "m", 40)])
    >>> rake(data={"sex": ["f", "m", "m"]}, margins=m).weights.tolist()
    [60.0, 20.0, 20.0]
    """
    if tolerance <= 0 or max_iterations < 1:
        raise StatsInputError("tolerance must be positive and max_iterations at least 1")
    codes: list[IntArray] = []
    sizes = [len(m.levels) for m in margins]
    n = -1
    for margin in margins:
        if margin.variable not in data:
            raise RakingError(
                f"margin variable {margin.variable!r} is not a column of the data; "
                "the margins file and the data must use the same variable names"
            )
        factor = factorize(data[margin.variable], levels=margin.levels, name=margin.variable)
        if n not in (-1, len(factor)):
            raise RakingError(
                f"margin variable {margin.variable!r} has {len(factor)} rows, not {n}"
            )
        n = len(factor)
        missing = np.flatnonzero(factor.codes < 0)
        if missing.size:
            raise RakingError(
                f"{margin.variable}: {missing.size} respondents have no value (first at row "
                f"{int(missing[0])}); raking needs every respondent's {margin.variable}"
            )
        codes.append(factor.codes)
    if n <= 0:
        raise RakingError("there are no respondents to rake")
    w0 = _base_weights(base_weights, n)
    cell, cell_levels = _cells(codes, sizes)
    calibration = Calibration(
        variables=margins.variables, cell=cell, cell_levels=cell_levels, n_levels=tuple(sizes)
    )
    targets = [m.totals for m in margins]
    level_n = _level_sums(calibration.cell_counts.astype(np.float64), cell_levels, sizes)
    for margin, counts, target in zip(margins, level_n, targets, strict=True):
        for level, count, total in zip(margin.levels, counts, target, strict=True):
            if count == 0 and total > 0:
                raise RakingError(
                    f"{margin.variable}={level!r}: the margins give a population total of "
                    f"{total:g} but no respondent has this level; merge it with another "
                    "level in the margins and the data, or collect responses for it"
                )
            if count > 0 and total == 0:
                raise RakingError(
                    f"{margin.variable}={level!r}: {int(count)} respondents have this level "
                    "but its population total is 0"
                )
    scale = [np.where(t > 0, t, 1.0) for t in targets]
    mean_weight = margins.population_total / n
    lower = -np.inf if bounds is None or bounds.lower is None else bounds.lower * mean_weight
    upper = np.inf if bounds is None or bounds.upper is None else bounds.upper * mean_weight
    free = np.ones(n, dtype=bool)
    fixed = np.zeros(n)
    n_fixed = 0
    for bound_round in range(1, max_bound_rounds + 1):  # noqa: B007 (reported)
        if n_fixed:
            cell_weights = group_sum(cell, np.where(free, w0, 0.0), calibration.n_cells)
            cell_fixed = group_sum(cell, fixed, calibration.n_cells)
            fixed_sums = _level_sums(cell_fixed, cell_levels, sizes)
            free_sums = _level_sums(cell_weights, cell_levels, sizes)
            round_targets = []
            for margin, t, fs, frs in zip(margins, targets, fixed_sums, free_sums, strict=True):
                remaining = t - fs
                impossible = (remaining < -tolerance * t) | (
                    (frs == 0) & (remaining > tolerance * t)
                )
                if np.any(impossible):
                    level = margin.levels[int(np.flatnonzero(impossible)[0])]
                    raise RakingError(
                        f"the weight bounds cannot be met: {margin.variable}={level!r} cannot "
                        "reach its population total with every weight between "
                        f"{lower:g} and {upper:g}; loosen the bounds or merge levels"
                    )
                round_targets.append(np.maximum(remaining, 0.0))
        else:
            cell_weights = group_sum(cell, w0, calibration.n_cells)
            round_targets = targets
        with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
            factors, iterations, converged, _ = _ipf(
                cell_weights,
                cell_levels=cell_levels,
                targets=round_targets,
                scale=scale,
                tolerance=tolerance,
                max_iterations=max_iterations,
            )
        with np.errstate(over="ignore", invalid="ignore"):
            weights = w0 * factors[cell]
        if n_fixed:
            weights = np.where(free, weights, fixed)
        over = free & (weights > upper)
        under = free & (weights < lower)
        if not converged or not (over.any() or under.any()):
            break
        fixed[over] = upper
        fixed[under] = lower
        free &= ~(over | under)
        n_fixed = int(n - free.sum())
    else:
        raise RakingError(
            f"the weight bounds could not be met after {max_bound_rounds} rounds of "
            "trimming and re-raking; loosen the bounds"
        )
    if not converged and n_fixed:
        raise RakingError(
            f"the weight bounds cannot be met: with {n_fixed} weights held at the bounds "
            f"({lower:g}, {upper:g}) the others cannot reach every margin; loosen the "
            "bounds or merge sparse levels"
        )
    if not np.all(np.isfinite(weights) & (weights > 0)):
        raise RakingError(
            "raking diverged: the combinations of levels present in the data cannot "
            "carry the margins (some level's respondents all fall in cells whose other "
            "margins are already full); merge sparse levels"
        )
    cell_final = group_sum(cell, weights, calibration.n_cells)
    achieved = _level_sums(cell_final, cell_levels, sizes)
    residual = max(
        float(np.max(np.abs(a - t) / s, initial=0.0))
        for a, t, s in zip(achieved, targets, scale, strict=True)
    )
    if not converged:
        message = (
            f"raking did not converge: after {iterations} iterations the largest relative "
            f"margin residual is {residual:.3g} (tolerance {tolerance:g}); raise "
            "max_iterations, loosen the tolerance or merge sparse levels"
        )
        if on_nonconvergence is NonConvergence.RAISE:
            raise RakingError(message)
        warnings.warn(message, RakingWarning, stacklevel=2)
    return RakingResult(
        weights=weights,
        converged=converged,
        iterations=iterations,
        bound_rounds=bound_round,
        n_at_bounds=n_fixed,
        max_relative_residual=residual,
        margins=margins,
        achieved=tuple(achieved),
        diagnostics=weight_diagnostics(weights),
        calibration=calibration,
    )
