"""Weighted correlation with a Fisher-z interval."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from scipy import stats as sps

from collabready.stats.validity import (
    CorrelationMethod,
    ValidityInputError,
    index_outcomes_correlation,
    weighted_correlation,
)


def _pair(n: int, rho: float, seed: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    x = rng.standard_normal(n)
    y = rho * x + np.sqrt(1 - rho**2) * rng.standard_normal(n)
    return x, y


def test_unweighted_matches_scipy_fisher_interval() -> None:
    x, y = _pair(500, 0.4, 1)
    res = weighted_correlation(x=x, y=y)
    ref = sps.pearsonr(x, y)
    ci = ref.confidence_interval(0.95)
    assert res.r == pytest.approx(ref.statistic, rel=1e-12)
    assert res.ci_lower == pytest.approx(ci.low, rel=1e-10)
    assert res.ci_upper == pytest.approx(ci.high, rel=1e-10)


def test_integer_weights_give_the_replicated_r() -> None:
    x, y = _pair(100, 0.3, 2)
    w = np.random.default_rng(3).integers(1, 5, 100)
    res = weighted_correlation(x=x, y=y, weights=w.astype(float))
    ref = sps.pearsonr(np.repeat(x, w), np.repeat(y, w))
    assert res.r == pytest.approx(ref.statistic, rel=1e-12)
    assert res.n_effective == pytest.approx(w.sum() ** 2 / (w**2).sum())


def test_linearized_se_agrees_with_normal_theory_for_normal_data() -> None:
    x, y = _pair(40_000, 0.5, 4)
    fisher = weighted_correlation(x=x, y=y)
    lin = weighted_correlation(x=x, y=y, method=CorrelationMethod.LINEARIZED)
    assert lin.se_z == pytest.approx(fisher.se_z, rel=0.05)


def test_linearized_se_grows_with_duplicated_clusters() -> None:
    """Each respondent copied 4 times inside one cluster: the SE must not shrink."""
    x, y = _pair(2000, 0.5, 5)
    single = weighted_correlation(x=x, y=y, method=CorrelationMethod.LINEARIZED)
    rep = weighted_correlation(
        x=np.repeat(x, 4),
        y=np.repeat(y, 4),
        clusters=np.repeat(np.arange(2000), 4),
        method=CorrelationMethod.LINEARIZED,
    )
    assert rep.r == pytest.approx(single.r, rel=1e-12)
    assert rep.se_z == pytest.approx(single.se_z, rel=1e-3)


def test_missing_values_are_dropped() -> None:
    x, y = _pair(50, 0.5, 6)
    x2, y2 = x.copy(), y.copy()
    x2[:5] = np.nan
    y2[5:8] = np.nan
    res = weighted_correlation(x=x2, y=y2)
    assert res.n == 42
    assert res.r == pytest.approx(sps.pearsonr(x[8:], y[8:]).statistic, rel=1e-12)


def test_index_outcomes_from_scores_table() -> None:
    x, y = _pair(300, 0.6, 7)
    scores = pd.DataFrame({"index": 50 + 10 * x, "outcomes": 60 + 5 * y, "w": 1.0, "org": 1})
    res = index_outcomes_correlation(scores=scores, weights="w")
    assert res.r == pytest.approx(np.corrcoef(x, y)[0, 1], rel=1e-12)
    assert res.to_frame().loc[0, "x"] == "index"
    with pytest.raises(ValidityInputError, match="no column 'outcome'"):
        index_outcomes_correlation(scores=scores, outcome_column="outcome")


def test_too_few_gives_nan() -> None:
    res = weighted_correlation(x=np.array([1.0, 2.0, 3.0]), y=np.array([1.0, 3.0, 2.0]))
    assert np.isnan(res.r)


def test_bad_input_is_named() -> None:
    with pytest.raises(ValidityInputError, match="y has 2 values, x has 3"):
        weighted_correlation(x=np.zeros(3), y=np.zeros(2))
    with pytest.raises(ValidityInputError, match="non-negative"):
        weighted_correlation(x=np.zeros(3), y=np.zeros(3), weights=-np.ones(3))


vectors = hnp.arrays(np.float64, 30, elements=st.floats(-100, 100))


@given(vectors, vectors, st.sampled_from(list(CorrelationMethod)))
def test_interval_contains_r_and_r_is_bounded(
    x: np.ndarray, y: np.ndarray, method: CorrelationMethod
) -> None:
    res = weighted_correlation(x=x, y=y, method=method, clusters=np.arange(30) // 3)
    if not np.isnan(res.r):
        assert -1.0 <= res.r <= 1.0
    if not np.isnan(res.ci_lower):
        assert res.ci_lower <= res.r <= res.ci_upper
