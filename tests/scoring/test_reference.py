"""The vectorised kernel against a plain, row-by-row reading of the scoring rules.

The reference below follows docs/scoring.md literally, one respondent at a
time, straight from the instrument (not from the scoring plan). Random
instruments exercise every path of the kernel: mixed scales, reverse-coded
items, subscales too large for one byte, and subscales whose items are not
adjacent in the response matrix.
"""

from __future__ import annotations

import math

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from collabready.instrument.model import Dimension, Instrument
from collabready.scoring import score_matrix
from tests.factories import BLOCKS, make_instrument


def _subscale(instrument: Instrument, items, row) -> float:
    position = {iid: j for j, iid in enumerate(instrument.item_ids)}
    values = []
    for item in items:
        points = instrument.scale(item.scale).points
        code = int(row[position[item.id]])
        if 1 <= code <= points:
            v = (code - 1) / (points - 1)
            values.append(1 - v if item.reverse else v)
    if 2 * len(values) < len(items):
        return math.nan
    return 100 * sum(values) / len(values)


def _mean_if_enough(values: list[float], need: int) -> float:
    present = [v for v in values if not math.isnan(v)]
    return sum(present) / len(present) if len(present) >= max(need, 1) else math.nan


def reference(instrument: Instrument, row) -> dict[str, float]:
    out: dict[str, float] = {}
    com, cap, blocks = [], [], []
    for block in instrument.blocks:
        c = _subscale(instrument, block.items_for(Dimension.COMMITMENT), row)
        k = _subscale(instrument, block.items_for(Dimension.CAPACITY), row)
        out[f"{block.id}_commitment"], out[f"{block.id}_capacity"] = c, k
        out[block.id] = (c + k) / 2
        out[f"{block.id}_gap"] = c - k
        com.append(c)
        cap.append(k)
        blocks.append(out[block.id])
    need = instrument.min_blocks_for_index
    out["commitment"] = _mean_if_enough(com, need)
    out["capacity"] = _mean_if_enough(cap, need)
    out["index"] = _mean_if_enough(blocks, need)
    out["gap"] = out["commitment"] - out["capacity"]
    return out


@st.composite
def instruments_and_codes(draw):
    size = draw(st.sampled_from([4, 5, 8, 9]))  # 8 and 9 items need two bytes per subscale
    ids = [f"{b}_{tag}_{n}" for b in BLOCKS for tag in ("com", "cap") for n in range(1, size + 1)]
    reverse = frozenset(draw(st.lists(st.sampled_from(ids), max_size=8)))
    mixed = draw(st.booleans())
    scales = {}
    if mixed:
        scales = {iid: draw(st.sampled_from(["agree4", "agree5", "agree7"])) for iid in ids[:12]}
    inst = make_instrument(
        items_per_subscale=size,
        reverse=reverse,
        item_scales=scales,
        interleave=draw(st.booleans()),
        min_blocks_for_index=draw(st.integers(1, 6)),
        with_sections=draw(st.booleans()),
    )
    rows = draw(st.integers(1, 25))
    codes = np.array(
        draw(
            st.lists(
                st.lists(
                    st.sampled_from([1, 2, 3, 4, 5, 6, 7, 8, 9, 0]),
                    min_size=len(inst.item_ids),
                    max_size=len(inst.item_ids),
                ),
                min_size=rows,
                max_size=rows,
            )
        ),
        dtype=np.int8,
    )
    return inst, codes


@given(instruments_and_codes())
def test_kernel_matches_the_rules_read_row_by_row(case):
    inst, codes = case
    result = score_matrix(np.asfortranarray(codes), inst)
    for i, row in enumerate(codes):
        expected = reference(inst, row)
        for name, value in expected.items():
            got = float(result.column(name)[i])
            if math.isnan(value):
                assert math.isnan(got), (name, i, got)
            else:
                assert abs(got - value) <= 1e-3, (name, i, got, value)


def test_reference_agrees_on_the_bundled_instrument_across_chunks():
    from collabready.instrument import load_instrument

    cri = load_instrument()
    rng = np.random.default_rng(3)
    n = 70_001  # several chunks per thread, and a ragged last one
    codes = rng.choice(np.array([1, 2, 3, 4, 5, 8, 9], dtype=np.int8), size=(n, len(cri.item_ids)))
    result = score_matrix(np.asfortranarray(codes), cri)
    for i in rng.choice(n, size=40, replace=False):
        for name, value in reference(cri, codes[i]).items():
            got = float(result.column(name)[i])
            assert (math.isnan(value) and math.isnan(got)) or abs(got - value) <= 1e-3, (name, i)
