"""A respondent's organisation profile as a PDF (:func:`collabready.reporting.profile`)."""

from __future__ import annotations

from django.conf import settings

from collabready.web.reports.selectors import wave_responses_frame
from collabready.web.surveys.instruments import instrument_get
from collabready.web.surveys.models import Response


def profile_pdf(*, response_id: int) -> bytes:
    """The profile PDF of a submitted response, against its wave's other submissions.

    The peer comparison is suppressed below ``COLLABREADY_PEER_MIN_K`` peers, as on
    the profile page.
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
        k=int(settings.COLLABREADY_PEER_MIN_K),
        # never the internal response number: the organisation's name when invited
        subject=(response.invitation.organisation if response.invitation else "")
        or "your organisation",
    )
    return render_pdf(report)
