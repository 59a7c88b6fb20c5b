"""The answer byte codec: stored bytes <-> codes, and the bulk decode into a matrix."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from collabready.analysis import codec
from collabready.instrument import MISSING, Choice, Instrument, Text
from tests.factories import make_instrument

INST = make_instrument(items_per_subscale=4)
ITEMS = INST.item_ids
QUESTIONS = {q.id: len(q.choices) for q in INST.profile}


@given(st.dictionaries(st.sampled_from(ITEMS), st.sampled_from([1, 2, 3, 4, 5, 8]), max_size=20))
def test_answers_round_trip(values: dict[str, int]) -> None:
    data = codec.answers_update(codec.answers_empty(INST), INST, values)
    assert len(data) == len(ITEMS)
    assert codec.answers_decode(data, INST) == values
    # a second update keeps the first one's other answers
    first = next(iter(ITEMS))
    again = codec.answers_update(data, INST, {first: 3})
    assert codec.answers_decode(again, INST) == {**values, first: 3}


@given(
    st.dictionaries(st.sampled_from(list(QUESTIONS)), st.integers(1, 3), max_size=len(QUESTIONS))
)
def test_profile_round_trip(values: dict[str, int]) -> None:
    data = codec.profile_update(codec.profile_empty(INST), INST, values)
    assert len(data) == len(INST.profile)
    assert codec.profile_decode(data, INST) == values


def test_empty_answers_decode_to_nothing() -> None:
    assert codec.answers_empty(INST) == bytes([MISSING]) * len(ITEMS)
    assert codec.answers_decode(codec.answers_empty(INST), INST) == {}
    assert codec.profile_decode(codec.profile_empty(INST), INST) == {}


@pytest.mark.parametrize("code", [-1, 128, 300])
def test_answers_update_refuses_a_code_that_is_not_int8(code: int) -> None:
    with pytest.raises(ValueError, match="not an int8 code"):
        codec.answers_update(codec.answers_empty(INST), INST, {ITEMS[0]: code})


@pytest.mark.parametrize("code", [0, 128])
def test_profile_update_refuses_a_code_that_is_not_a_choice_code(code: int) -> None:
    with pytest.raises(ValueError, match="not a choice code"):
        codec.profile_update(codec.profile_empty(INST), INST, {"sector": code})


@pytest.mark.parametrize(
    ("call", "width"),
    [
        (lambda d: codec.answers_decode(d, INST), len(ITEMS)),
        (lambda d: codec.answers_update(d, INST, {}), len(ITEMS)),
        (lambda d: codec.profile_decode(d, INST), len(INST.profile)),
        (lambda d: codec.profile_update(d, INST, {}), len(INST.profile)),
    ],
)
@pytest.mark.parametrize("delta", [-1, 1])
def test_bad_lengths_raise(call, width: int, delta: int) -> None:
    data = bytes([1]) * (width + delta)
    with pytest.raises(ValueError, match=f"stored {width + delta} codes but the instrument has"):
        call(data)


def test_matrix_from_rows_is_column_major_int8_in_row_order() -> None:
    rng = np.random.default_rng(0)
    want = rng.integers(0, 10, size=(7, 5)).astype(np.int8)
    got = codec.matrix_from_rows([bytes(row.tolist()) for row in want], 5)
    assert got.dtype == np.int8
    assert got.shape == (7, 5)
    assert got.flags.f_contiguous
    assert not got.flags.c_contiguous
    np.testing.assert_array_equal(got, want)


def test_matrix_from_no_rows_is_empty_and_column_major() -> None:
    got = codec.matrix_from_rows([], 4)
    assert got.shape == (0, 4)
    assert got.dtype == np.int8
    assert got.flags.f_contiguous


def test_matrix_from_rows_refuses_rows_of_another_width() -> None:
    with pytest.raises(ValueError, match="do not all hold 4 codes"):
        codec.matrix_from_rows([b"\x01\x02\x03\x04", b"\x01\x02\x03"], 4)


def test_matrix_from_rows_refuses_rows_whose_lengths_only_add_up() -> None:
    with pytest.raises(ValueError, match="do not all hold 4 codes"):
        codec.matrix_from_rows([b"\x01\x02\x03", b"\x01\x02\x03\x04\x05"], 4)


def _with_choices(instrument: Instrument, question: str, values: tuple[str, ...]) -> Instrument:
    choices = tuple(Choice(i + 1, v, Text({"en": v})) for i, v in enumerate(values))
    return dataclasses.replace(
        instrument,
        profile=tuple(
            dataclasses.replace(p, choices=choices) if p.id == question else p
            for p in instrument.profile
        ),
    )


def test_profile_lookup_is_built_once_per_choice_set() -> None:
    sector = INST.profile_question("sector")
    # the same question, or another question object with the same choices: one table
    assert codec.profile_lookup(sector) is codec.profile_lookup(sector)
    twin = make_instrument(items_per_subscale=4).profile_question("sector")
    assert twin is not sector
    assert codec.profile_lookup(twin) is codec.profile_lookup(sector)
    # other choices: another table
    assert codec.profile_lookup(INST.profile_question("size")) is not codec.profile_lookup(sector)
    renamed = _with_choices(INST, "sector", ("a", "b", "c")).profile_question("sector")
    assert codec.profile_lookup(renamed) is not codec.profile_lookup(sector)


def test_profile_lookup_maps_codes_to_values_and_is_read_only() -> None:
    sector = INST.profile_question("sector")
    lookup = codec.profile_lookup(sector)
    assert lookup.shape == (256,)
    assert [lookup[c.code] for c in sector.choices] == [c.value for c in sector.choices]
    others = set(range(256)) - {c.code for c in sector.choices}
    assert all(lookup[i] is None for i in others)
    with pytest.raises(ValueError, match="read-only"):
        lookup[0] = "x"


def test_profile_values_decodes_a_column_with_unanswered_as_none() -> None:
    sector = INST.profile_question("sector")
    codes = np.array([1, 0, 3, 2, 0], dtype=np.int8)
    got = codec.profile_values(codes, sector)
    values = [c.value for c in sector.choices]
    assert got.tolist() == [values[0], None, values[2], values[1], None]


@pytest.mark.parametrize("n", [0, 1, 1023, 1024, 1025, 3000])
def test_column_major_copies_every_block(n: int) -> None:
    rows = np.random.default_rng(n).integers(-9, 9, (n, 7)).astype(np.int8)
    got = codec.column_major(rows)
    assert got.flags.f_contiguous
    np.testing.assert_array_equal(got, rows)
