"""McDonald's omega: golden values from R psych and a hand-worked example."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from collabready.stats.omega import mcdonald_omega, omega_from_covariance

GOLDEN = Path(__file__).parent / "golden"
R = json.loads((GOLDEN / "reliability_golden.json").read_text())


@pytest.mark.parametrize("case", sorted(R["omega"]))
def test_omega_matches_r_psych(case: str) -> None:
    g = R["omega"][case]
    csv = "likert6.csv" if case.startswith("likert") else "bfi_ac.csv"
    x = pd.read_csv(GOLDEN / csv)[g["items"]].to_numpy(dtype=float)
    res = mcdonald_omega(items=x, item_ids=g["items"], reverse=g["reverse"])
    assert res.converged
    # psych's optim() stops at about 1e-6 on the loadings; ours is tighter.
    assert res.omega_total == pytest.approx(g["omega_total"], abs=1e-6)
    assert res.omega_hierarchical == pytest.approx(g["omega_hierarchical"], abs=1e-5)
    np.testing.assert_allclose(res.loadings, g["loadings"], atol=2e-5)


def test_hand_worked_one_factor_example() -> None:
    """A correlation matrix that one factor fits exactly.

    Loadings 0.8, 0.7, 0.6, 0.5 give R = λλᵀ with a unit diagonal, so minres
    recovers them exactly. Σλ = 2.6, (Σλ)² = 6.76; uniquenesses 1 − λ² sum to
    0.36 + 0.51 + 0.64 + 0.75 = 2.26; V_t = 1ᵀR1 = 6.76 + 2.26 = 9.02, and
    every omega equals 6.76 / 9.02 = 0.749445676...
    """
    lam = np.array([0.8, 0.7, 0.6, 0.5])
    r = np.outer(lam, lam)
    np.fill_diagonal(r, 1.0)
    res = omega_from_covariance(covariance=r * 4.0)  # a covariance: scale does not matter
    np.testing.assert_allclose(res.loadings, lam, atol=1e-8)
    np.testing.assert_allclose(res.uniquenesses, 1 - lam**2, atol=1e-8)
    for value in (res.omega_total, res.omega_hierarchical, res.omega_model):
        assert value == pytest.approx(6.76 / 9.02, abs=1e-8)
    frame = res.to_frame()
    assert list(frame["item"]) == ["item1", "item2", "item3", "item4"]


def test_reverse_keyed_item_is_flipped() -> None:
    lam = np.array([0.8, -0.7, 0.6])
    r = np.outer(lam, lam)
    np.fill_diagonal(r, 1.0)
    rng = np.random.default_rng(0)
    x = rng.multivariate_normal(np.zeros(3), r, size=5000)
    flipped = mcdonald_omega(items=x, reverse=[False, True, False])
    assert min(flipped.loadings) > 0.5


def test_constant_item_gives_nan() -> None:
    x = np.column_stack([np.arange(10.0), np.ones(10), np.arange(10.0) % 3])
    res = mcdonald_omega(items=x)
    assert np.isnan(res.omega_total)
    assert not res.converged
