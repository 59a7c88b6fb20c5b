"""Small typed wrappers around numpy kernels."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.intp]


def group_sum(index: IntArray, values: npt.ArrayLike | None, size: int) -> FloatArray:
    """Sum of ``values`` (or a count, when ``None``) for each group ``0..size-1``."""
    return np.asarray(np.bincount(index, values, minlength=size), dtype=np.float64)
