"""One readiness profile: an organisation's (or a respondent's) scores, level, weakest
blocks with their actions, and its place among peers.

:func:`readiness_profile` builds the one object that the web page and the PDF
both render (:mod:`collabready.web.surveys.views_readiness`,
:mod:`collabready.reporting.readiness`), so they show the same numbers. The own
scores are the subject's own answers, shown only to them; the peer figures are
published through the gate (:mod:`collabready.analysis.peers`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from collabready.analysis.data import AnalysisData
from collabready.analysis.load import WaveInputError
from collabready.analysis.peers import (
    PeerBenchmark,
    PeerSnapshot,
    peer_benchmark,
    peer_snapshot,
    snapshot_step,
)
from collabready.errors import UserError
from collabready.instrument import Block, Instrument, Level, Text
from collabready.scoring import ScoreResult, score_organisations

__all__ = [
    "THIRD_WEAKEST_MARGIN",
    "BlockScore",
    "ReadinessProfile",
    "SubjectNotFoundError",
    "readiness_of",
    "readiness_profile",
    "sector_snapshot",
    "weakest_blocks",
]

#: Suggest actions for the two weakest blocks, and a third within this many points.
THIRD_WEAKEST_MARGIN = 5.0


@dataclass(frozen=True, slots=True)
class BlockScore:
    block: Block
    commitment: float
    capacity: float
    score: float
    gap: float
    level: Level | None

    @property
    def actions(self) -> tuple[Text, ...]:
        """The suggested first steps for this block, from the instrument's guidance."""
        return self.block.guidance


@dataclass(frozen=True, slots=True)
class ReadinessProfile:
    instrument: Instrument
    sector: str
    sector_label: Text | None
    blocks: tuple[BlockScore, ...]
    commitment: float
    capacity: float
    index: float
    gap: float
    level: Level | None
    peers: PeerBenchmark
    weakest: tuple[BlockScore, ...]

    @property
    def has_index(self) -> bool:
        return not math.isnan(self.index)


def weakest_blocks(blocks: tuple[BlockScore, ...]) -> tuple[BlockScore, ...]:
    """The two lowest-scoring blocks, and the third when it is within a few points."""
    scored = sorted((b for b in blocks if not math.isnan(b.score)), key=lambda b: b.score)
    chosen = scored[:2]
    if len(scored) > 2 and scored[2].score - scored[1].score <= THIRD_WEAKEST_MARGIN:
        chosen.append(scored[2])
    return tuple(chosen)


def _sector_label(instrument: Instrument, sector: str) -> Text | None:
    try:
        return instrument.profile_question("sector").choice_by_value(sector).label
    except KeyError:
        return None


def readiness_profile(
    *,
    instrument: Instrument,
    scores: ScoreResult,
    row: int = 0,
    sector: str,
    snapshot: PeerSnapshot,
    k: int,
) -> ReadinessProfile:
    """The profile of row ``row`` of ``scores`` (a respondent or an organisation)."""

    def value(name: str) -> float:
        return float(scores.column(name)[row])

    blocks = tuple(
        BlockScore(
            block=b,
            commitment=value(f"{b.id}_commitment"),
            capacity=value(f"{b.id}_capacity"),
            score=value(b.id),
            gap=value(f"{b.id}_gap"),
            level=instrument.level_for(value(b.id)),
        )
        for b in instrument.blocks
    )
    index = value("index")
    return ReadinessProfile(
        instrument=instrument,
        sector=sector,
        sector_label=_sector_label(instrument, sector) if sector else None,
        blocks=blocks,
        commitment=value("commitment"),
        capacity=value("capacity"),
        index=index,
        gap=value("gap"),
        level=instrument.level_for(index),
        peers=peer_benchmark(snapshot=snapshot, index=index, k=k),
        weakest=weakest_blocks(blocks),
    )


class SubjectNotFoundError(UserError, ValueError):
    """The respondent or organisation asked for is not in the data."""


def sector_snapshot(data: AnalysisData, *, sector: str, k: int) -> PeerSnapshot:
    """The peer snapshot of ``sector`` from loaded responses, in their order.

    The responses' order is their submission order (as a file lists them);
    only verified, complete responses count (rule 1 of :mod:`~collabready.analysis.peers`).
    """
    sectors = data.profile.get("sector")
    if sectors is None:
        raise WaveInputError("data: no 'sector' column; the peer benchmark needs it")
    peers = (sectors == sector) & data.matrix.verified & data.complete
    rows = np.flatnonzero(peers)
    return peer_snapshot(
        sector=sector,
        scores=data.scores.take(rows),
        organisation=data.organisation_id[rows],
        order=rows.astype(np.int64),
        instrument=data.instrument,
        step=snapshot_step(k),
    )


def readiness_of(
    data: AnalysisData,
    *,
    respondent_id: int | None = None,
    organisation_id: int | None = None,
    k: int,
) -> ReadinessProfile:
    """The profile of one respondent or one organisation (its respondents combined)."""
    if (respondent_id is None) == (organisation_id is None):
        raise ValueError("give exactly one of respondent_id and organisation_id")
    if respondent_id is not None:
        rows = np.flatnonzero(data.respondent_id == respondent_id)
        if rows.size == 0:
            raise SubjectNotFoundError(f"data: no respondent with respondent_id {respondent_id}")
        scores = data.scores.take(rows[:1])
    else:
        rows = np.flatnonzero(data.matrix.verified & (data.organisation_id == organisation_id))
        if rows.size == 0:
            raise SubjectNotFoundError(
                f"data: no organisation with organisation_id {organisation_id}"
            )
        _, scores = score_organisations(
            data.scores.take(rows), data.organisation_id[rows], data.instrument
        )
    sectors = data.profile.get("sector")
    sector = "" if sectors is None or sectors[rows[0]] is None else str(sectors[rows[0]])
    snapshot = (
        sector_snapshot(data, sector=sector, k=k)
        if sector
        else PeerSnapshot("", np.empty(0), 0, 0, snapshot_step(k))
    )
    return readiness_profile(
        instrument=data.instrument, scores=scores, sector=sector, snapshot=snapshot, k=k
    )
