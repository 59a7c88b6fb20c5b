"""Raking: margins met, bounds enforced, and clear errors and warnings."""

from __future__ import annotations

import numpy as np
import pytest

from collabready.stats import (
    FactorError,
    NonConvergence,
    RakingError,
    RakingWarning,
    WeightBounds,
    margins_from_records,
    rake,
    weight_diagnostics,
)

MARGINS = margins_from_records(
    [
        ("sector", "public", 500),
        ("sector", "private", 300),
        ("sector", "third", 200),
        ("size", "small", 600),
        ("size", "large", 400),
    ]
)


def sample(n=400, seed=3):
    rng = np.random.default_rng(seed)
    sector = rng.choice(["public", "private", "third"], size=n, p=[0.2, 0.5, 0.3])
    size = np.where(
        rng.random(n) < np.where(sector == "public", 0.8, 0.3), "small", "large"
    ).astype(object)
    return {"sector": sector, "size": size}


def test_margins_are_met_and_diagnostics_reported():
    data = sample()
    result = rake(data=data, margins=MARGINS, tolerance=1e-12)
    assert result.converged
    w = result.weights
    for margin in MARGINS:
        for level, total in zip(margin.levels, margin.totals, strict=True):
            assert w[data[margin.variable] == level].sum() == pytest.approx(total, rel=1e-12)
    frame = result.to_frame()
    assert set(frame["variable"]) == {"sector", "size"}
    assert frame["relative_residual"].abs().max() <= 1e-12
    d = result.diagnostics
    assert d.kish_deff == pytest.approx(len(w) * (w**2).sum() / w.sum() ** 2)
    assert d.effective_n == pytest.approx(len(w) / d.kish_deff)
    assert d.ratio == pytest.approx(w.max() / w.min())


def test_base_weights_are_used():
    data = sample()
    base = np.linspace(1, 3, 400)
    raked = rake(data=data, margins=MARGINS, base_weights=base).weights
    plain = rake(data=data, margins=MARGINS).weights
    assert not np.allclose(raked, plain)
    # within a cell, raking multiplies every base weight by the same factor
    cell = (data["sector"] == "public") & (data["size"] == "small")
    ratio = raked[cell] / base[cell]
    assert np.allclose(ratio, ratio[0])


def test_bounds_are_enforced_and_margins_still_met():
    data = sample()
    free = rake(data=data, margins=MARGINS)
    mean = MARGINS.population_total / 400
    upper = 0.97 * free.weights.max() / mean  # binds, but can be met
    bounded = rake(data=data, margins=MARGINS, bounds=WeightBounds(lower=0.5, upper=upper))
    assert bounded.n_at_bounds > 0
    assert bounded.weights.max() <= upper * mean * (1 + 1e-12)
    assert bounded.weights.min() >= 0.5 * mean * (1 - 1e-12)
    assert bounded.max_relative_residual <= 1e-10


def test_impossible_bounds_say_so():
    data = sample()
    with pytest.raises(RakingError, match="bounds cannot be met"):
        rake(data=data, margins=MARGINS, bounds=WeightBounds(upper=1.01))


def test_non_convergence_raises_or_warns():
    data = sample()
    with pytest.raises(RakingError, match="did not converge"):
        rake(data=data, margins=MARGINS, max_iterations=1)
    with pytest.warns(RakingWarning, match="did not converge"):
        result = rake(
            data=data, margins=MARGINS, max_iterations=1, on_nonconvergence=NonConvergence.WARN
        )
    assert not result.converged
    assert result.max_relative_residual > 1e-10


def test_level_missing_from_margins_is_named():
    data = sample()
    data["sector"] = data["sector"].copy()
    data["sector"][5] = "mutual"
    with pytest.raises(FactorError, match=r"sector: value 'mutual' is not one of the known levels"):
        rake(data=data, margins=MARGINS)


def test_margin_level_without_respondents_is_named():
    data = sample()
    data["sector"] = np.where(data["sector"] == "third", "private", data["sector"])
    with pytest.raises(RakingError, match=r"sector='third'.*no respondent"):
        rake(data=data, margins=MARGINS)


def test_missing_values_and_columns_are_named():
    data = sample()
    data["size"][7] = None
    with pytest.raises(RakingError, match=r"size: 1 respondents have no value .*row 7"):
        rake(data=data, margins=MARGINS)
    with pytest.raises(RakingError, match="margin variable 'size' is not a column"):
        rake(data={"sector": data["sector"]}, margins=MARGINS)


def test_bad_base_weights_are_named():
    data = sample()
    base = np.ones(400)
    base[9] = 0.0
    with pytest.raises(ValueError, match="row 9"):
        rake(data=data, margins=MARGINS, base_weights=base)


def test_bounds_are_validated():
    with pytest.raises(ValueError, match="upper weight bound"):
        WeightBounds(upper=0.5)


def test_weight_diagnostics_rejects_bad_weights():
    with pytest.raises(ValueError, match="positive"):
        weight_diagnostics([1.0, -1.0])


def test_polars_and_pandas_columns_are_accepted():
    import pandas as pd
    import polars as pl

    data = sample()
    want = rake(data=data, margins=MARGINS).weights
    frame = pd.DataFrame(data)
    assert np.allclose(rake(data=frame, margins=MARGINS).weights, want)
    polars_frame = pl.DataFrame({k: [str(v) for v in vals] for k, vals in data.items()})
    assert np.allclose(rake(data=polars_frame, margins=MARGINS).weights, want)
