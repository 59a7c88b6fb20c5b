"""The cover names the survey as the public knows it (the wave's public title) and when
it was in the field; the wave's internal name and the provenance (instrument, time of
generation) are in the reproducibility appendix only."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from collabready.instrument import Instrument
from collabready.reporting.national import (
    Fieldwork,
    NationalReportError,
    fieldwork_period,
    national_report,
)
from collabready.reporting.render import render_html
from collabready.synth import generate_wave


def _parts(html: str) -> tuple[str, str]:
    cover = html[html.index('<header class="cover">') : html.index("</header>")]
    appendix = html[html.index('id="reproducibility"') :]
    return cover, appendix


@pytest.fixture(scope="module")
def responses(cri: Instrument):
    return generate_wave(respondents=40, seed=11, instrument=cri).responses


@pytest.mark.parametrize("public_title", ["Collaboration in Wales 2026", ""])
def test_the_cover_shows_the_public_title_and_the_appendix_the_provenance(
    cri: Instrument, responses, public_title: str
) -> None:
    report = national_report(
        responses=responses,
        instrument=cri,
        margins=None,
        draft=True,
        fieldwork=Fieldwork(
            wave_name="wales-internal-w3",
            public_title=public_title,
            start=date(2026, 3, 1),
            end=date(2026, 5, 31),
        ),
    )
    cover, appendix = _parts(render_html(report))
    assert "Fieldwork 1 March 2026 to 31 May 2026" in cover
    if public_title:
        assert f'<p class="survey-title">{public_title}</p>' in cover
    else:  # blank: no survey line at all, and never the internal name instead
        assert "survey-title" not in cover
    for provenance in ("wales-internal-w3", "Generated", cri.key, "collabready "):
        assert provenance not in cover
    for provenance in ("wales-internal-w3", "Generated", cri.key):
        assert provenance in appendix


def test_without_fieldwork_dates_the_cover_has_no_period() -> None:
    assert fieldwork_period(None, date(2026, 5, 31)) == ""
    assert fieldwork_period(date(2026, 3, 9), date(2026, 4, 1)) == (
        "Fieldwork 9 March 2026 to 1 April 2026"
    )


def test_a_draft_of_the_responses_up_to_a_moment_says_so(cri: Instrument, responses) -> None:
    """A convenor's draft is of the wave's release, not of everything submitted so far."""
    until = datetime(2026, 6, 2, 13, 5, tzinfo=UTC)
    report = national_report(
        responses=responses, instrument=cri, margins=None, draft=True, submitted_until=until
    )
    html = render_html(report)
    summary = html[html.index('id="summary"') : html.index('id="methodology"')]
    assert "from the 40 responses submitted up to 2 June 2026, 14:05 (UK time)" in summary
    assert "so far" not in summary
    appendix = html[html.index('id="reproducibility"') :]
    assert "Responses submitted up to" in appendix
    assert "2 June 2026, 14:05 (UK time)" in appendix


@pytest.mark.parametrize("n", [1, 4])
def test_fewer_respondents_than_k_is_refused_with_the_reason(cri: Instrument, n: int) -> None:
    """One respondent used to fail deep in the variance estimation ("stratum 'all' has only
    one PSU"), advice nobody could follow from the back office."""
    few = generate_wave(respondents=n, seed=3, instrument=cri).responses
    with pytest.raises(NationalReportError) as caught:
        national_report(responses=few, instrument=cri, margins=None, draft=True)
    assert str(caught.value) == (
        f"{n} submitted response{'s' if n != 1 else ''}; a national report needs at least 5, "
        "since no figure may rest on fewer (disclosure control)"
    )
