"""The peer benchmark: a snapshot that moves in steps of at least k organisations."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from collabready.analysis.peers import (
    PEER_SCORE_STEP,
    PEER_SHARE_STEP,
    PeerSnapshot,
    peer_benchmark,
    peer_minimum,
    peer_snapshot,
    round_to,
    snapshot_step,
)
from collabready.scoring import score_matrix, score_organisations
from tests.factories import make_instrument

from .conftest import random_codes

INST = make_instrument(items_per_subscale=4, with_sections=False)


def snapshot(orgs, codes, order, step: int) -> PeerSnapshot:
    return peer_snapshot(
        sector="public",
        scores=score_matrix(np.asfortranarray(codes), INST),
        organisation=np.asarray(orgs, dtype=np.int64),
        order=np.asarray(order, dtype=np.int64),
        instrument=INST,
        step=step,
    )


def expected_cut(orgs: list[int], step: int) -> int:
    """Read row by row: the last response counted (-1: none), the moment the number of
    organisations seen last reached a multiple of ``step``."""
    seen: set[int] = set()
    cut = -1
    for i, org in enumerate(orgs):
        if org not in seen:
            seen.add(org)
            if len(seen) % step == 0:
                cut = i
    return cut


submissions = st.fixed_dictionaries(
    {
        # organisation of each response, in submission order
        "orgs": st.lists(st.integers(1, 15), min_size=1, max_size=50),
        "step": st.sampled_from([1, 2, 3, 5]),
        "seed": st.integers(0, 2**32 - 1),
    }
)


@given(submissions)
def test_the_snapshot_takes_whole_steps_of_organisations_up_to_the_cut(case) -> None:
    orgs, step = case["orgs"], case["step"]
    rng = np.random.default_rng(case["seed"])
    codes = random_codes(rng, len(orgs), INST)
    got = snapshot(orgs, codes, np.arange(len(orgs)), step)
    distinct = len(set(orgs))
    assert got.submitted == distinct
    assert got.organisations % step == 0
    assert got.organisations == step * (distinct // step)
    assert got.step == step
    # the figures are those of exactly the responses up to the cut
    cut = expected_cut(orgs, step)
    taken = np.arange(len(orgs)) <= cut
    if cut < 0:
        assert len(got) == 0
        return
    assert len(set(np.asarray(orgs)[taken])) == got.organisations
    _, combined = score_organisations(
        score_matrix(np.asfortranarray(codes[taken]), INST), np.asarray(orgs)[taken], INST
    )
    want = np.asarray(combined.column("index"), dtype=np.float64)
    np.testing.assert_array_equal(got.index, np.sort(want[~np.isnan(want)]))


@given(submissions)
def test_between_two_moments_the_snapshot_is_the_same_or_at_least_a_step_apart(case) -> None:
    orgs, step = case["orgs"], case["step"]
    codes = random_codes(np.random.default_rng(case["seed"]), len(orgs), INST)
    moments = [snapshot(orgs[:t], codes[:t], np.arange(t), step) for t in range(1, len(orgs) + 1)]
    for i, a in enumerate(moments):
        for b in moments[i + 1 :]:
            assert b.organisations >= a.organisations
            if b.organisations == a.organisations:
                np.testing.assert_array_equal(a.index, b.index)
            else:
                assert b.organisations - a.organisations >= step


@given(submissions)
def test_responses_after_the_cut_never_count(case) -> None:
    orgs, step = case["orgs"], case["step"]
    rng = np.random.default_rng(case["seed"])
    codes = random_codes(rng, len(orgs), INST)
    cut = expected_cut(orgs, step)
    other = codes.copy()
    other[cut + 1 :] = random_codes(rng, len(orgs) - cut - 1, INST)
    a = snapshot(orgs, codes, np.arange(len(orgs)), step)
    b = snapshot(orgs, other, np.arange(len(orgs)), step)
    np.testing.assert_array_equal(a.index, b.index)
    assert a.organisations == b.organisations


@given(submissions, st.randoms(use_true_random=False))
def test_the_order_of_the_rows_given_does_not_matter(case, rnd) -> None:
    orgs, step = case["orgs"], case["step"]
    codes = random_codes(np.random.default_rng(case["seed"]), len(orgs), INST)
    # submission order: any distinct numbers, smaller = earlier
    order = np.cumsum(np.random.default_rng(case["seed"]).integers(1, 9, len(orgs)))
    rows = list(range(len(orgs)))
    rnd.shuffle(rows)
    a = snapshot(orgs, codes, order, step)
    b = snapshot(np.asarray(orgs)[rows], codes[rows], order[rows], step)
    np.testing.assert_array_equal(a.index, b.index)
    assert (a.organisations, a.submitted) == (b.organisations, b.submitted)


def test_snapshot_argument_checks() -> None:
    codes = random_codes(np.random.default_rng(0), 3, INST)
    with pytest.raises(ValueError, match="at least 1"):
        snapshot([1, 2, 3], codes, [0, 1, 2], 0)
    with pytest.raises(ValueError, match="one entry per response"):
        snapshot([1, 2], codes, [0, 1, 2], 1)
    empty = snapshot([], codes[:0], [], 5)
    assert (len(empty), empty.organisations, empty.submitted) == (0, 0, 0)


def test_minimum_and_step() -> None:
    assert [peer_minimum(k) for k in (1, 3, 5, 6, 10)] == [10, 10, 10, 12, 20]
    assert snapshot_step(7) == 7


def made(values: list[float]) -> PeerSnapshot:
    index = np.sort(np.asarray(values, dtype=np.float64))
    return PeerSnapshot("public", index, len(values), len(values), 5)


def test_hidden_below_the_minimum() -> None:
    for k in (3, 5, 8):
        below = peer_benchmark(snapshot=made([50.0] * (peer_minimum(k) - 1)), index=50.0, k=k)
        assert not below.shown
        assert below.median is None
        assert below.lower_quartile is None
        assert below.percentile is None
        assert below.peers == peer_minimum(k) - 1
        assert below.minimum == peer_minimum(k)
        at = peer_benchmark(snapshot=made([50.0] * peer_minimum(k)), index=50.0, k=k)
        assert at.shown
        assert at.median is not None
        assert at.median.n == peer_minimum(k)
        assert at.median.k == k


def test_figures_are_rounded_to_5_points_and_10_per_cent() -> None:
    # twelve organisations: quartiles 43.5 and 66.25 (numpy's linear rule), median 57.4
    values = [30.0, 40.0, 42.0, 44.0, 50.0, 57.0, 57.8, 60.0, 66.0, 67.0, 68.0, 80.0]
    q1, med, q3 = np.quantile(values, [0.25, 0.5, 0.75])
    assert (q1, med, q3) == pytest.approx((43.5, 57.4, 66.25))
    b = peer_benchmark(snapshot=made(values), index=58.0, k=5)
    assert b.shown
    assert b.lower_quartile is not None
    assert b.median is not None
    assert b.upper_quartile is not None
    assert b.percentile is not None
    assert (b.lower_quartile.value, b.median.value, b.upper_quartile.value) == (45.0, 55.0, 65.0)
    # 7 of 12 below 58: 58.3% -> 60
    assert b.percentile.value == 60.0
    # ties count half: 57.0 -> 5 below + 0.5 = 45.8% -> 50
    tie = peer_benchmark(snapshot=made(values), index=57.0, k=5)
    assert tie.percentile is not None
    assert tie.percentile.value == 50.0
    # no own index: the sector's figures, no percentile
    none = peer_benchmark(snapshot=made(values), index=math.nan, k=5)
    assert none.shown
    assert none.percentile is None
    assert (PEER_SCORE_STEP, PEER_SHARE_STEP) == (5.0, 10.0)


def test_round_to_rounds_halves_up() -> None:
    assert round_to(62.5, 5.0) == 65.0
    assert round_to(62.49, 5.0) == 60.0
    assert round_to(35.0, 10.0) == 40.0
    assert round_to(34.9, 10.0) == 30.0
    assert math.isnan(round_to(math.nan, 5.0))


@given(
    values=st.lists(
        st.floats(0, 100, allow_nan=False).map(lambda v: round(v, 1)), min_size=1, max_size=60
    ),
    index=st.floats(0, 100, allow_nan=False).map(lambda v: round(v, 1)),
)
def test_benchmark_figures_equal_the_full_scan(values: list[float], index: float) -> None:
    """The binary-search figures are those of np.quantile and a count over every peer."""
    from collabready.analysis.peers import _sorted_quantile

    ordered = np.sort(np.asarray(values))
    for q in (0.25, 0.5, 0.75):
        assert _sorted_quantile(ordered, q) == float(np.quantile(ordered, q))
    snap = PeerSnapshot("public", ordered, len(values), len(values), 1)
    got = peer_benchmark(snapshot=snap, index=index, k=1)
    if len(values) < peer_minimum(1):
        assert not got.shown
        return
    below = np.count_nonzero(ordered < index) + 0.5 * np.count_nonzero(ordered == index)
    assert got.percentile is not None
    assert got.percentile.value == round_to(100.0 * below / len(values), PEER_SHARE_STEP)
