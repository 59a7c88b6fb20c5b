"""The instant readiness profile of one response, with its sector peers.

Scores come from :func:`collabready.scoring.score_matrix`. Peers are the other
submitted responses of the same sector in the same wave; their figures are shown
only when there are at least ``COLLABREADY_PEER_MIN_K`` of them.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from django.conf import settings
from django.core.cache import cache
from numpy.typing import NDArray

from collabready.instrument import Block, Instrument, Level, Text
from collabready.scoring import score_matrix
from collabready.web.surveys import codes
from collabready.web.surveys.models import Response
from collabready.web.surveys.selectors.responses import response_state, wave_matrix

#: Suggest actions for the two weakest blocks, and a third within this many points.
THIRD_WEAKEST_MARGIN = 5.0


@dataclass(frozen=True, slots=True)
class BlockScore:
    block: Block
    commitment: float
    capacity: float
    score: float
    gap: float


@dataclass(frozen=True, slots=True)
class PeerComparison:
    """Where the respondent's index stands among sector peers (hidden below k)."""

    sector: str
    sector_label: Text | None
    peers: int
    min_k: int
    median: float = math.nan
    lower_quartile: float = math.nan
    upper_quartile: float = math.nan
    percentile: float = math.nan
    block_medians: tuple[tuple[str, float], ...] = ()

    @property
    def shown(self) -> bool:
        return self.peers >= self.min_k


@dataclass(frozen=True, slots=True)
class ReadinessProfile:
    instrument: Instrument
    blocks: tuple[BlockScore, ...]
    commitment: float
    capacity: float
    index: float
    gap: float
    level: Level | None
    peers: PeerComparison
    weakest: tuple[BlockScore, ...]

    @property
    def has_index(self) -> bool:
        return not math.isnan(self.index)


def readiness_profile(*, response_id: int) -> ReadinessProfile:
    """The readiness profile of a response, from its saved answers."""
    state = response_state(response_id=response_id)
    instrument = state.instrument
    row = codes.matrix_from_rows([bytes(state.response.answers)], len(instrument.item_ids))
    result = score_matrix(row, instrument)

    def value(name: str) -> float:
        return float(result.column(name)[0])

    blocks = tuple(
        BlockScore(
            block=b,
            commitment=value(f"{b.id}_commitment"),
            capacity=value(f"{b.id}_capacity"),
            score=value(b.id),
            gap=value(f"{b.id}_gap"),
        )
        for b in instrument.blocks
    )
    index = value("index")
    return ReadinessProfile(
        instrument=instrument,
        blocks=blocks,
        commitment=value("commitment"),
        capacity=value("capacity"),
        index=index,
        gap=value("gap"),
        level=instrument.level_for(index),
        peers=_peers(state.response, instrument, index),
        weakest=weakest_blocks(blocks),
    )


def weakest_blocks(blocks: tuple[BlockScore, ...]) -> tuple[BlockScore, ...]:
    """The two lowest-scoring blocks, and the third when it is within a few points."""
    scored = sorted((b for b in blocks if not math.isnan(b.score)), key=lambda b: b.score)
    chosen = scored[:2]
    if len(scored) > 2 and scored[2].score - scored[1].score <= THIRD_WEAKEST_MARGIN:
        chosen.append(scored[2])
    return tuple(chosen)


def _peers(response: Response, instrument: Instrument, index: float) -> PeerComparison:
    min_k = int(settings.COLLABREADY_PEER_MIN_K)
    sector = response.sector
    label = _sector_label(instrument, sector)
    if not sector:
        return PeerComparison(sector="", sector_label=None, peers=0, min_k=min_k)
    scores = _peer_scores(response, instrument)
    index_scores = scores["index"]
    index_scores = index_scores[~np.isnan(index_scores)]
    peers = int(index_scores.shape[0])
    if peers < min_k:
        return PeerComparison(sector=sector, sector_label=label, peers=peers, min_k=min_k)
    q1, median, q3 = (float(v) for v in np.quantile(index_scores, [0.25, 0.5, 0.75]))
    percentile = (
        math.nan
        if math.isnan(index)
        else 100.0
        * (np.count_nonzero(index_scores < index) + 0.5 * np.count_nonzero(index_scores == index))
        / peers
    )
    block_medians = tuple(
        (b.id, float(np.nanmedian(scores[b.id])) if np.any(~np.isnan(scores[b.id])) else math.nan)
        for b in instrument.blocks
    )
    return PeerComparison(
        sector=sector,
        sector_label=label,
        peers=peers,
        min_k=min_k,
        median=median,
        lower_quartile=q1,
        upper_quartile=q3,
        percentile=float(percentile),
        block_medians=block_medians,
    )


def _peer_scores(response: Response, instrument: Instrument) -> dict[str, NDArray[np.float64]]:
    """Index and block scores of the other submitted responses in the sector.

    The sector's scores are cached until another response in it is submitted.
    """
    count = Response.objects.filter(
        wave_id=response.wave_id, sector=response.sector, submitted_at__isnull=False
    ).count()
    key = f"peers:{response.wave_id}:{response.sector}:{count}"
    cached: tuple[NDArray[np.int64], dict[str, NDArray[np.float64]]] | None = cache.get(key)
    if cached is None:
        matrix = wave_matrix(wave=response.wave, sector=response.sector)
        result = score_matrix(matrix.codes, instrument)
        names = ("index", *instrument.block_ids)
        cached = (matrix.response_ids, {n: np.array(result.column(n)) for n in names})
        cache.set(key, cached, timeout=300)
    ids, scores = cached
    others = ids != response.pk
    return {name: values[others] for name, values in scores.items()}


def _sector_label(instrument: Instrument, sector: str) -> Text | None:
    try:
        return instrument.profile_question("sector").choice_by_value(sector).label
    except KeyError:
        return None
