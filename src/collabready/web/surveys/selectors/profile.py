"""The instant readiness profile of one response, with its sector peers.

Scores come from :func:`collabready.scoring.score_matrix`. Peers are the other
organisations of the same sector that have submitted in the same wave: each
organisation counts once (its respondents' scores combined by
:func:`collabready.scoring.score_organisations`), the respondent's own
organisation not at all, and a response whose organisation is not known (an
open-link response) counts as one respondent.

The wave is live, so each new submission changes the figures, and anyone can
compare them before and after it. The benchmark is therefore published only
when at least :func:`peer_minimum` peers have a score (``max(2k, 10)`` by
default, never fewer than ``COLLABREADY_PEER_MIN_K``), and its figures are
rounded: the median and quartiles to the nearest :data:`PEER_SCORE_STEP`
points, the share of peers below to the nearest :data:`PEER_SHARE_STEP` per
cent. No per-block peer figures are computed.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass
from enum import StrEnum

import numpy as np
from django.conf import settings
from django.core.cache import cache
from numpy.typing import NDArray

from collabready.instrument import Block, Instrument, Level, Text
from collabready.scoring import ScoreResult, score_matrix, score_organisations
from collabready.web.surveys import codes
from collabready.web.surveys.models import Response
from collabready.web.surveys.selectors.responses import (
    CHUNK_ROWS,
    organisation_key,
    organisation_numbers,
    response_organisation,
    response_state,
    wave_matrix,
)

#: Suggest actions for the two weakest blocks, and a third within this many points.
THIRD_WEAKEST_MARGIN = 5.0


@dataclass(frozen=True, slots=True)
class BlockScore:
    block: Block
    commitment: float
    capacity: float
    score: float
    gap: float


#: Published peer scores (median, quartiles) are rounded to this many points of 0-100.
PEER_SCORE_STEP = 5.0
#: The published share of peers with a lower index is rounded to this many per cent.
PEER_SHARE_STEP = 10.0


class PeerUnit(StrEnum):
    """What the peers counted are, for wording the count correctly."""

    ORGANISATIONS = "organisations"  #: every peer's organisation is known
    RESPONDENTS = "respondents"  #: no peer's organisation is known
    MIXED = "mixed"  #: some of each


@dataclass(frozen=True, slots=True)
class PeerComparison:
    """Where the respondent's index stands among sector peers (hidden below ``minimum``).

    The figures are the published, rounded ones; NaN while hidden.
    """

    sector: str
    sector_label: Text | None
    peers: int
    minimum: int
    unit: PeerUnit = PeerUnit.ORGANISATIONS
    median: float = math.nan
    lower_quartile: float = math.nan
    upper_quartile: float = math.nan
    percentile: float = math.nan

    @property
    def shown(self) -> bool:
        return self.peers >= self.minimum


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


def peer_minimum() -> int:
    """The fewest peers with a score for which the sector benchmark is shown.

    ``COLLABREADY_PEER_BENCHMARK_MIN`` when set, else ``max(2k, 10)`` with
    ``k = COLLABREADY_PEER_MIN_K``; never below k.
    """
    k = int(settings.COLLABREADY_PEER_MIN_K)
    configured = getattr(settings, "COLLABREADY_PEER_BENCHMARK_MIN", None)
    return max(k, int(configured) if configured is not None else max(2 * k, 10))


def round_to(value: float, step: float) -> float:
    """``value`` to the nearest multiple of ``step`` (halves up), NaN kept."""
    if math.isnan(value):
        return value
    return float(math.floor(value / step + 0.5) * step)


@dataclass(frozen=True, slots=True)
class PeerScores:
    """The index of each peer (organisation, or respondent where it is not known)."""

    index: NDArray[np.float64]
    unit: PeerUnit

    def __len__(self) -> int:
        return int(self.index.shape[0])


def peer_scores(response: Response, instrument: Instrument) -> PeerScores:
    """The index of every other organisation in the response's sector that has submitted.

    An organisation's index comes from its respondents' combined scores; the
    response's own organisation is left out; a response with no known
    organisation is a peer of its own. Peers without an index are not counted.
    """
    ids, organisations, result = _sector_scores(response, instrument)
    others = ids != response.pk
    own = organisation_key(response_organisation(response))
    if own:
        others &= organisations != own
    if not others.any():
        return PeerScores(np.empty(0, dtype=np.float64), PeerUnit.ORGANISATIONS)
    keys = organisations[others]
    numbers = organisation_numbers(list(keys))
    subset = dataclasses.replace(result, values=result.values[others], level=result.level[others])
    orgs, combined = score_organisations(subset, numbers, instrument)
    index = np.asarray(combined.column("index"), dtype=np.float64)
    # a number stands for a known organisation when any of its responses names one
    known_numbers = np.unique(numbers[keys != ""])
    known = np.isin(orgs, known_numbers)
    scored = ~np.isnan(index)
    index, known = index[scored], known[scored]
    unit = (
        PeerUnit.ORGANISATIONS
        if known.all()
        else PeerUnit.RESPONDENTS
        if not known.any()
        else PeerUnit.MIXED
    )
    return PeerScores(index, unit)


def _peers(response: Response, instrument: Instrument, index: float) -> PeerComparison:
    minimum = peer_minimum()
    sector = response.sector
    if not sector:
        return PeerComparison(sector="", sector_label=None, peers=0, minimum=minimum)
    label = _sector_label(instrument, sector)
    found = peer_scores(response, instrument)
    peers = len(found)
    if peers < minimum:
        return PeerComparison(
            sector=sector, sector_label=label, peers=peers, minimum=minimum, unit=found.unit
        )
    scores = found.index
    q1, median, q3 = (float(v) for v in np.quantile(scores, [0.25, 0.5, 0.75]))
    percentile = (
        math.nan
        if math.isnan(index)
        else 100.0
        * (np.count_nonzero(scores < index) + 0.5 * np.count_nonzero(scores == index))
        / peers
    )
    return PeerComparison(
        sector=sector,
        sector_label=label,
        peers=peers,
        minimum=minimum,
        unit=found.unit,
        median=round_to(median, PEER_SCORE_STEP),
        lower_quartile=round_to(q1, PEER_SCORE_STEP),
        upper_quartile=round_to(q3, PEER_SCORE_STEP),
        percentile=round_to(float(percentile), PEER_SHARE_STEP),
    )


def _sector_scores(
    response: Response, instrument: Instrument
) -> tuple[NDArray[np.int64], NDArray[np.str_], ScoreResult]:
    """Response ids, organisation keys ('' when unknown) and scores of the submitted
    responses in the response's sector.

    Cached until another response in the sector is submitted.
    """
    count = Response.objects.filter(
        wave_id=response.wave_id, sector=response.sector, submitted_at__isnull=False
    ).count()
    key = f"peers:{response.wave_id}:{response.sector}:{count}"
    cached: tuple[NDArray[np.int64], NDArray[np.str_], ScoreResult] | None = cache.get(key)
    if cached is None:
        matrix = wave_matrix(wave=response.wave, sector=response.sector)
        rows = Response.objects.filter(
            wave_id=response.wave_id, sector=response.sector, submitted_at__isnull=False
        ).values_list("pk", "organisation_ref", "invitation__organisation")
        names = {
            pk: ref or invited or "" for pk, ref, invited in rows.iterator(chunk_size=CHUNK_ROWS)
        }
        organisations = np.array(
            [organisation_key(names.get(int(i), "")) for i in matrix.response_ids], dtype=str
        )
        cached = (matrix.response_ids, organisations, score_matrix(matrix.codes, instrument))
        cache.set(key, cached, timeout=300)
    return cached


def _sector_label(instrument: Instrument, sector: str) -> Text | None:
    try:
        return instrument.profile_question("sector").choice_by_value(sector).label
    except KeyError:
        return None
