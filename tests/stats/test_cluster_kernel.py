"""The compiled kernel for clustered designs against the plain numpy route, and against R.

``fused_row_tables(engine="kernel")`` sums every variable's PSU totals in one
pass over the rows (:mod:`collabready.stats._cluster_kernel`);
``engine="numpy"`` takes the bincounts and ``reduceat`` sums per variable. They
must give the same tables (to rounding: ~1e-12 of each table's scale) and the
same estimates and standard errors on any design: PSUs of one row and of
many, PSUs straddling domains and calibration cells ("mixed"), missing
grouping labels and values, a variable with no valid value at all, strata with
a single PSU (certainty and adjust), fpc, raked and unraked weights, with the
variables' sums in one thread or split between two. (Weights of zero are not
a case: ``survey_design`` refuses them.) Then the R ``survey`` golden values of
the clustered designs, computed through the kernel.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from collabready.stats import estimate_means, factorize, survey_design
from collabready.stats import variance as variance_module
from collabready.stats.variance import (
    ClusterTables,
    RowTables,
    Statistic,
    domain_covariance,
    fused_row_tables,
)

from . import test_golden_survey as golden_tests
from .test_cluster_fast_path import configs, make_design

ROW_FIELDS = ("count", "s_w", "s_w2", "s_y", "s_wy", "s_w2y", "s_w2y2")
CLUSTER_FIELDS = ("s_pp", "s_pq", "s_qq", "s_pw", "s_qw", "s_ww", "psu_count")


def close_tables(actual, expected, what, rtol=1e-11):
    """Equal to ``rtol``, relative to each entry or to the table's largest entry.

    The second because a sum of centred values that is near zero in theory
    comes out as the rounding error of the terms it cancels, in a different order
    on each route: a domain's Σ w (y - ȳ) of -18.1 from a few thousand terms of ±2
    differs by 4e-11, 2e-12 of itself (the estimates and SEs are held to 1e-12).
    """
    actual, expected = np.asarray(actual, dtype=np.float64), np.asarray(expected, dtype=np.float64)
    assert actual.shape == expected.shape, what
    finite = expected[np.isfinite(expected)]
    scale = float(np.abs(finite).max()) if finite.size else 0.0
    np.testing.assert_allclose(actual, expected, rtol=rtol, atol=rtol * scale, err_msg=what)


def assert_same_tables(kernel: RowTables, plain: RowTables, what: str) -> None:
    assert kernel.shift == pytest.approx(plain.shift, rel=1e-12, abs=1e-12), what
    for field in ROW_FIELDS:
        close_tables(getattr(kernel, field), getattr(plain, field), f"{what}: {field}")
    a, b = kernel.clusters, plain.clusters
    assert isinstance(a, ClusterTables)
    assert isinstance(b, ClusterTables)
    for field in (*CLUSTER_FIELDS, "mixed_p", "mixed_q", "mixed_scale"):
        close_tables(getattr(a, field), getattr(b, field), f"{what}: {field}")
    np.testing.assert_array_equal(a.mixed_stratum, b.mixed_stratum)
    if b.mixed_cells is None:
        assert a.mixed_cells is None
    else:
        close_tables(a.mixed_cells.toarray(), b.mixed_cells.toarray(), f"{what}: mixed cells")


def assert_engines_agree(design, groupings, variables):
    kernel = fused_row_tables(design, variables, groupings, engine="kernel")
    plain = fused_row_tables(design, variables, groupings, engine="numpy")
    assert kernel is not None
    assert plain is not None
    assert [(name, g) for name, g, _ in kernel] == [(name, g) for name, g, _ in plain]
    for (name, g, a), (_, _, b) in zip(kernel, plain, strict=True):
        assert_same_tables(a, b, f"{name} by grouping {g}")
        for statistic in Statistic:
            fast = domain_covariance(design, None, groupings[g], statistic, row_tables=a)
            slow = domain_covariance(design, None, groupings[g], statistic, row_tables=b)
            np.testing.assert_array_equal(fast.n, slow.n)
            np.testing.assert_array_equal(fast.domain_df, slow.domain_df)
            np.testing.assert_allclose(fast.weighted_n, slow.weighted_n, rtol=1e-12)
            np.testing.assert_allclose(fast.estimate, slow.estimate, rtol=1e-12)
            close_tables(fast.covariance, slow.covariance, f"{name}: covariance")
            se_fast, se_slow = np.sqrt(np.diag(fast.covariance)), np.sqrt(np.diag(slow.covariance))
            close_tables(se_fast, se_slow, f"{name}: SE", rtol=1e-12)


@pytest.fixture(params=["one thread", "two threads"])
def threads(request, monkeypatch):
    """The kernel's variables in one share, or split between two threads even on small data."""
    if request.param == "two threads":
        monkeypatch.setattr(variance_module, "_KERNEL_THREADS", 2)
        monkeypatch.setattr(variance_module, "_KERNEL_THREAD_ROWS", 0)
    else:
        monkeypatch.setattr(variance_module, "_KERNEL_THREADS", 1)
    return request.param


# Raking a few hundred rows to 1e-13 makes an example slower than Hypothesis expects;
# the fixture (a monkeypatched constant) holds for every example of the test.
@settings(suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(seed=st.integers(0, 2**32 - 1), config=configs, empty=st.booleans())
@example(
    seed=1,
    config={
        "n": 40,
        "cluster_share": 0.1,
        "nested": 0.9,
        "missing_label": 0.0,
        "missing_value": 0.1,
        "integer_values": False,
        "varying_weights": False,
        "raked": True,
        "strata": 2,
        "fpc": False,
        "lonely": "certainty",
    },
    empty=True,
)
def test_kernel_tables_equal_the_numpy_tables(threads, seed, config, empty):
    design, groupings, variables = make_design(seed, config)
    if empty:  # a variable nobody answered
        variables["none"] = np.full(design.n, np.nan)
    assert_engines_agree(design, groupings, variables)


def test_one_row_psus_many_row_psus_and_mixed_psus_together(threads):
    """Most PSUs one row (as organisations that answer alone), some of several rows
    inside one domain, some straddling domains; values missing in each kind."""
    rng = np.random.default_rng(7)
    n = 5000
    cluster = np.arange(n)
    many = rng.random(n) < 0.4
    cluster[many] = rng.integers(0, 300, many.sum())  # ~300 PSUs of several rows
    group = np.where(many, cluster % 3, rng.integers(0, 3, n))
    group[rng.random(n) < 0.01] = 4  # a few rows make their PSU straddle domains
    labels = np.array(["a", "b", "c", "d", "e"], dtype=object)[group]
    labels[rng.random(n) < 0.02] = None
    y = rng.normal(60, 20, n)
    y[rng.random(n) < 0.05] = np.nan
    variables = {"y": y, "complete": rng.normal(3, 1, n), "flag": (rng.random(n) < 0.3) * 1.0}
    design = survey_design(weights=rng.uniform(0.5, 3, n), clusters=cluster)
    groupings = [factorize(labels), factorize(np.array(["x", "y"], dtype=object)[group % 2])]
    assert_engines_agree(design, groupings, variables)


def test_auto_uses_the_kernel_from_its_threshold(monkeypatch):
    """``engine="auto"`` (the default) runs the kernel from KERNEL_MIN_ROWS rows only."""
    calls = []
    real = variance_module._kernel_row_tables

    def spy(*args, **kwargs):
        calls.append(args[0].n)
        return real(*args, **kwargs)

    monkeypatch.setattr(variance_module, "_kernel_row_tables", spy)
    rng = np.random.default_rng(1)
    design = survey_design(weights=np.ones(200), clusters=rng.integers(0, 50, 200))
    variables = {"y": rng.normal(size=200)}
    by = {"g": rng.integers(0, 3, 200)}
    small = estimate_means(design=design, variables=variables, by=by)
    assert calls == []
    monkeypatch.setattr(variance_module, "KERNEL_MIN_ROWS", 200)
    large = estimate_means(design=design, variables=variables, by=by)
    assert calls == [200]
    np.testing.assert_allclose(large.estimate, small.estimate, rtol=1e-12)
    np.testing.assert_allclose(large.se, small.se, rtol=1e-12)


CLUSTERED = ["clus1", "rake_clus1", "fixed_clus1"]
GOLDEN_CHECKS = [
    golden_tests.test_mean_se_ci,
    golden_tests.test_domain_means_with_cis,
    golden_tests.test_totals_overall_and_by_domain,
    golden_tests.test_domain_differences_use_the_design_covariance,
]


@pytest.mark.parametrize("name", CLUSTERED)
@pytest.mark.parametrize("check", GOLDEN_CHECKS, ids=lambda f: f.__name__)
def test_r_golden_values_through_the_kernel(name, check, api, api_margins, golden, monkeypatch):
    """R survey's figures for the cluster sample (raked or not), with every estimate
    of the clustered design going through the kernel."""
    calls = []
    real = variance_module._kernel_row_tables

    def spy(*args, **kwargs):
        calls.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr(variance_module, "KERNEL_MIN_ROWS", 0)
    monkeypatch.setattr(variance_module, "_kernel_row_tables", spy)
    data, design = golden_tests.build(name, api, api_margins, golden)
    check((name, data, design, golden[name]))
    assert calls


def test_float32_variables_give_exactly_the_float64_results(threads):
    """Score columns come as float32: the kernel widens each value as it reads it, so
    every table, estimate and SE equals that of a float64 copy bit for bit (and a
    float64 copy is what the numpy route and every other caller compute on)."""
    rng = np.random.default_rng(11)
    n = 4000
    cluster = np.where(rng.random(n) < 0.5, rng.integers(0, 400, n), np.arange(n) + 400)
    labels = np.array(["a", "b", "c", None], dtype=object)[rng.integers(0, 4, n)]
    y = rng.normal(60, 20, n).astype(np.float32)
    y[rng.random(n) < 0.05] = np.nan
    z = rng.uniform(0, 100, n).astype(np.float32)
    design = survey_design(weights=rng.uniform(0.5, 3, n), clusters=cluster)
    groupings = [factorize(labels)]
    single = fused_row_tables(design, {"y": y, "z": z}, groupings, engine="kernel")
    double = fused_row_tables(
        design, {"y": y.astype(np.float64), "z": z.astype(np.float64)}, groupings, engine="kernel"
    )
    assert single is not None
    assert double is not None
    for (name, _, a), (_, _, b) in zip(single, double, strict=True):
        assert a.shift == b.shift, name
        for field in ROW_FIELDS:
            np.testing.assert_array_equal(getattr(a, field), getattr(b, field), err_msg=name)
        assert a.clusters is not None
        assert b.clusters is not None
        for field in CLUSTER_FIELDS:
            np.testing.assert_array_equal(
                getattr(a.clusters, field), getattr(b.clusters, field), err_msg=name
            )
    by = {"g": factorize(labels)}
    plain = estimate_means(design=design, variables={"y": y.astype(np.float64)}, by=by)
    widened = estimate_means(design=design, variables={"y": y}, by=by)
    for field in ("estimate", "se", "ci_low", "ci_high", "weighted_n"):
        np.testing.assert_array_equal(getattr(widened, field), getattr(plain, field))
