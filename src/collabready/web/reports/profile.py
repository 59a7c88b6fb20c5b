"""A respondent's readiness profile as a PDF: the same profile object the page renders.

The profile is :func:`~collabready.web.surveys.selectors.profile.response_profile`
(the core's :func:`~collabready.analysis.profile.readiness_profile`: the
response's own scores and the sector's stored peer snapshot), laid out by
:func:`collabready.reporting.profile.profile_report`. Nothing here loads the wave.
"""

from __future__ import annotations

import hashlib

from collabready.web.surveys.selectors.profile import peer_k, response_profile
from collabready.web.surveys.selectors.responses import ResponseState


def profile_pdf(*, state: ResponseState) -> bytes:
    """The profile PDF of a submitted response."""
    from collabready.reporting import appendices
    from collabready.reporting.profile import profile_report
    from collabready.reporting.render import render_pdf

    response = state.response
    profile = response_profile(state=state)
    digest = hashlib.sha256(bytes(response.answers))
    digest.update(repr((profile.peers.peers, profile.peers.step, profile.sector)).encode())
    stamp = appendices.make_stamp(
        instrument=state.instrument, data_sha256=digest.hexdigest(), k=peer_k()
    )
    invitation = response.invitation if response.invitation_id is not None else None
    # never the internal response number: the organisation's name when invited
    subject = (invitation.organisation if invitation else "") or "your organisation"
    return render_pdf(profile_report(profile, subject=subject, stamp=stamp))
