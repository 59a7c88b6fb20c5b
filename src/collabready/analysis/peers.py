"""The peer benchmark on the readiness profile: a snapshot that resists differencing.

A respondent sees where their organisation's index stands among the other
organisations of its sector while the wave is still live, so anyone can read
the figures before and after one more submission, or fill a sector with
made-up answers. The rule (docs/statistics.md, "The peer benchmark"):

1. **Only verified organisations are peers.** A response counts towards the
   benchmark only when its organisation is known from the sample (an
   invitation, an import, an ``organisation_id`` in a file), never an
   open-link response: nobody can fill a peer group with the open link.
2. **Organisations, not respondents.** Each organisation counts once, its
   respondents' scores combined (:func:`collabready.scoring.score_organisations`).
3. **A snapshot that moves in steps.** Organisations are taken in the order
   of their first submission. The benchmark is the snapshot of the first
   ``m = step × ⌊N / step⌋`` of the ``N`` organisations that have submitted,
   with exactly the responses submitted up to the moment the ``m``-th of them
   first did. Between two moments the snapshot is either the same, or has
   gained at least ``step`` (≥ k) organisations: no comparison of two
   downloads isolates fewer than k organisations.
4. **Shown from a minimum, coarsely rounded.** It is shown only when the
   snapshot holds at least ``minimum`` (``max(2k, 10)``) organisations with
   an index; the median and quartiles are rounded to :data:`PEER_SCORE_STEP`
   points and the share of the sector below the respondent's index to
   :data:`PEER_SHARE_STEP` per cent. Every respondent in the sector sees the
   same snapshot (their own organisation included when it is in it).

Every figure leaves through the gate (:func:`collabready.analysis.gate.publish`).
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from collabready.analysis.gate import CellStatus, Estimate, RawEstimate, publish
from collabready.instrument.model import Instrument
from collabready.scoring import ScoreResult, score_organisations

__all__ = [
    "PEER_SCORE_STEP",
    "PEER_SHARE_STEP",
    "PeerBenchmark",
    "PeerSnapshot",
    "peer_benchmark",
    "peer_minimum",
    "peer_snapshot",
    "round_to",
    "snapshot_step",
]

#: Published peer scores (median, quartiles) are rounded to this many points of 0-100.
PEER_SCORE_STEP = 5.0
#: The published share of peers with a lower index is rounded to this many per cent.
PEER_SHARE_STEP = 10.0


def peer_minimum(k: int) -> int:
    """The fewest organisations a shown benchmark rests on: ``max(2k, 10)``."""
    return max(2 * k, 10)


def snapshot_step(k: int) -> int:
    """How many organisations the snapshot grows by at a time: ``k``."""
    return k


def round_to(value: float, step: float) -> float:
    """``value`` to the nearest multiple of ``step`` (halves up), NaN kept."""
    if math.isnan(value):
        return value
    return float(math.floor(value / step + 0.5) * step)


@dataclass(frozen=True, slots=True)
class PeerSnapshot:
    """The organisations of one sector in the current snapshot, and their index.

    ``index`` holds each snapshot organisation's index (NaN-free, sorted);
    ``organisations`` counts the snapshot's organisations, ``submitted`` the
    verified organisations that had submitted when it was taken.
    """

    sector: str
    index: NDArray[np.float64]
    organisations: int
    submitted: int
    step: int

    def __len__(self) -> int:
        return int(self.index.shape[0])


def peer_snapshot(
    *,
    sector: str,
    scores: ScoreResult,
    organisation: NDArray[np.int64],
    order: NDArray[np.int64],
    instrument: Instrument,
    step: int,
) -> PeerSnapshot:
    """The snapshot (rule 3 of the module docstring) of a sector's verified responses.

    ``scores``, ``organisation`` and ``order`` have one entry per submitted,
    verified response in the sector: its scores, its organisation number and
    its position in submission order (distinct values, smaller = earlier).
    """
    if step < 1:
        raise ValueError(f"the snapshot step must be at least 1, got {step}")
    n = len(scores)
    if organisation.shape[0] != n or order.shape[0] != n:
        raise ValueError("scores, organisation and order must have one entry per response")
    empty = PeerSnapshot(sector, np.empty(0), 0, 0, step)
    if n == 0:
        return empty
    orgs, inverse = np.unique(organisation, return_inverse=True)
    first = np.full(orgs.size, np.iinfo(np.int64).max, dtype=np.int64)
    np.minimum.at(first, inverse, order)
    submitted = int(orgs.size)
    m = step * (submitted // step)
    if m == 0:
        return dataclasses.replace(empty, submitted=submitted)
    cut = np.sort(first)[m - 1]
    taken = order <= cut
    _, combined = score_organisations(scores.take(taken), organisation[taken], instrument)
    index = np.asarray(combined.column("index"), dtype=np.float64)
    index = np.sort(index[~np.isnan(index)])
    return PeerSnapshot(sector, index, m, submitted, step)


def _sorted_quantile(values: NDArray[np.float64], q: float) -> float:
    """``np.quantile(values, q)`` (linear) of sorted ``values``, without a pass over them."""
    size = int(values.shape[0])
    position = q * (size - 1)
    lo = math.floor(position)
    hi = min(lo + 1, size - 1)
    a, b, t = float(values[lo]), float(values[hi]), position - lo
    # numpy's lerp, so that the figure is the same to the last bit
    return b - (b - a) * (1.0 - t) if t >= 0.5 else a + (b - a) * t


@dataclass(frozen=True, slots=True)
class PeerBenchmark:
    """Where an index stands in its sector's snapshot; the figures are ``None`` while hidden."""

    sector: str
    #: organisations with an index in the snapshot
    peers: int
    minimum: int
    step: int
    median: Estimate | None = None
    lower_quartile: Estimate | None = None
    upper_quartile: Estimate | None = None
    #: share of the snapshot's organisations with a lower index (ties count half)
    percentile: Estimate | None = None

    @property
    def shown(self) -> bool:
        return self.median is not None


def peer_benchmark(*, snapshot: PeerSnapshot, index: float, k: int) -> PeerBenchmark:
    """The published benchmark of ``index`` against ``snapshot`` (rule 4)."""
    minimum = peer_minimum(k)
    peers = len(snapshot)
    hidden = PeerBenchmark(snapshot.sector, peers, minimum, snapshot.step)
    if peers < minimum:
        return hidden
    values = snapshot.index
    status = CellStatus.PUBLISHED

    def figure(value: float) -> Estimate | None:
        return publish(RawEstimate(value, math.nan, math.nan, peers), k=k, status=status)

    q1, median, q3 = (_sorted_quantile(values, q) for q in (0.25, 0.5, 0.75))
    share = math.nan
    if not math.isnan(index):
        lower = int(np.searchsorted(values, index, side="left"))
        upper = int(np.searchsorted(values, index, side="right"))
        share = 100.0 * (float(lower) + 0.5 * float(upper - lower)) / peers
    return dataclasses.replace(
        hidden,
        median=figure(round_to(median, PEER_SCORE_STEP)),
        lower_quartile=figure(round_to(q1, PEER_SCORE_STEP)),
        upper_quartile=figure(round_to(q3, PEER_SCORE_STEP)),
        percentile=None if math.isnan(share) else figure(round_to(share, PEER_SHARE_STEP)),
    )
