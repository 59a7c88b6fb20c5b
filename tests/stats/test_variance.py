"""The fast domain engine against a literal row-level transcription of R's svyrecvar.

The reference below follows R ``survey`` line by line: influence values of
each domain mean, ten ``x - w * ave(x / w, margin)`` sweeps over the raking
margins, PSU totals, centring within strata and the ``n_h / (n_h - 1)`` and
fpc scaling. The engine computes the same numbers from cell tables.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from collabready.stats import (
    compare_domains,
    estimate_means,
    estimate_totals,
    influence_covariance,
    margins_from_records,
    rake,
    raked_design,
    survey_design,
)


def reference_covariance(x, w, strata, psu, fraction, margins):
    x = x.copy()
    if margins:
        for _ in range(10):
            for codes in margins:
                z = pd.DataFrame(x / w[:, None])
                x = x - w[:, None] * z.groupby(codes).transform("mean").to_numpy()
    frame = pd.DataFrame(x)
    frame["stratum"] = strata
    frame["psu"] = psu
    totals = frame.groupby(["stratum", "psu"]).sum()
    k = x.shape[1]
    cov = np.zeros((k, k))
    for stratum, block in totals.groupby(level="stratum"):
        values = block.to_numpy()
        n_h = values.shape[0]
        centred = values - values.mean(axis=0)
        cov += (1 - fraction[stratum]) * n_h / (n_h - 1) * centred.T @ centred
    return cov


def make(seed, *, strata, clusters, calibrated, missing):
    rng = np.random.default_rng(seed)
    n = 600
    data = {
        "a": rng.choice(["a0", "a1", "a2"], n, p=[0.5, 0.3, 0.2]),
        "b": rng.choice(["b0", "b1"], n, p=[0.6, 0.4]),
        "g": rng.choice(["g0", "g1", "g2", "g3"], n),
    }
    y = rng.normal(50, 15, n) + 5 * (data["a"] == "a1") - 4 * (data["b"] == "b1")
    if missing:
        y[rng.random(n) < 0.1] = np.nan
    base = rng.uniform(1, 4, n)
    stratum = rng.integers(0, 4, n) if strata else np.zeros(n, dtype=int)
    psu = rng.integers(0, 40, n) if clusters else np.arange(n)
    fraction = np.array([0.1, 0.0, 0.2, 0.05]) if strata else np.array([0.1])
    fpc = fraction[stratum] if strata else np.full(n, 0.1)
    # R's fpc as a sampling fraction is per PSU: PSUs sampled / PSUs in population
    n_psu = pd.Series(psu).groupby(stratum).nunique().to_numpy()
    population = n_psu / np.where(fraction > 0, fraction, 1)
    fpc_values = np.where(fpc > 0, population[stratum], 1e12)
    if calibrated:
        margins = margins_from_records(
            [
                ("a", "a0", 500),
                ("a", "a1", 300),
                ("a", "a2", 200),
                ("b", "b0", 550),
                ("b", "b1", 450),
            ]
        )
        raking = rake(data=data, margins=margins, base_weights=base, tolerance=1e-13)
        design = raked_design(
            raking,
            strata=stratum if strata else None,
            clusters=psu if clusters else None,
            fpc=fpc_values,
        )
        margin_codes = [pd.factorize(data["a"])[0], pd.factorize(data["b"])[0]]
    else:
        design = survey_design(
            weights=base,
            strata=stratum if strata else None,
            clusters=psu if clusters else None,
            fpc=fpc_values,
        )
        margin_codes = []
    realised = 1 - np.where(fpc > 0, n_psu[stratum] / population[stratum], 0.0)
    fraction_used = 1 - pd.Series(realised).groupby(stratum).first().to_numpy()
    return data, y, design, stratum, psu, fraction_used, margin_codes


CONFIGS = [
    {"strata": False, "clusters": False, "calibrated": False, "missing": False},
    {"strata": True, "clusters": False, "calibrated": False, "missing": True},
    {"strata": False, "clusters": True, "calibrated": False, "missing": True},
    {"strata": False, "clusters": False, "calibrated": True, "missing": True},
    {"strata": True, "clusters": False, "calibrated": True, "missing": False},
    {"strata": True, "clusters": True, "calibrated": True, "missing": True},
]


@pytest.mark.parametrize("config", CONFIGS, ids=lambda c: "-".join(k for k, v in c.items() if v))
@pytest.mark.parametrize("seed", [1, 2])
def test_domain_means_match_the_row_level_reference(config, seed):
    data, y, design, stratum, psu, fraction, margin_codes = make(seed, **config)
    w = design.weights
    levels = sorted(set(data["g"]))
    x = np.zeros((len(y), len(levels)))
    means = []
    for d, level in enumerate(levels):
        inside = (data["g"] == level) & np.isfinite(y)
        total_w = w[inside].sum()
        mean = (w[inside] * y[inside]).sum() / total_w
        means.append(mean)
        x[inside, d] = w[inside] * (y[inside] - mean) / total_w
    want = reference_covariance(x, w, stratum, psu, fraction, margin_codes)
    tiny = 1e-10 * np.abs(want).max()
    np.testing.assert_allclose(influence_covariance(design, x), want, rtol=1e-9, atol=tiny)
    table = estimate_means(design=design, variables={"y": y}, by={"g": data["g"]}, overall=False)
    np.testing.assert_allclose(table.estimate, means, rtol=1e-12)
    np.testing.assert_allclose(table.se, np.sqrt(np.diag(want)), rtol=1e-9)
    diffs = compare_domains(design=design, variables={"y": y}, by={"g": data["g"]})
    i, j = levels.index(diffs.first[0]), levels.index(diffs.second[0])
    var = want[i, i] + want[j, j] - 2 * want[i, j]
    assert diffs.se[0] == pytest.approx(np.sqrt(var), rel=1e-9)


@pytest.mark.parametrize(
    "config", CONFIGS[2:], ids=lambda c: "-".join(k for k, v in c.items() if v)
)
def test_domain_totals_match_the_row_level_reference(config):
    data, y, design, stratum, psu, fraction, margin_codes = make(5, **config)
    w = design.weights
    levels = sorted(set(data["g"]))
    x = np.zeros((len(y), len(levels)))
    for d, level in enumerate(levels):
        inside = (data["g"] == level) & np.isfinite(y)
        x[inside, d] = w[inside] * y[inside]
    want = reference_covariance(x, w, stratum, psu, fraction, margin_codes)
    table = estimate_totals(design=design, variables={"y": y}, by={"g": data["g"]}, overall=False)
    np.testing.assert_allclose(table.se, np.sqrt(np.diag(want)), rtol=1e-9)


@pytest.mark.parametrize("base_weights", ["equal", "varying"])
@pytest.mark.parametrize("strata", [False, True])
def test_the_fused_tables_give_the_per_grouping_results(base_weights, strata, monkeypatch):
    """One pass per variable over (stratum, cell, level combination) = one pass per grouping.

    With equal base weights the raked weights are constant within a cell and
    the fused path takes its two-sums shortcut; with varying ones it sums the
    weighted products. Groupings have missing labels, variables missing values.
    """
    from collabready.stats import estimate as estimate_module

    rng = np.random.default_rng(5)
    n = 3000
    data = {
        "a": rng.choice(["a0", "a1", "a2"], n, p=[0.5, 0.3, 0.2]),
        "b": rng.choice(["b0", "b1"], n),
    }
    margins = margins_from_records(
        [("a", "a0", 500), ("a", "a1", 300), ("a", "a2", 200), ("b", "b0", 550), ("b", "b1", 450)]
    )
    base = None if base_weights == "equal" else rng.uniform(1, 4, n)
    raking = rake(data=data, margins=margins, base_weights=base, tolerance=1e-13)
    design = raked_design(raking, strata=rng.integers(0, 3, n) if strata else None)
    role = rng.choice(np.array(["x", "y", "z", None], dtype=object), n, p=[0.4, 0.3, 0.28, 0.02])
    variables = {f"v{j}": rng.normal(50, 10, n) for j in range(3)}
    variables["v1"][rng.random(n) < 0.08] = np.nan
    by = {"a": data["a"], "role": role, "b": data["b"]}
    fused = estimate_means(design=design, variables=variables, by=by)
    monkeypatch.setattr(estimate_module, "fused_row_tables", lambda *a, **k: None)
    plain = estimate_means(design=design, variables=variables, by=by)
    assert fused.variable == plain.variable
    assert fused.domain == plain.domain
    np.testing.assert_array_equal(fused.n, plain.n)
    for column in ("estimate", "se", "ci_low", "ci_high", "weighted_n"):
        np.testing.assert_allclose(getattr(fused, column), getattr(plain, column), rtol=1e-10)
