"""Shared helpers for the benchmark scripts: best-of-N timing and a header."""

from __future__ import annotations

import os
import platform
import time
from collections.abc import Callable
from typing import Any


def best_of(fn: Callable[[], Any], repeat: int = 5) -> tuple[float, Any]:
    """Run ``fn`` ``repeat`` times; the fastest wall time in seconds, and its last result."""
    best = float("inf")
    result = None
    for _ in range(repeat):
        t0 = time.perf_counter()
        result = fn()
        best = min(best, time.perf_counter() - t0)
    return best, result


def header(title: str) -> None:
    load = os.getloadavg()
    print(f"# {title}")
    print(
        f"# {platform.python_implementation()} {platform.python_version()}, "
        f"{os.cpu_count()} cores, load average {load[0]:.2f}"
    )
