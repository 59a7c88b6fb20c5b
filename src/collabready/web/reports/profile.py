"""A respondent's organisation profile as a PDF (:func:`collabready.reporting.profile`)."""

from __future__ import annotations

import polars as pl

from collabready.web.reports.selectors import wave_responses_frame
from collabready.web.surveys.instruments import instrument_get
from collabready.web.surveys.models import Response
from collabready.web.surveys.selectors.profile import peer_minimum, peer_scores


def profile_pdf(*, response_id: int) -> bytes:
    """The profile PDF of a submitted response, against its wave's other submissions.

    The peer comparison follows the profile page's rule: it is shown only when
    at least :func:`~collabready.web.surveys.selectors.profile.peer_minimum`
    other organisations in the sector have a score. The report core counts peer
    *responses* against its ``k``, so when the page hides the comparison (too
    few organisations, however many responses) ``k`` is raised above the number
    of peer responses, which makes the report hide it too.
    """
    from collabready.reporting.profile import organisation_profile
    from collabready.reporting.render import render_pdf

    response = Response.objects.select_related("wave", "invitation").get(
        pk=response_id, submitted_at__isnull=False
    )
    instrument = instrument_get(response.wave.instrument_key)
    frame = wave_responses_frame(wave=response.wave)
    report = organisation_profile(
        responses=frame,
        instrument=instrument,
        respondent_id=response.pk,
        k=_peer_k(response, frame),
        # never the internal response number: the organisation's name when invited
        subject=(response.invitation.organisation if response.invitation else "")
        or "your organisation",
    )
    return render_pdf(report)


def _peer_k(response: Response, frame: pl.DataFrame) -> int:
    """The ``k`` for the report core: the page's minimum, or more to hide the comparison."""
    minimum = peer_minimum()
    instrument = instrument_get(response.wave.instrument_key)
    if response.sector and len(peer_scores(response, instrument)) >= minimum:
        return minimum
    own = frame.filter(pl.col("respondent_id") == response.pk)
    sector = own.get_column("sector")[0] if own.height else None
    peer_responses = frame.filter(
        (pl.col("sector") == sector) & (pl.col("respondent_id") != response.pk)
    ).height
    return max(minimum, peer_responses + 1)
