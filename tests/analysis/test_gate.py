"""The disclosure gate: an Estimate exists only through publish, which checks n >= k."""

from __future__ import annotations

import dataclasses
import math

import pytest

from collabready.analysis.gate import (
    CellStatus,
    Estimate,
    RawEstimate,
    fmt_number,
    protect_counts,
    publish,
    publish_threshold,
)
from collabready.stats.disclosure import DisclosureError

RAW = RawEstimate(value=61.5, ci_low=58.0, ci_high=65.25, n=12, se=1.8, df=9.0, weighted_n=340.0)
WITHHELD = [s for s in CellStatus if s is not CellStatus.PUBLISHED]


def test_an_estimate_cannot_be_made_outside_publish() -> None:
    with pytest.raises(TypeError, match=r"only by collabready\.analysis\.gate\.publish"):
        Estimate(61.5, 58.0, 65.25, 12, 1.8, 5)
    with pytest.raises(TypeError, match="disclosure gate"):
        Estimate(61.5, 58.0, 65.25, 12, 1.8, 5, _gate=object())
    published = publish(RAW, k=5)
    assert published is not None
    with pytest.raises(TypeError):
        dataclasses.replace(published, _gate=None)


def test_publish_carries_the_figure_and_its_k() -> None:
    e = publish(RAW, k=12)  # n == k is enough
    assert e is not None
    assert (e.value, e.ci_low, e.ci_high, e.n, e.se, e.df, e.weighted_n) == (
        61.5,
        58.0,
        65.25,
        12,
        1.8,
        9.0,
        340.0,
    )
    assert e.k == 12
    assert e.text() == "61.5 (95% CI 58.0 to 65.2)"


def test_publish_refuses_a_published_cell_on_fewer_than_k() -> None:
    with pytest.raises(DisclosureError, match="a figure on 12 respondents was marked published"):
        publish(RAW, k=13)


@pytest.mark.parametrize("status", WITHHELD, ids=str)
def test_a_withheld_cell_is_none_whatever_its_n(status: CellStatus) -> None:
    assert publish(RAW, k=5, status=status) is None
    assert publish(RAW, k=50, status=status) is None  # not an error: it is not shown


@pytest.mark.parametrize("k", [0, -1, True, 2.5, "5"])
def test_k_must_be_a_whole_number_of_at_least_one(k: object) -> None:
    with pytest.raises(DisclosureError, match="k must be a whole number"):
        publish(RAW, k=k)  # type: ignore[arg-type]


def test_publish_threshold() -> None:
    assert publish_threshold(RAW, k=12) is not None
    assert publish_threshold(RAW, k=13) is None


def test_negated_turns_the_sign_and_swaps_the_interval() -> None:
    e = publish(RAW, k=5)
    assert e is not None
    n = e.negated()
    assert isinstance(n, Estimate)
    assert (n.value, n.ci_low, n.ci_high) == (-61.5, -65.25, -58.0)
    assert (n.n, n.se, n.k, n.df, n.weighted_n) == (e.n, e.se, e.k, e.df, e.weighted_n)
    assert n.negated() == e
    assert n.text() == "\u221261.5 (95% CI \u221265.2 to \u221258.0)"


def test_fmt_number() -> None:
    assert fmt_number(-0.04) == "0.0"
    assert fmt_number(-1.25, digits=2) == "\u22121.25"
    assert fmt_number(math.nan) == "–"


def test_protect_counts_threshold_and_complementary_suppression() -> None:
    # unrelated figures: the threshold alone
    assert protect_counts([4, 5, 30], k=5) == [
        CellStatus.SUPPRESSED_PRIMARY,
        CellStatus.PUBLISHED,
        CellStatus.PUBLISHED,
    ]
    # levels of one breakdown: the small one and a second one are withheld
    statuses = protect_counts([4, 30, 40], k=5, keys=["a", "b", "c"])
    assert statuses[0] is CellStatus.SUPPRESSED_PRIMARY
    assert statuses.count(CellStatus.PUBLISHED) == 1
    assert protect_counts([], k=5) == []
