"""Comparisons: waves, adjustments, errors."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats as sps

from collabready.stats import (
    PAdjust,
    StatsInputError,
    adjust_p_values,
    compare_domains,
    compare_waves,
    estimate_means,
    survey_design,
)


def wave(seed, shift):
    rng = np.random.default_rng(seed)
    n = 300
    design = survey_design(weights=rng.uniform(1, 3, n))
    group = rng.choice(["a", "b"], n)
    y = rng.normal(50 + shift, 10, n)
    return estimate_means(design=design, variables={"y": y}, by={"g": group})


def test_wave_change_uses_both_standard_errors():
    first, second = wave(1, 0.0), wave(2, 5.0)
    change = compare_waves(earlier=first, later=second)
    assert len(change) == 3
    i = first.index("y")
    assert change.difference[0] == pytest.approx(second.estimate[i] - first.estimate[i])
    se = np.hypot(first.se[i], second.se[i])
    assert change.se[0] == pytest.approx(se)
    assert min(first.df[i], second.df[i]) <= change.df[0] <= first.df[i] + second.df[i]
    t = sps.t.ppf(0.975, change.df[0])
    assert change.ci_low[0] == pytest.approx(change.difference[0] - t * se)
    assert change.first[0] == "all (later)"


def test_waves_without_common_rows_are_refused():
    first = wave(1, 0.0)
    with pytest.raises(StatsInputError, match="in common"):
        compare_waves(
            earlier=first,
            later=estimate_means(
                design=survey_design(weights=np.ones(3)), variables={"z": [1.0, 2.0, 3.0]}
            ),
        )


def test_adjustments_are_monotone_and_bounded():
    p = np.array([0.001, 0.2, 0.03, np.nan, 0.04, 0.9])
    for method in (PAdjust.HOLM, PAdjust.BH):
        adjusted = adjust_p_values(p, method=method)
        assert np.isnan(adjusted[3])
        ok = np.isfinite(p)
        assert np.all(adjusted[ok] >= p[ok])
        assert np.all(adjusted[ok] <= 1)
        order = np.argsort(p[ok])
        assert np.all(np.diff(adjusted[ok][order]) >= 0)
    assert np.array_equal(adjust_p_values(p, method=PAdjust.NONE), p, equal_nan=True)


def test_unknown_level_in_pairs_is_named():
    design = survey_design(weights=np.ones(4))
    with pytest.raises(StatsInputError, match="no level 'c'"):
        compare_domains(
            design=design,
            variables={"y": [1.0, 2.0, 3.0, 4.0]},
            by={"g": ["a", "a", "b", "b"]},
            pairs=[("a", "c")],
        )
