"""A respondent's readiness profile as a PDF: the same profile object the page renders.

The profile is :func:`~collabready.web.surveys.selectors.readiness.response_readiness`
(the core's :func:`~collabready.analysis.readiness.readiness_profile`: the
response's own scores and the sector's stored peer snapshot), laid out by
:func:`collabready.reporting.readiness.readiness_report`. Nothing here loads the wave.
"""

from __future__ import annotations

import hashlib

from collabready.web.surveys.selectors.readiness import peer_k, response_readiness
from collabready.web.surveys.selectors.responses import ResponseState


def readiness_pdf(*, state: ResponseState) -> bytes:
    """The profile PDF of a submitted response."""
    from collabready.reporting import appendices
    from collabready.reporting.readiness import readiness_report
    from collabready.reporting.render import render_pdf

    response = state.response
    profile = response_readiness(state=state)
    digest = hashlib.sha256(bytes(response.answers))
    digest.update(repr((profile.peers.peers, profile.peers.step, profile.sector)).encode())
    stamp = appendices.make_stamp(
        instrument=state.instrument, data_sha256=digest.hexdigest(), k=peer_k()
    )
    invitation = response.invitation if response.invitation_id is not None else None
    # never the internal response number: the organisation's name when invited
    subject = (invitation.organisation if invitation else "") or "your organisation"
    return render_pdf(readiness_report(profile, subject=subject, stamp=stamp))
