"""Hypothesis properties of scoring."""

from __future__ import annotations

import numpy as np
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from collabready.scoring import reverse_code, score_matrix
from tests.factories import make_instrument

INST = make_instrument(reverse=frozenset({"citizens_com_2", "places_cap_5", "markets_com_1"}))
N_ITEMS = len(INST.item_ids)
CODES = st.sampled_from([1, 2, 3, 4, 5, 8, 9])


def matrices(max_rows: int = 40):
    return st.integers(1, max_rows).flatmap(lambda n: arrays(np.int8, (n, N_ITEMS), elements=CODES))


@given(matrices())
def test_scores_lie_in_0_100(codes):
    r = score_matrix(np.asfortranarray(codes), INST)
    values = r.values
    gaps = [i for i, c in enumerate(r.columns) if c.endswith("gap")]
    others = [i for i in range(values.shape[1]) if i not in gaps]
    body = values[:, others]
    ok = ~np.isnan(body)
    assert ((body[ok] >= 0) & (body[ok] <= 100)).all()
    g = values[:, gaps]
    assert ((g[~np.isnan(g)] >= -100) & (g[~np.isnan(g)] <= 100)).all()


@given(matrices(), st.randoms(use_true_random=False))
def test_scores_do_not_change_when_respondents_are_reordered(codes, rnd):
    order = list(range(codes.shape[0]))
    rnd.shuffle(order)
    a = score_matrix(np.asfortranarray(codes), INST)
    b = score_matrix(np.asfortranarray(codes[order]), INST)
    np.testing.assert_array_equal(a.values[order], b.values)
    np.testing.assert_array_equal(a.level[order], b.level)


@given(arrays(np.int8, st.integers(0, 50), elements=st.integers(-5, 12)), st.integers(2, 7))
def test_reverse_coding_twice_is_the_identity(codes, points):
    np.testing.assert_array_equal(reverse_code(reverse_code(codes, points), points), codes)


@given(matrices(10))
def test_reverse_coded_item_scores_as_its_flip(codes):
    """Flipping a reverse-coded item's codes equals scoring it as a normal item."""
    plain = make_instrument()
    flipped = codes.copy()
    for j, item_id in enumerate(INST.item_ids):
        if INST.item(item_id).reverse:
            flipped[:, j] = reverse_code(codes[:, j], 5)
    a = score_matrix(np.asfortranarray(codes), INST)
    b = score_matrix(np.asfortranarray(flipped), plain)
    np.testing.assert_allclose(a.values, b.values, equal_nan=True)
