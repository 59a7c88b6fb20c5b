"""Hypothesis properties of raking and estimation."""

from __future__ import annotations

import numpy as np
from hypothesis import assume, given
from hypothesis import strategies as st

from collabready.stats import (
    ProportionCI,
    RakingError,
    WeightBounds,
    estimate_means,
    estimate_proportions,
    margins_from_records,
    rake,
    raked_design,
    survey_design,
)


@st.composite
def samples(draw):
    """A sample with every combination of margin levels present, and population margins.

    (Without every combination raking may be impossible; that case is tested
    in test_weights.py.)
    """
    seed = draw(st.integers(0, 2**32 - 1))
    rng = np.random.default_rng(seed)
    sizes = draw(st.lists(st.integers(2, 4), min_size=1, max_size=3))
    every = np.stack(np.meshgrid(*[np.arange(k) for k in sizes], indexing="ij"), -1)
    every = every.reshape(-1, len(sizes))
    extra = draw(st.integers(10, 150))
    n = every.shape[0] + extra
    data = {}
    records = []
    population = float(draw(st.integers(1_000, 1_000_000)))
    order = rng.permutation(n)
    for m, size in enumerate(sizes):
        codes = np.concatenate([every[:, m], rng.integers(0, size, extra)])[order]
        data[f"v{m}"] = np.array([f"l{c}" for c in codes])
        share = rng.dirichlet(np.ones(size)) * 0.8 + 0.2 / size
        records += [(f"v{m}", f"l{level}", population * s) for level, s in enumerate(share)]
    base = rng.uniform(0.5, 3.0, n)
    y = rng.normal(50, 20, n)
    y[rng.random(n) < 0.05] = np.nan
    binary = (rng.random(n) < rng.uniform(0.05, 0.95)).astype(float)
    group = rng.choice(["g0", "g1", "g2"], n)
    return data, margins_from_records(records), base, y, binary, group, rng


@given(samples())
def test_raked_weights_reproduce_every_margin(sample):
    data, margins, base, *_ = sample
    result = rake(data=data, margins=margins, base_weights=base, tolerance=1e-9)
    assert result.converged
    for margin in margins:
        for level, total in zip(margin.levels, margin.totals, strict=True):
            got = result.weights[data[margin.variable] == level].sum()
            assert abs(got - total) <= 1e-9 * total
    assert np.all(result.weights > 0)


@given(samples(), st.floats(0.1, 0.9), st.floats(1.5, 6.0))
def test_bounded_weights_are_positive_within_bounds_and_meet_margins(sample, lower, upper):
    data, margins, base, *_ = sample
    try:
        result = rake(
            data=data,
            margins=margins,
            base_weights=base,
            tolerance=1e-9,
            bounds=WeightBounds(lower=lower, upper=upper),
        )
    except RakingError as error:
        assume("bounds" not in str(error))  # infeasible bounds are reported, not faked
        raise
    mean = margins.population_total / len(base)
    assert np.all(result.weights > 0)
    assert result.weights.max() <= upper * mean * (1 + 1e-9)
    assert result.weights.min() >= lower * mean * (1 - 1e-9)
    assert result.max_relative_residual <= 1e-9


@given(samples())
def test_results_do_not_depend_on_row_order(sample):
    data, margins, base, y, _, group, rng = sample
    order = rng.permutation(len(base))

    def run(index):
        raking = rake(
            data={k: v[index] for k, v in data.items()},
            margins=margins,
            base_weights=base[index],
            tolerance=1e-12,
        )
        design = raked_design(raking)
        return estimate_means(design=design, variables={"y": y[index]}, by={"g": group[index]})

    first, second = run(np.arange(len(base))), run(order)
    np.testing.assert_allclose(first.estimate, second.estimate, rtol=1e-9)
    # a variance that is exactly 0 comes out as rounding noise of either sign
    np.testing.assert_allclose(first.se, second.se, rtol=1e-7, atol=1e-6 * np.nanmax(first.se))
    assert first.domain == second.domain


@given(samples(), st.sampled_from(list(ProportionCI)), st.sampled_from([0.8, 0.9, 0.95, 0.99]))
def test_every_interval_contains_its_estimate(sample, method, level):
    data, margins, base, y, binary, group, _ = sample
    design = raked_design(rake(data=data, margins=margins, base_weights=base))
    means = estimate_means(design=design, variables={"y": y}, by={"g": group}, level=level)
    props = estimate_proportions(
        design=design, variables={"p": binary}, by={"g": group}, level=level, method=method
    )
    for table in (means, props):
        ok = np.isfinite(table.estimate)
        assert np.all(table.ci_low[ok] <= table.estimate[ok] + 1e-12)
        assert np.all(table.estimate[ok] <= table.ci_high[ok] + 1e-12)
    ok = np.isfinite(props.estimate)
    assert np.all((props.ci_low[ok] >= 0) & (props.ci_high[ok] <= 1))


@given(samples(), st.floats(1e-3, 1e4))
def test_scaling_all_weights_leaves_means_unchanged(sample, factor):
    _, _, base, y, _, group, _ = sample
    one = estimate_means(design=survey_design(weights=base), variables={"y": y}, by={"g": group})
    scaled = estimate_means(
        design=survey_design(weights=base * factor), variables={"y": y}, by={"g": group}
    )
    np.testing.assert_allclose(one.estimate, scaled.estimate, rtol=1e-10)
    np.testing.assert_allclose(one.se, scaled.se, rtol=1e-8, atol=1e-6 * np.nanmax(one.se))
