"""One readiness profile: own scores, weakest blocks, and the peer snapshot behind it."""

from __future__ import annotations

import math

import numpy as np
import polars as pl
import pytest

import collabready
from collabready.analysis.data import AnalysisData, prepare
from collabready.analysis.load import from_frame
from collabready.analysis.readiness import (
    THIRD_WEAKEST_MARGIN,
    BlockScore,
    SubjectNotFoundError,
    readiness_of,
    sector_snapshot,
    weakest_blocks,
)
from collabready.instrument import Instrument
from tests.factories import make_instrument

BLOCKS = make_instrument(items_per_subscale=4).blocks


def scored(*scores: float) -> tuple[BlockScore, ...]:
    return tuple(
        BlockScore(block=b, commitment=s, capacity=s, score=s, gap=0.0, level=None)
        for b, s in zip(BLOCKS, scores, strict=False)
    )


def ids(blocks: tuple[BlockScore, ...]) -> list[str]:
    return [b.block.id for b in blocks]


def test_the_two_weakest_blocks_lowest_first() -> None:
    got = weakest_blocks(scored(70.0, 40.0, 80.0, 35.0, 90.0, 60.0))
    assert ids(got) == [BLOCKS[3].id, BLOCKS[1].id]


def test_a_third_within_five_points_of_the_second() -> None:
    assert THIRD_WEAKEST_MARGIN == 5.0
    close = weakest_blocks(scored(70.0, 40.0, 45.0, 35.0, 90.0, 60.0))
    assert ids(close) == [BLOCKS[3].id, BLOCKS[1].id, BLOCKS[2].id]
    far = weakest_blocks(scored(70.0, 40.0, 45.01, 35.0, 90.0, 60.0))
    assert ids(far) == [BLOCKS[3].id, BLOCKS[1].id]


def test_blocks_without_a_score_are_not_weakest() -> None:
    got = weakest_blocks(scored(math.nan, 40.0, math.nan, 50.0, math.nan, math.nan))
    assert ids(got) == [BLOCKS[1].id, BLOCKS[3].id]
    assert weakest_blocks(scored(math.nan, 40.0)) == scored(math.nan, 40.0)[1:]
    assert weakest_blocks(()) == ()


@pytest.fixture(scope="module")
def responses(wave: tuple[pl.DataFrame, pl.DataFrame]) -> pl.DataFrame:
    """The wave with every seventh respondent's organisation unknown."""
    frame, _ = wave
    unknown = pl.int_range(pl.len()) % 7 == 3
    return frame.with_columns(
        pl.when(unknown).then(None).otherwise(pl.col("organisation_id")).alias("organisation_id")
    )


@pytest.fixture(scope="module")
def data(responses: pl.DataFrame, cri: Instrument) -> AnalysisData:
    return prepare(from_frame(responses, cri))


def _same_scores(profile, row: dict, instrument: Instrument) -> None:
    for name, got in (
        ("index", profile.index),
        ("commitment", profile.commitment),
        ("capacity", profile.capacity),
        ("gap", profile.gap),
    ):
        assert got == pytest.approx(row[name], abs=1e-6, nan_ok=True), name
    for block in profile.blocks:
        assert block.score == pytest.approx(row[block.block.id], abs=1e-6, nan_ok=True)
        assert block.commitment == pytest.approx(
            row[f"{block.block.id}_commitment"], abs=1e-6, nan_ok=True
        )
    assert [b.block.id for b in profile.blocks] == list(instrument.block_ids)


def test_readiness_of_a_respondent_is_their_own_scores(
    data: AnalysisData, responses: pl.DataFrame, cri: Instrument
) -> None:
    rid = int(responses["respondent_id"][10])
    profile = readiness_of(data, respondent_id=rid, k=5)
    scores = collabready.score(responses, cri)
    want = scores.filter(pl.col("respondent_id") == rid).row(0, named=True)
    _same_scores(profile, want, cri)
    sector = responses.filter(pl.col("respondent_id") == rid)["sector"][0]
    assert profile.sector == sector
    assert profile.level == cri.level_for(profile.index)
    assert profile.weakest == weakest_blocks(profile.blocks)


def test_readiness_of_an_organisation_combines_its_respondents_as_score_does(
    data: AnalysisData, responses: pl.DataFrame, cri: Instrument
) -> None:
    known = responses.filter(pl.col("organisation_id").is_not_null())
    counts = known.group_by("organisation_id").len().filter(pl.col("len") >= 3)
    org = int(counts.sort("organisation_id")["organisation_id"][0])
    profile = readiness_of(data, organisation_id=org, k=5)
    combined = collabready.score(known, cri, per="organisation")
    want = combined.filter(pl.col("organisation_id") == org).row(0, named=True)
    assert want["respondents"] >= 3
    _same_scores(profile, want, cri)
    # not the first respondent's own scores
    own = collabready.score(known.filter(pl.col("organisation_id") == org), cri)
    assert not np.allclose(own["index"].to_numpy(), profile.index, equal_nan=True)


def test_an_unknown_subject(data: AnalysisData) -> None:
    with pytest.raises(SubjectNotFoundError, match="no respondent with respondent_id -5"):
        readiness_of(data, respondent_id=-5, k=5)
    # an organisation is known only where verified: a respondent's own cluster is not one
    own = int(data.organisation_id[~data.matrix.verified][0])
    with pytest.raises(SubjectNotFoundError, match=f"no organisation with organisation_id {own}"):
        readiness_of(data, organisation_id=own, k=5)
    with pytest.raises(ValueError, match="exactly one"):
        readiness_of(data, k=5)
    with pytest.raises(ValueError, match="exactly one"):
        readiness_of(data, respondent_id=1, organisation_id=1, k=5)


def test_the_sector_snapshot_counts_verified_complete_responses_only(
    data: AnalysisData, responses: pl.DataFrame
) -> None:
    verified = pl.col("organisation_id").is_not_null()
    counted = responses.filter((pl.col("sector") == "public") & verified & pl.col("complete"))
    every = responses.filter(pl.col("sector") == "public")
    assert counted["organisation_id"].n_unique() < every["organisation_id"].n_unique()
    snap = sector_snapshot(data, sector="public", k=5)
    assert snap.submitted == counted["organisation_id"].n_unique()
    assert snap.organisations == 5 * (snap.submitted // 5)
    profile = readiness_of(data, respondent_id=int(every["respondent_id"][0]), k=5)
    assert profile.peers.peers == len(snap)
    assert profile.peers.shown == (len(snap) >= 10)
