"""What raking leaves behind for calibration-aware standard errors.

After raking, R's ``survey`` package does not treat the raked weights as fixed:
in ``svyrecvar`` it replaces the influence values ``x`` by their residuals
from the raking margins before computing the variance::

    for (iterations in 1:10)
        for (margin in margins)
            x <- x - w * ave(x / w, margin)

that is, ten back-fitting sweeps over the margins, each subtracting the
(unweighted) mean of ``x / w`` within each level of the margin, times ``w``.
Every subtraction is constant within a margin level, so within a
*calibration cell* (one combination of margin levels) the total adjustment is a
single number. We therefore run the sweeps on the table of cells: the cell sums
of ``x / w`` and the cell counts are all that is needed, and the row-level
result is ``x - w * a[cell]``. One pass over the rows instead of thirty.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

from collabready.stats._kernels import group_sum

IntArray = npt.NDArray[np.intp]
FloatArray = npt.NDArray[np.float64]

#: Back-fitting sweeps over the margins, as in R ``survey`` (``for (iterations in 1:10)``).
R_SURVEY_SWEEPS = 10
#: Up to this many cells the sweeps are kept as a cells × cells matrix.
_OPERATOR_CELLS = 1000


@dataclass(frozen=True, slots=True)
class Calibration:
    """The raking margins of a design: the cell of each row and the levels of each cell.

    ``cell[i]`` is the calibration cell of row ``i``; ``cell_levels[c, m]`` is the
    level (code) of margin ``m`` in cell ``c``.
    """

    variables: tuple[str, ...]
    cell: IntArray
    cell_levels: IntArray
    n_levels: tuple[int, ...]
    sweeps: int = R_SURVEY_SWEEPS
    cell_counts: IntArray = field(init=False)
    _indicators: tuple[FloatArray, ...] = field(init=False, repr=False)
    _level_counts: tuple[FloatArray, ...] = field(init=False, repr=False)
    _operator: FloatArray | None = field(init=False, repr=False)

    def __post_init__(self) -> None:
        n_cells = self.cell_levels.shape[0]
        counts = group_sum(self.cell, None, n_cells).astype(np.intp)
        object.__setattr__(self, "cell_counts", counts)
        indicators = []
        level_counts = []
        for m, n_level in enumerate(self.n_levels):
            indicator = np.zeros((n_level, n_cells))
            indicator[self.cell_levels[:, m], np.arange(n_cells)] = 1.0
            indicators.append(indicator)
            level_counts.append(indicator @ counts.astype(np.float64))
        object.__setattr__(self, "_indicators", tuple(indicators))
        object.__setattr__(self, "_level_counts", tuple(level_counts))
        object.__setattr__(self, "_operator", None)

    @property
    def n_cells(self) -> int:
        """Number of calibration cells that contain respondents."""
        return int(self.cell_levels.shape[0])

    def _sweep(self, sums: FloatArray) -> FloatArray:
        counts = self.cell_counts.astype(np.float64)[:, None]
        adjustment = np.zeros_like(sums)
        for _ in range(self.sweeps):
            for m, indicator in enumerate(self._indicators):
                residual = sums - counts * adjustment
                level_mean = (indicator @ residual) / self._level_counts[m][:, None]
                adjustment += level_mean[self.cell_levels[:, m]]
        return adjustment

    def cell_adjustments(self, cell_sums: FloatArray) -> FloatArray:
        """Adjustments ``a`` (cells × k) such that the residualised ``x`` is ``x - w * a[cell]``.

        ``cell_sums`` holds, for each cell and each of ``k`` statistics, the
        sum over the cell's rows of ``x / w``.
        """
        sums = np.asarray(cell_sums, dtype=np.float64).reshape(self.n_cells, -1)
        if self.n_cells > _OPERATOR_CELLS or sums.shape[1] * 4 < self.n_cells:
            return self._sweep(sums)
        operator = self._operator
        if operator is None:
            # the sweeps are linear in the cell sums: apply them once to the
            # identity and keep the matrix (computed on first use)
            operator = self._sweep(np.eye(self.n_cells))
            object.__setattr__(self, "_operator", operator)
        result: FloatArray = operator @ sums
        return result

    def residualise(self, x: FloatArray, weights: FloatArray) -> FloatArray:
        """Row-level residuals of influence values ``x`` (n × k) from the raking margins."""
        x2 = x.reshape(x.shape[0], -1)
        z = x2 / weights[:, None]
        sums = np.stack(
            [group_sum(self.cell, z[:, j], self.n_cells) for j in range(z.shape[1])],
            axis=1,
        )
        adjustment = self.cell_adjustments(sums)
        result: FloatArray = x2 - weights[:, None] * adjustment[self.cell]
        return result.reshape(x.shape)
