"""The instant readiness profile of one response: the core's profile, read from the database.

The profile itself is :func:`collabready.analysis.readiness.readiness_profile`
(the PDF renders the same object). The response's own answers are scored
alone; the peer benchmark comes from the sector's stored snapshot (one
indexed read, :class:`~collabready.web.surveys.models.PeerSnapshot`), never
from loading and scoring the wave on the request. The snapshot is refreshed
in the background after verified submissions
(:mod:`collabready.web.surveys.services.peers`).
"""

from __future__ import annotations

import dataclasses

import numpy as np
from django.conf import settings

from collabready.analysis import codec
from collabready.analysis.peers import PeerSnapshot, snapshot_step
from collabready.analysis.readiness import ReadinessProfile, readiness_profile
from collabready.scoring import score_matrix
from collabready.web.surveys.models import PeerSnapshot as StoredSnapshot
from collabready.web.surveys.models import Response
from collabready.web.surveys.selectors.responses import ResponseState

__all__ = ["peer_k", "response_readiness", "snapshot_get"]


def peer_k() -> int:
    """The disclosure threshold of the peer benchmark (``COLLABREADY_PEER_MIN_K``)."""
    return int(settings.COLLABREADY_PEER_MIN_K)


def snapshot_from_row(row: StoredSnapshot) -> PeerSnapshot:
    index = np.frombuffer(bytes(row.index), dtype=np.float64).copy()
    index.setflags(write=False)
    return PeerSnapshot(row.sector, index, row.organisations, row.submitted, row.step)


#: The last snapshot read per (wave, sector) in this process, with the version it was
#: read at: a page request then reads only the row's small columns, not its index.
_READ: dict[tuple[int, str], tuple[tuple[object, ...], PeerSnapshot]] = {}
_READ_MAX = 256


def snapshot_get(*, wave_id: int, sector: str) -> PeerSnapshot:
    """The sector's stored snapshot; taken now if the sector has none yet (or one
    taken with another k).

    The index values (several MiB for a national wave) are read from the
    database only when the stored snapshot changed since this process last
    read it (its ``taken_at`` and size); otherwise from memory.
    """
    from collabready.web.surveys.services.peers import peer_snapshot_refresh

    row = StoredSnapshot.objects.defer("index").filter(wave_id=wave_id, sector=sector).first()
    if row is None or row.step != snapshot_step(peer_k()):  # none yet, or k was changed
        row = peer_snapshot_refresh(wave_id=wave_id, sector=sector)
    version = (row.pk, row.taken_at, row.organisations, row.step)
    cached = _READ.get((wave_id, sector))
    if cached is not None and cached[0] == version:
        snapshot = cached[1]
        if snapshot.submitted != row.submitted:
            snapshot = dataclasses.replace(snapshot, submitted=row.submitted)
        return snapshot
    snapshot = snapshot_from_row(row)  # loads the deferred index
    if len(_READ) >= _READ_MAX:
        _READ.clear()
    _READ[(wave_id, sector)] = (version, snapshot)
    return snapshot


def response_readiness(*, state: ResponseState) -> ReadinessProfile:
    """The readiness profile of a response, from its saved answers and the sector snapshot."""
    instrument = state.instrument
    response: Response = state.response
    row = codec.matrix_from_rows([bytes(response.answers)], len(instrument.item_ids))
    scores = score_matrix(row, instrument)
    k = peer_k()
    sector = response.sector
    snapshot = (
        snapshot_get(wave_id=response.wave_id, sector=sector)
        if sector
        else PeerSnapshot("", np.empty(0), 0, 0, k)
    )
    return readiness_profile(
        instrument=instrument, scores=scores, sector=sector, snapshot=snapshot, k=k
    )
