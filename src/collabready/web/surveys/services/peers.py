"""Taking the peer benchmark snapshot of a sector (the rule: :mod:`collabready.analysis.peers`).

:func:`peer_snapshot_refresh` loads the sector's verified submissions in
submission order, computes the snapshot with the core and stores it.
:func:`peer_snapshot_schedule` is called after each verified submission: it
enqueues a refresh in the background unless one ran in the last
``COLLABREADY_PEER_REFRESH_SECONDS``, so a busy wave re-reads a sector at most
that often and no respondent waits for it.
"""

from __future__ import annotations

from datetime import timedelta

import numpy as np
from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from collabready.analysis.data import prepare
from collabready.analysis.peers import peer_snapshot, snapshot_step
from collabready.web.surveys.models import PeerSnapshot as StoredSnapshot
from collabready.web.surveys.models import Wave

__all__ = ["peer_snapshot_refresh", "peer_snapshot_schedule"]


def peer_snapshot_refresh(*, wave_id: int, sector: str, force: bool = False) -> StoredSnapshot:
    """Take the sector's snapshot from the database and store it; returns the stored row.

    ``force`` stores the new snapshot even when it has as many organisations as the
    stored one (after an erasure: the erased response's score must not stay in it).
    """
    from collabready.web.surveys.selectors.readiness import peer_k
    from collabready.web.surveys.selectors.responses import wave_responses

    wave = Wave.objects.get(pk=wave_id)
    k = peer_k()
    matrix = wave_responses(wave=wave, sector=sector, verified_only=True, submission_order=True)
    data = prepare(matrix)
    verified = np.flatnonzero(matrix.verified)
    snapshot = peer_snapshot(
        sector=sector,
        scores=data.scores.take(verified),
        organisation=matrix.organisation[verified],
        order=verified.astype(np.int64),
        instrument=matrix.instrument,
        step=snapshot_step(k),
    )
    now = timezone.now()
    with transaction.atomic():
        row = StoredSnapshot.objects.select_for_update().filter(wave=wave, sector=sector).first()
        if row is None:
            try:
                with transaction.atomic():
                    return StoredSnapshot.objects.create(
                        wave=wave,
                        sector=sector,
                        organisations=snapshot.organisations,
                        submitted=snapshot.submitted,
                        step=snapshot.step,
                        index=snapshot.index.astype(np.float64).tobytes(),
                        taken_at=now,
                        checked_at=now,
                    )
            except IntegrityError:  # another process took it first
                row = StoredSnapshot.objects.select_for_update().get(wave=wave, sector=sector)
        row.checked_at = now
        row.submitted = snapshot.submitted
        fields = ["checked_at", "submitted"]
        index = snapshot.index.astype(np.float64).tobytes()
        # the same size can hold other organisations after an erasure: compare the content
        if (
            force
            or snapshot.organisations != row.organisations
            or snapshot.step != row.step
            or index != bytes(row.index)
        ):
            row.organisations = snapshot.organisations
            row.step = snapshot.step
            row.index = index
            row.taken_at = now
            fields += ["organisations", "step", "index", "taken_at"]
        row.save(update_fields=fields)
    return row


def peer_snapshot_schedule(*, wave_id: int, sector: str) -> bool:
    """Enqueue a refresh of the sector's snapshot unless one is recent; True if enqueued."""
    from collabready.web.surveys.tasks import refresh_peer_snapshot

    if not sector:
        return False
    every = timedelta(seconds=int(settings.COLLABREADY_PEER_REFRESH_SECONDS))
    recent = StoredSnapshot.objects.filter(
        wave_id=wave_id, sector=sector, checked_at__gt=timezone.now() - every
    ).exists()
    if recent:
        return False
    refresh_peer_snapshot.enqueue(wave_id, sector)
    return True
