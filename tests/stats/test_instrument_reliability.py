"""Reliability per block and subscale of an instrument."""

from __future__ import annotations

import numpy as np
import pytest

from collabready.instrument.model import Dimension, Instrument
from collabready.stats.instrument_reliability import instrument_reliability
from collabready.stats.reliability import ReliabilityInputError, cronbach_alpha
from tests.factories import make_instrument

REVERSED = frozenset({"citizens_com_2", "markets_cap_5"})


def _codes(n: int = 2000, seed: int = 1) -> tuple[np.ndarray, Instrument]:
    inst = make_instrument(reverse=REVERSED)
    rng = np.random.default_rng(seed)
    latent = rng.standard_normal((n, len(inst.blocks)))
    codes = np.empty((n, len(inst.item_ids)), dtype=np.int8, order="F")
    for j, item_id in enumerate(inst.item_ids):
        item = inst.item(item_id)
        b = inst.block_ids.index(item.block) if item.block else 0
        v = np.clip(np.round(3 + latent[:, b] + rng.standard_normal(n)), 1, 5).astype(np.int8)
        if item.reverse:
            v = 6 - v
        v[rng.random(n) < 0.02] = 8
        v[rng.random(n) < 0.01] = 9
        codes[:, j] = v
    return codes, inst


def test_scales_are_blocks_and_subscales_in_order() -> None:
    codes, inst = _codes()
    table = instrument_reliability(codes=codes, instrument=inst)
    names = [s.scale for s in table.scales]
    assert names[:3] == ["citizens", "citizens_commitment", "citizens_capacity"]
    assert len(names) == 18
    assert table.scale("markets_capacity").dimension is Dimension.CAPACITY
    frame = table.to_frame()
    assert list(frame["scale"]) == names
    assert frame["alpha"].between(0.7, 1.0).all()
    items = table.items_frame()
    assert len(items) == 6 * (10 + 5 + 5)
    assert items["item_rest"].gt(0.3).all()  # reverse-coded items were flipped


def test_block_alpha_equals_direct_computation_with_recoding() -> None:
    codes, inst = _codes()
    table = instrument_reliability(codes=codes, instrument=inst, with_omega=False)
    block = inst.block("citizens")
    idx = [inst.item_ids.index(i.id) for i in block.items]
    x = codes[:, idx].astype(float)
    x[(x < 1) | (x > 5)] = np.nan
    for j, item in enumerate(block.items):
        if item.reverse:
            x[:, j] = 6 - x[:, j]
    direct = cronbach_alpha(items=x)
    got = table.scale("citizens").alpha
    assert got.alpha == pytest.approx(direct.alpha, rel=1e-12)
    assert got.n == direct.n
    assert table.scale("citizens").omega is None


def test_blocks_only() -> None:
    codes, inst = _codes(n=300)
    table = instrument_reliability(codes=codes, instrument=inst, subscales=False)
    assert [s.scale for s in table.scales] == list(inst.block_ids)


def test_wrong_number_of_columns_is_named() -> None:
    codes, inst = _codes(n=50)
    with pytest.raises(ReliabilityInputError, match=r"one column per item of test@0.0.1 \(72\)"):
        instrument_reliability(codes=codes[:, :10], instrument=inst)
