"""Cronbach's alpha: golden values from R psych, pingouin, and properties."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pingouin as pg
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from collabready.stats.reliability import (
    MissingPolicy,
    ReliabilityInputError,
    alpha_from_covariance,
    cronbach_alpha,
    feldt_interval,
)

GOLDEN = Path(__file__).parent / "golden"
R = json.loads((GOLDEN / "reliability_golden.json").read_text())


def _data(name: str) -> pd.DataFrame:
    return pd.read_csv(GOLDEN / ("likert6.csv" if name.startswith("likert") else "bfi_ac.csv"))


@pytest.mark.parametrize("case", sorted(R["alpha"]))
def test_alpha_matches_r_psych(case: str) -> None:
    g = R["alpha"][case]
    x = _data(case)[g["items"]].to_numpy(dtype=float)
    res = cronbach_alpha(
        items=x, item_ids=g["items"], reverse=g["reverse"], missing=MissingPolicy(g["missing"])
    )
    assert res.alpha == pytest.approx(g["alpha"], rel=1e-12)
    assert res.n_interval == g["n_interval"]
    assert res.ci_lower == pytest.approx(g["ci_lower"], rel=1e-10)
    assert res.ci_upper == pytest.approx(g["ci_upper"], rel=1e-10)
    np.testing.assert_allclose(res.item_rest, g["item_rest"], rtol=1e-10)
    np.testing.assert_allclose(res.alpha_if_deleted, g["alpha_if_deleted"], rtol=1e-10)


def test_int8_codes_give_the_same_as_floats() -> None:
    g = R["alpha"]["bfi_agreeableness_listwise"]
    df = _data("bfi")[g["items"]]
    codes = np.asfortranarray(df.fillna(9).to_numpy(dtype=np.int8))
    res = cronbach_alpha(items=codes, points=6, reverse=g["reverse"])
    assert res.alpha == pytest.approx(g["alpha"], rel=1e-12)
    assert res.n == g["n_interval"]


def test_dont_know_and_missing_codes_are_missing() -> None:
    rng = np.random.default_rng(3)
    x = rng.integers(1, 6, size=(200, 4)).astype(np.int8)
    x[:, 1] = np.clip(x[:, 0] + rng.integers(-1, 2, 200), 1, 5)
    spoiled = x.copy()
    spoiled[:10, 2] = 8
    spoiled[10:20, 3] = 9
    clean = cronbach_alpha(items=x[20:], points=5)
    res = cronbach_alpha(items=spoiled, points=5)
    assert res.n == 180
    assert res.alpha == pytest.approx(clean.alpha, rel=1e-12)


@pytest.mark.parametrize("policy", ["listwise", "pairwise"])
def test_matches_pingouin(policy: str) -> None:
    data = pg.read_dataset("cronbach_wide_missing")
    expected, _ = pg.cronbach_alpha(data=data, nan_policy=policy)
    res = cronbach_alpha(items=data.to_numpy(dtype=float), missing=MissingPolicy(policy))
    assert res.alpha == pytest.approx(expected, rel=1e-12)


def test_complete_data_interval_matches_pingouin() -> None:
    data = pg.read_dataset("cronbach_alpha").pivot(index="Subj", columns="Items", values="Scores")
    expected, ci = pg.cronbach_alpha(data=data)
    res = cronbach_alpha(items=data.to_numpy(dtype=float))
    assert res.alpha == pytest.approx(expected, rel=1e-12)
    assert round(res.ci_lower, 3) == ci[0]
    assert round(res.ci_upper, 3) == ci[1]


def test_reverse_flag_equals_recoding_the_data() -> None:
    rng = np.random.default_rng(5)
    f = rng.standard_normal(500)
    x = np.clip(np.round(3 + f[:, None] + rng.standard_normal((500, 5))), 1, 5).astype(np.int8)
    recoded = x.copy()
    recoded[:, 2] = 6 - recoded[:, 2]
    flagged = cronbach_alpha(items=recoded, points=5, reverse=[False, False, True, False, False])
    plain = cronbach_alpha(items=x, points=5)
    assert flagged.alpha == pytest.approx(plain.alpha, rel=1e-12)
    np.testing.assert_allclose(flagged.item_rest, plain.item_rest, rtol=1e-12)


def test_integer_weights_equal_replicated_rows() -> None:
    rng = np.random.default_rng(7)
    x = rng.integers(1, 6, size=(60, 4)).astype(np.int8)
    x[:, 1] = np.clip(x[:, 0] + rng.integers(-1, 2, 60), 1, 5)
    w = rng.integers(1, 4, 60).astype(float)
    weighted = cronbach_alpha(items=x, points=5, weights=w)
    replicated = cronbach_alpha(items=np.repeat(x, w.astype(int), axis=0), points=5)
    # Alpha is invariant to the covariance normalisation, so it equals the replicated value.
    assert weighted.alpha == pytest.approx(replicated.alpha, rel=1e-12)
    kish = w.sum() ** 2 / (w**2).sum()
    assert weighted.n_interval == pytest.approx(kish)


def test_scaling_weights_leaves_alpha_unchanged() -> None:
    rng = np.random.default_rng(8)
    x = rng.normal(size=(80, 3))
    x[:, 1] += x[:, 0]
    w = rng.uniform(0.5, 2.0, 80)
    a = cronbach_alpha(items=x, weights=w)
    b = cronbach_alpha(items=x, weights=w * 37.5)
    assert a.alpha == pytest.approx(b.alpha, rel=1e-12)
    assert a.ci_lower == pytest.approx(b.ci_lower, rel=1e-12)


def test_large_int8_matrix_is_exact() -> None:
    """The float32 chunked Gram must equal a float64 computation on 200k rows."""
    rng = np.random.default_rng(11)
    f = rng.standard_normal(200_000)
    x = np.clip(np.round(3 + f[:, None] + rng.standard_normal((200_000, 6))), 1, 5)
    codes = np.asfortranarray(x.astype(np.int8))
    fast = cronbach_alpha(items=codes, points=5)
    cov = np.cov(x, rowvar=False)
    slow = alpha_from_covariance(covariance=cov, n=200_000)
    assert fast.alpha == pytest.approx(slow.alpha, rel=1e-12)


def test_zero_variance_gives_nan_not_an_error() -> None:
    x = np.full((10, 3), 4, dtype=np.int8)
    res = cronbach_alpha(items=x, points=5)
    assert np.isnan(res.alpha)
    assert np.isnan(res.ci_lower)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"items": np.zeros((5,))}, "2-D"),
        ({"items": np.zeros((5, 1))}, "at least 2 items"),
        ({"items": np.zeros((5, 3)), "weights": np.ones(4)}, "one value per respondent"),
        ({"items": np.zeros((5, 3)), "weights": -np.ones(5)}, "non-negative"),
        ({"items": np.zeros((5, 3)), "reverse": [True]}, "reverse has 1 flags for 3 items"),
        ({"items": np.array([["a", "b"]] * 3)}, "numeric"),
    ],
)
def test_bad_input_is_named(kwargs: dict[str, object], message: str) -> None:
    with pytest.raises(ReliabilityInputError, match=message):
        cronbach_alpha(**kwargs)  # type: ignore[arg-type]


def test_feldt_rejects_bad_confidence() -> None:
    with pytest.raises(ReliabilityInputError, match="confidence"):
        feldt_interval(alpha=0.8, n=100, k=5, confidence=95)


codes = hnp.arrays(
    np.int8,
    st.tuples(st.integers(2, 40), st.integers(2, 7)),
    elements=st.sampled_from([1, 2, 3, 4, 5, 8, 9]),
)


@given(codes)
def test_alpha_is_at_most_one(x: np.ndarray) -> None:
    res = cronbach_alpha(items=x, points=5)
    assert np.isnan(res.alpha) or res.alpha <= 1.0


@given(codes, st.randoms(use_true_random=False))
def test_row_and_item_order_do_not_matter(x: np.ndarray, rnd: object) -> None:
    rows = np.arange(x.shape[0])
    cols = np.arange(x.shape[1])
    rnd.shuffle(rows)  # type: ignore[attr-defined]
    rnd.shuffle(cols)  # type: ignore[attr-defined]
    a = cronbach_alpha(items=x, points=5)
    b = cronbach_alpha(items=np.asfortranarray(x[rows][:, cols]), points=5)
    if np.isnan(a.alpha):
        assert np.isnan(b.alpha)
    else:
        assert b.alpha == pytest.approx(a.alpha, rel=1e-9, abs=1e-12)
        np.testing.assert_allclose(
            np.array(b.item_rest), np.array(a.item_rest)[cols], rtol=1e-9, atol=1e-12
        )


@given(codes, st.sampled_from([0.8, 0.9, 0.95, 0.99]))
def test_feldt_interval_contains_alpha(x: np.ndarray, confidence: float) -> None:
    res = cronbach_alpha(items=x, points=5, confidence=confidence)
    if not np.isnan(res.ci_lower):
        assert res.ci_lower <= res.alpha <= res.ci_upper


def test_docstring_example_holds() -> None:
    import doctest

    import collabready.stats.reliability as module

    result = doctest.testmod(module)
    assert result.attempted > 0
    assert result.failed == 0
