"""Shared fixtures for the statistics tests: the R survey API data and golden values."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from collabready.stats import read_margins_csv
from collabready.stats.margins import Margins

GOLDEN = Path(__file__).parent / "golden"


@pytest.fixture(scope="session")
def golden() -> dict[str, Any]:
    return json.loads((GOLDEN / "survey_golden.json").read_text())


@pytest.fixture(scope="session")
def api() -> dict[str, pd.DataFrame]:
    return {
        name: pd.read_csv(GOLDEN / f"api{name}.csv", keep_default_na=False, na_values=[""])
        for name in ("srs", "strat", "clus1")
    }


@pytest.fixture(scope="session")
def api_margins() -> Margins:
    return read_margins_csv(GOLDEN / "api_margins.csv")


def close(actual: Any, expected: Any, rtol: float = 1e-6) -> None:
    """Relative agreement to ``rtol`` (R's JSON carries 15 significant digits)."""
    np.testing.assert_allclose(
        np.ravel(np.asarray(actual, dtype=float)),
        np.ravel(np.asarray(expected, dtype=float)),
        rtol=rtol,
        atol=0,
    )
