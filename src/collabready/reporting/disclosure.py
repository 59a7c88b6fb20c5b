"""Disclosure control as the reports apply it.

No figure may rest on fewer than ``k`` respondents. For a breakdown of one
variable, a level with fewer than ``k`` respondents is suppressed (primary);
if that leaves exactly one suppressed level while the total is published,
its count could be recovered by subtraction, so the next-smallest level is
suppressed too (secondary).
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

#: Default threshold: no figure describes fewer than this many respondents.
DEFAULT_K = 5


def suppress_levels(*, counts: NDArray[np.int64], k: int) -> list[str]:
    """Status of each level: ``shown``, ``suppressed`` (n < k) or ``secondary``."""
    if k < 1:
        raise ValueError(f"k must be at least 1, not {k}")
    status = ["suppressed" if 0 < c < k else "shown" for c in counts]
    # empty levels are not published at all; treat as suppressed too
    status = ["suppressed" if c == 0 else s for c, s in zip(counts, status, strict=True)]
    primary = [i for i, s in enumerate(status) if s == "suppressed" and counts[i] > 0]
    if len(primary) == 1:
        others = [i for i, s in enumerate(status) if s == "shown"]
        if others:
            j = min(others, key=lambda i: counts[i])
            status[j] = "secondary"
    return status
