"""Convenors' figures come from the wave's release, so two reads cannot be differenced.

The attack these tests replay: a convenor reads the wave's aggregates, waits for one
more submission (or one erasure), reads again, and ``n × after − (n − 1) × before``
is that respondent's index. Convenors therefore never see the live submissions
(``surveys.services.release``): no figures before the wave has ended; afterwards the
figures of a release that moves only when at least k submissions have changed; and
none at all while a released submission's erasure has not been outweighed.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client

from collabready.analysis.policy import DEFAULT_K
from collabready.instrument import Instrument
from collabready.web.access.services import convenor_link
from collabready.web.audit.models import AuditEvent
from collabready.web.privacy.services.erasure import response_erase
from collabready.web.reports.models import ReportJob
from collabready.web.reports.services import margins_save
from collabready.web.surveys.models import Response, Wave
from collabready.web.surveys.selectors.responses import wave_responses
from collabready.web.surveys.services.submissions import response_submit_complete
from collabready.web.surveys.services.waves import wave_close, wave_reopen
from tests.web.api_support import World, build_world, full_payload

pytestmark = pytest.mark.django_db

MARGINS = (
    b"variable,level,population_total\nsector,private,400\nsector,public,300\nsector,third,300\n"
)
SECTORS = ("private", "public", "third")


def _submit(wave: Wave, instrument: Instrument, i: int) -> Response:
    body = full_payload(instrument, code=(i % 4) + 1, org=f"Org {i}")
    body["profile"]["sector"] = SECTORS[i % 3]
    wave.refresh_from_db()
    return response_submit_complete(wave=wave, **body)


@pytest.fixture
def world(instrument: Instrument, wave: Wave) -> World:
    for i in range(12):
        _submit(wave, instrument, i)
    margins_save(wave=wave, data=MARGINS, filename="margins.csv")
    built = build_world(instrument)
    convenor_link(user=built.users["convenor"], wave_id=wave.pk)
    return built


def _index(client: Client, wave: Wave) -> tuple[int, float, Any]:
    """n, the overall index and the release moment the caller's figures are of."""
    got = client.get(f"/api/waves/{wave.pk}/aggregates")
    assert got.status_code == 200, got.content
    body = got.json()
    (cell,) = (c for c in body["cells"] if c["variable"] == "index" and c["grouping"] == "all")
    return body["n_respondents"], cell["estimate"]["value"], body["submitted_until"]


def _refused(client: Client, wave: Wave, says: str) -> None:
    got = client.get(f"/api/waves/{wave.pk}/aggregates")
    assert got.status_code == 403, got.content
    assert got["Content-Type"] == "application/problem+json"
    assert says in got.json()["detail"]


def test_no_figures_for_convenors_while_the_wave_is_open(world: World, wave: Wave) -> None:
    convenor = world.client("convenor")
    _refused(convenor, wave, "released when the wave has closed")
    started = convenor.post(
        f"/api/waves/{wave.pk}/reports",
        data={"kind": "national", "format": "html"},
        content_type="application/json",
    )
    assert started.status_code == 403
    assert "released when the wave has closed" in started.json()["detail"]
    # the research team reads the live figures meanwhile
    n, _, until = _index(world.client("researcher"), wave)
    assert (n, until) == (12, None)
    assert not ReportJob.objects.filter(wave=wave).exists()


def test_one_more_submission_after_the_release_changes_nothing_a_convenor_sees(
    world: World, wave: Wave, instrument: Instrument
) -> None:
    convenor, researcher = world.client("convenor"), world.client("researcher")
    assert wave_close(wave_id=wave.pk)
    before = _index(convenor, wave)
    assert before[0] == 12
    assert before[2] is not None
    assert AuditEvent.objects.filter(action="wave.release", object_id=str(wave.pk)).count() == 1

    # reopened, one more respondent submits: the attacker's second read is the first
    assert wave_reopen(wave_id=wave.pk)
    extra = _submit(wave, instrument, 99)
    assert _index(convenor, wave) == before
    assert _index(researcher, wave)[0] == 13
    # closed again with fewer than k changes: the release stays where it was
    assert wave_close(wave_id=wave.pk)
    assert _index(convenor, wave) == before
    wave.refresh_from_db()
    assert wave.released_count == 12
    assert extra.submitted_at is not None
    assert wave.released_at is not None
    assert extra.submitted_at > wave.released_at

    # k changes in all: at the next end the release moves on, by k respondents at once
    assert wave_reopen(wave_id=wave.pk)
    for i in range(DEFAULT_K - 1):
        _submit(wave, instrument, 100 + i)
    assert _index(convenor, wave) == before  # open again: still the old release
    assert wave_close(wave_id=wave.pk)
    after = _index(convenor, wave)
    assert after[0] == 12 + DEFAULT_K
    assert after[2] != before[2]
    assert AuditEvent.objects.filter(action="wave.release", object_id=str(wave.pk)).count() == 2


def test_a_wave_past_its_closing_date_is_released_at_the_first_read(
    world: World, wave: Wave
) -> None:
    from datetime import timedelta

    from django.utils import timezone

    Wave.objects.filter(pk=wave.pk).update(
        opens_at=timezone.now() - timedelta(days=10), closes_at=timezone.now() - timedelta(days=1)
    )
    n, _, until = _index(world.client("convenor"), wave)
    assert n == 12
    assert until is not None


def test_a_wave_given_a_later_closing_date_is_released_before_it_opens_again(
    world: World, wave: Wave, instrument: Instrument
) -> None:
    from datetime import timedelta

    from django.utils import timezone

    from collabready.web.surveys.services.waves import wave_update

    past = timezone.now() - timedelta(days=1)
    Wave.objects.filter(pk=wave.pk).update(opens_at=past - timedelta(days=9), closes_at=past)
    wave.refresh_from_db()
    assert wave.released_at is None  # nobody has read it since it ended
    wave_update(wave_id=wave.pk, closes_at=timezone.now() + timedelta(days=5))
    wave.refresh_from_db()
    assert wave.released_at is not None
    assert wave.released_count == 12
    _submit(wave, instrument, 400)
    assert _index(world.client("convenor"), wave)[0] == 12


def test_an_erased_released_response_withholds_convenors_figures(
    world: World,
    wave: Wave,
    instrument: Instrument,
    django_capture_on_commit_callbacks: Callable[..., Any],
) -> None:
    convenor = world.client("convenor")
    assert wave_close(wave_id=wave.pk)
    assert _index(convenor, wave)[0] == 12
    victim = Response.objects.filter(wave=wave, is_test=False).order_by("pk").first()
    assert victim is not None
    with django_capture_on_commit_callbacks(execute=True):
        response_erase(response_id=victim.pk, by="staff")
    # figures without the erased response would tell it by difference: none at all
    _refused(convenor, wave, "withheld: a response in them was erased")
    page = Client()
    page.force_login(world.users["convenor"])
    reports = page.get(f"/backoffice/waves/{wave.pk}/reports/")
    assert reports.status_code == 200
    assert "You cannot generate a report of this wave now" in reports.content.decode()
    refused = page.post(f"/backoffice/waves/{wave.pk}/reports/", {"kind": "national"})
    assert refused.status_code == 403
    assert "withheld" in refused.content.decode()
    # the research team's figures drop it at once
    assert _index(world.client("researcher"), wave)[0] == 11
    # once k responses have changed in all (the erasure and k - 1 new ones), they return
    Wave.objects.filter(pk=wave.pk).update(closed_at=None)
    for i in range(DEFAULT_K - 1):
        _submit(wave, instrument, 200 + i)
    assert wave_close(wave_id=wave.pk)
    assert _index(convenor, wave)[0] == 11 + DEFAULT_K - 1


def test_convenors_reports_are_of_the_release_and_they_see_only_those(
    world: World, wave: Wave, instrument: Instrument
) -> None:
    researchers = ReportJob.objects.create(
        wave=wave, kind="national", format="html", status=ReportJob.Status.FAILED
    )
    assert wave_close(wave_id=wave.pk)
    assert wave_reopen(wave_id=wave.pk)
    _submit(wave, instrument, 300)
    convenor = world.client("convenor")
    started = convenor.post(
        f"/api/waves/{wave.pk}/reports",
        data={"kind": "national", "format": "html"},
        content_type="application/json",
    )
    assert started.status_code == 202, started.content
    job = ReportJob.objects.get(pk=started.json()["id"])
    wave.refresh_from_db()
    assert job.release_cutoff == wave.released_at
    # what the report is built from: the release, not the 13 live submissions
    assert job.release_cutoff is not None
    assert len(wave_responses(wave=wave, submitted_until=job.release_cutoff)) == 12
    assert len(wave_responses(wave=wave)) == 13
    assert convenor.get(f"/api/reports/{job.pk}").status_code == 200
    # a report of the live submissions does not exist for a convenor (as if missing)
    hidden = convenor.get(f"/api/reports/{researchers.pk}")
    missing = convenor.get("/api/reports/987654321")
    assert hidden.status_code == missing.status_code == 404
    assert hidden.json()["detail"] == missing.json()["detail"]
    page = Client()
    page.force_login(world.users["convenor"])
    listed = page.get(f"/backoffice/waves/{wave.pk}/reports/").content.decode()
    assert f"/backoffice/reports/{job.pk}/" in listed
    assert f"/backoffice/reports/{researchers.pk}/" not in listed
    assert "the 12 responses submitted up to" in listed
    # the draft option says what a convenor's draft is made of: the release, not the
    # responses submitted so far
    hint = listed[listed.index('id="id_draft-hint"') :]
    hint = hint[: hint.index("</div>")]
    assert "From your release: the 12 responses submitted up to" in hint
    assert "not the responses submitted since" in hint
    assert "so far" not in hint
    research = Client()
    research.force_login(world.users["researcher"])
    theirs = research.get(f"/backoffice/waves/{wave.pk}/reports/").content.decode()
    assert "From the responses submitted so far, not weighted" in theirs
    assert f"at least {DEFAULT_K} responses have changed" in listed
    assert page.get(f"/backoffice/reports/{researchers.pk}/").status_code == 404
