"""Loading a wave: from a response table and from stored answer bytes, to one matrix."""

from __future__ import annotations

import dataclasses

import numpy as np
import polars as pl
import pytest

from collabready.analysis import codec
from collabready.analysis.load import WaveInputError, as_matrix, from_frame, from_rows
from collabready.instrument import Instrument

from .conftest import frame_of, random_codes

N = 40


def _responses(small: Instrument, seed: int = 1):
    """Codes, profile values and organisations (None: unknown) of N respondents."""
    rng = np.random.default_rng(seed)
    codes = random_codes(rng, N, small)
    sectors = [c.value for c in small.profile_question("sector").choices]
    sector = [None if rng.random() < 0.1 else sectors[rng.integers(3)] for _ in range(N)]
    organisation = [None if rng.random() < 0.3 else int(rng.integers(1, 9)) for _ in range(N)]
    return codes, sector, organisation


def _stored(small: Instrument, codes, sector, organisation):
    """The same responses as the web stores them: answer and profile bytes per response."""
    code_of = {c.value: c.code for c in small.profile_question("sector").choices}
    answers = [
        codec.answers_update(
            codec.answers_empty(small),
            small,
            {i: int(c) for i, c in zip(small.item_ids, row, strict=True) if c != 9},
        )
        for row in codes
    ]
    profiles = [
        codec.profile_update(
            codec.profile_empty(small), small, {} if s is None else {"sector": code_of[s]}
        )
        for s in sector
    ]
    known = np.array([o is not None for o in organisation])
    return from_rows(
        instrument=small,
        response_ids=np.arange(1, N + 1),
        answers=answers,
        profiles=profiles,
        organisation=np.array([0 if o is None else o for o in organisation], dtype=np.int64),
        verified=known,
    )


def test_from_frame_and_from_rows_give_the_same_matrix(small: Instrument) -> None:
    codes, sector, organisation = _responses(small)
    # every profile question is a column (the stored bytes hold every one), only sector answered
    profile = {q.id: pl.Series([None] * N, dtype=pl.Utf8) for q in small.profile}
    profile["sector"] = pl.Series(sector, dtype=pl.Utf8)
    frame = frame_of(
        codes,
        small,
        respondent_id=np.arange(1, N + 1),
        organisation_id=pl.Series(organisation, dtype=pl.Int64),
        **profile,
    )
    a = from_frame(frame, small)
    b = _stored(small, codes, sector, organisation)
    np.testing.assert_array_equal(a.codes, codes)
    np.testing.assert_array_equal(b.codes, codes)
    assert a.codes.dtype == b.codes.dtype == np.int8
    assert a.codes.flags.f_contiguous
    assert b.codes.flags.f_contiguous
    np.testing.assert_array_equal(a.respondent_id, b.respondent_id)
    np.testing.assert_array_equal(a.organisation, b.organisation)
    np.testing.assert_array_equal(a.verified, b.verified)
    assert list(a.profile) == list(b.profile) == [q.id for q in small.profile]
    for question in a.profile:
        assert a.profile[question].tolist() == b.profile[question].tolist()
    assert a.profile["sector"].tolist() == sector
    assert a.sha256 == b.sha256
    assert a.clustered
    assert b.clustered


def test_respondents_without_an_organisation_are_clusters_of_their_own(small: Instrument):
    codes, _, organisation = _responses(small)
    frame = frame_of(codes, small, organisation_id=pl.Series(organisation, dtype=pl.Int64))
    m = from_frame(frame, small)
    unknown = np.array([o is None for o in organisation])
    assert unknown.sum() >= 5
    assert not m.verified[unknown].any()
    assert m.verified[~unknown].all()
    np.testing.assert_array_equal(m.organisation[~unknown], [o for o in organisation if o])
    own = m.organisation[unknown]
    assert (own < 0).all()
    assert np.unique(own).size == own.size


def test_a_file_without_organisation_id_is_unclustered(small: Instrument) -> None:
    codes, _, _ = _responses(small)
    m = from_frame(frame_of(codes, small), small)
    assert not m.clustered
    assert not m.verified.any()
    assert (m.organisation < 0).all()
    assert np.unique(m.organisation).size == N
    np.testing.assert_array_equal(m.respondent_id, np.arange(1, N + 1))
    assert m.complete.all()


def test_organisation_id_must_hold_whole_numbers(small: Instrument) -> None:
    codes, _, _ = _responses(small)
    frame = frame_of(codes, small, organisation_id=["org-a"] * N)
    with pytest.raises(WaveInputError, match="'organisation_id' must hold whole numbers"):
        from_frame(frame, small, source="wave.csv")


def test_an_empty_frame_is_a_clear_error(small: Instrument) -> None:
    codes, _, _ = _responses(small)
    empty = frame_of(codes, small).head(0)
    with pytest.raises(WaveInputError, match=r"^wave\.parquet: has no rows$"):
        from_frame(empty, small, source="wave.parquet")


def test_as_matrix_refuses_a_matrix_of_another_instrument(small: Instrument) -> None:
    codes, _, _ = _responses(small)
    m = from_frame(frame_of(codes, small), small)
    assert as_matrix(m, small) is m
    other = dataclasses.replace(small, version="9.9.9")
    with pytest.raises(WaveInputError, match=r"to test@0\.0\.1, not test@9\.9\.9"):
        as_matrix(m, other, source="wave")


def test_as_matrix_loads_a_frame(small: Instrument) -> None:
    codes, _, _ = _responses(small)
    frame = frame_of(codes, small)
    np.testing.assert_array_equal(as_matrix(frame, small).codes, from_frame(frame, small).codes)


def test_subset_keeps_every_column_aligned(small: Instrument) -> None:
    codes, sector, organisation = _responses(small)
    m = _stored(small, codes, sector, organisation)
    mask = np.arange(N) % 3 == 0
    sub = m.subset(mask)
    assert len(sub) == mask.sum()
    np.testing.assert_array_equal(sub.codes, codes[mask])
    assert sub.codes.flags.f_contiguous
    np.testing.assert_array_equal(sub.organisation, m.organisation[mask])
    np.testing.assert_array_equal(sub.respondent_id, np.arange(1, N + 1)[mask])
    assert sub.profile["sector"].tolist() == [s for s, k in zip(sector, mask, strict=True) if k]


def test_profile_columns_with_values_outside_the_choices_keep_them_as_levels(
    small: Instrument,
) -> None:
    """Every profile column is coded in one pass; a column holding a value that is not
    a choice keeps it as a level after the choices, the others are unaffected."""
    codes, sector, organisation = _responses(small)
    odd = [("Guild" if n == 3 else s) for n, s in enumerate(sector)]
    m = from_frame(frame_of(codes, small, sector=odd, organisation_id=organisation), small)
    choices = tuple(c.value for c in small.profile_question("sector").choices)
    factor = m.factors["sector"]
    assert factor.levels == (*choices, "Guild")
    assert factor.codes[3] == len(choices)
    expected = [-1 if s is None else choices.index(s) for s in sector]
    keep = np.arange(N) != 3
    np.testing.assert_array_equal(factor.codes[keep], np.array(expected)[keep])
