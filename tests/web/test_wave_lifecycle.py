"""A wave's lifecycle in the back office: create (published instruments, UK dates), edit rules
before and after opening, preview in English and Welsh, test mode, close and reopen, and
what the Django admin may not do."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.utils import timezone
from django.utils.html import escape

from collabready.instrument import Instrument
from collabready.web.audit.models import AuditEvent
from collabready.web.surveys.journey import journey_pages
from collabready.web.surveys.models import Response, Wave
from collabready.web.surveys.selectors.responses import wave_responses
from collabready.web.surveys.selectors.waves import wave_summary
from collabready.web.surveys.services.waves import WaveError, wave_update
from tests.web.conftest import Invited, answer_everything, invite

LONDON = ZoneInfo("Europe/London")


@pytest.fixture
def staff(client: Client, db: None) -> Client:
    User.objects.create_user(
        "staff", "staff@example.org", "pw-for-tests", is_staff=True, is_superuser=True
    )
    assert client.login(username="staff", password="pw-for-tests")
    return client


def _new(staff: Client, instrument: Instrument, **overrides: str) -> object:
    data = {
        "name": "Wave 2026",
        "slug": "wave-2026",
        "instrument_key": instrument.key,
        "opens_on": "01/03/2026",
        "closes_on": "31/05/2026",
        "privacy_notice": "Notice.",
        **overrides,
    }
    return staff.post("/backoffice/waves/new/", data)


@pytest.fixture
def future_wave(db: None, instrument: Instrument) -> Wave:
    now = timezone.now()
    return Wave.objects.create(
        slug="later",
        name="Later wave",
        instrument_key=instrument.key,
        opens_at=now + timedelta(days=10),
        closes_at=now + timedelta(days=40),
        privacy_notice="Notice.",
    )


def test_dates_are_read_in_uk_order_in_london_time(staff: Client, instrument: Instrument) -> None:
    _new(staff, instrument)
    wave = Wave.objects.get(slug="wave-2026")
    assert wave.opens_at == datetime(2026, 3, 1, 0, 0, tzinfo=LONDON)  # 1 March, not 3 January
    # open through the whole of 31 May (British Summer Time): closes at midnight after it
    assert wave.closes_at == datetime(2026, 6, 1, 0, 0, tzinfo=LONDON)
    page = staff.get(f"/backoffice/waves/{wave.pk}/").content.decode()
    assert "01/03/2026 to 31/05/2026 (UK time)" in page
    assert AuditEvent.objects.filter(action="wave.create", object_id=str(wave.pk)).exists()


def test_the_instrument_is_chosen_from_the_published_versions(
    staff: Client, instrument: Instrument
) -> None:
    form = staff.get("/backoffice/waves/new/").content.decode()
    assert f'<option value="{instrument.key}"' in form
    assert '<option value="cri@1.1.0"' in form
    got = _new(staff, instrument, instrument_key="cri@9.9.9")
    assert "Select a valid choice" in got.content.decode()  # type: ignore[attr-defined]
    assert not Wave.objects.exists()


def test_every_field_can_change_until_the_wave_opens(future_wave: Wave) -> None:
    later = future_wave.closes_at + timedelta(days=5)
    wave_update(
        wave_id=future_wave.pk,
        name="Renamed",
        privacy_notice="New notice.",
        opens_at=future_wave.opens_at + timedelta(days=1),
        closes_at=later,
    )
    future_wave.refresh_from_db()
    assert (future_wave.name, future_wave.privacy_notice, future_wave.closes_at) == (
        "Renamed",
        "New notice.",
        later,
    )


def test_once_open_only_safe_changes_are_allowed(wave: Wave, instrument: Instrument) -> None:
    with pytest.raises(WaveError) as caught:
        wave_update(
            wave_id=wave.pk,
            instrument_key="cri@1.1.0",
            privacy_notice="Something else.",
            closes_at=wave.closes_at - timedelta(days=1),
        )
    assert caught.value.problems == [
        "instrument: cannot change once the wave has opened (answers have been or are being "
        "given under it)",
        "privacy notice: cannot change once the wave has opened (answers have been or are being "
        "given under it)",
        "closing date: once the wave has opened it can only be moved later (to stop early, "
        "close the wave)",
    ]
    wave.refresh_from_db()
    assert wave.instrument_key == instrument.key
    wave_update(wave_id=wave.pk, name="Renamed", closes_at=wave.closes_at + timedelta(days=7))
    wave.refresh_from_db()
    assert wave.name == "Renamed"


def test_the_edit_page_disables_what_cannot_change(staff: Client, wave: Wave) -> None:
    page = staff.get(f"/backoffice/waves/{wave.pk}/edit/").content.decode()
    assert "This wave has opened" in page
    assert 'name="instrument_key" aria-describedby="id_instrument_key-hint" disabled' in page
    # a disabled field posted anyway is ignored (Django keeps the initial value)
    later = timezone.localtime(wave.closes_at).date() + timedelta(days=3)
    got = staff.post(
        f"/backoffice/waves/{wave.pk}/edit/",
        {
            "name": "Renamed",
            "instrument_key": "cri@1.1.0",
            "opens_on": "01/01/2020",
            "closes_on": f"{later:%d/%m/%Y}",
            "privacy_notice": "Changed",
        },
    )
    assert got.status_code == 302, got.content.decode()[:3000]
    wave.refresh_from_db()
    assert wave.name == "Renamed"
    assert wave.privacy_notice.startswith("We keep your answers safe.")
    assert wave.instrument_key != "cri@1.1.0"


def test_the_public_title_is_set_with_the_wave_and_changes_only_until_it_opens(
    staff: Client, instrument: Instrument
) -> None:
    got = _new(
        staff,
        instrument,
        opens_on=f"{timezone.localdate() + timedelta(days=5):%d/%m/%Y}",
        closes_on=f"{timezone.localdate() + timedelta(days=50):%d/%m/%Y}",
        public_title="  Collaboration in   Wales 2026 ",
        public_title_cy="Cydweithio yng Nghymru 2026",
    )
    assert got.status_code == 302  # type: ignore[attr-defined]
    wave = Wave.objects.get(slug="wave-2026")
    assert (wave.public_title, wave.public_title_cy) == (
        "Collaboration in Wales 2026",
        "Cydweithio yng Nghymru 2026",
    )
    page = staff.get(f"/backoffice/waves/{wave.pk}/").content.decode()
    assert "Collaboration in Wales 2026" in page
    assert '<span lang="cy">Cydweithio yng Nghymru 2026</span>' in page
    edit = staff.get(f"/backoffice/waves/{wave.pk}/edit/").content.decode()
    assert 'type="text" value="Cydweithio yng Nghymru 2026" lang="cy"' in edit
    # before it opens: free to change, audited like any other change
    wave_update(wave_id=wave.pk, public_title="Working Together in Wales 2026")
    event = AuditEvent.objects.filter(action="wave.update", object_id=str(wave.pk)).last()
    assert event is not None
    assert event.detail["fields"] == ["public_title"]
    # once it has opened, respondents have met it: refused by the service, disabled on the page
    Wave.objects.filter(pk=wave.pk).update(opens_at=timezone.now() - timedelta(hours=1))
    with pytest.raises(WaveError) as caught:
        wave_update(wave_id=wave.pk, public_title="Something else", public_title_cy="")
    assert caught.value.problems == [
        "public title: cannot change once the wave has opened (answers have been or are "
        "being given under it)",
        "public title in Welsh: cannot change once the wave has opened (answers have been or "
        "are being given under it)",
    ]
    edit = staff.get(f"/backoffice/waves/{wave.pk}/edit/").content.decode()
    locked = (
        'value="Working Together in Wales 2026" aria-describedby="id_public_title-hint" disabled'
    )
    assert locked in edit
    wave.refresh_from_db()
    assert wave.public_title == "Working Together in Wales 2026"


def test_respondents_see_the_public_title_in_their_language(
    wave: Wave, instrument: Instrument, client: Client
) -> None:
    invited = invite(wave, instrument, "cy@example.org")
    start = client.get(f"/r/{invited.token}/", follow=True).content.decode()
    assert '<h1 class="govuk-heading-xl">Test wave 2026</h1>' in start  # none set: the name
    Wave.objects.filter(pk=wave.pk).update(
        public_title="Collaboration in Wales 2026", public_title_cy="Cydweithio yng Nghymru 2026"
    )
    english = client.get("/survey/").content.decode()
    assert "Collaboration in Wales 2026</h1>" in english
    assert "Test wave 2026" not in english
    welsh = client.get("/cy/survey/").content.decode()
    assert "Cydweithio yng Nghymru 2026</h1>" in welsh
    Wave.objects.filter(pk=wave.pk).update(public_title_cy="")
    assert "Collaboration in Wales 2026</h1>" in client.get("/cy/survey/").content.decode()


@pytest.mark.parametrize(("language", "expected"), [("en", "English"), ("cy", "Cymraeg")])
def test_every_page_previews_in_english_and_welsh_without_a_response(
    staff: Client, future_wave: Wave, instrument: Instrument, language: str, expected: str
) -> None:
    for page in journey_pages(instrument):
        got = staff.get(f"/backoffice/waves/{future_wave.pk}/preview/{language}/{page.slug}/")
        assert got.status_code == 200, page.slug
        text = got.content.decode()
        assert "nothing you choose here is saved" in text
        if page.title is not None:
            assert escape(page.title.get(language)) in text
        for item in page.items[:1]:
            assert escape(item.text.get(language)) in text
    assert not Response.objects.exists()
    assert staff.get(f"/backoffice/waves/{future_wave.pk}/preview/fr/profile/").status_code == 404


def test_test_responses_are_flagged_left_out_of_analysis_and_deletable(
    staff: Client, wave: Wave, instrument: Instrument
) -> None:
    real = invite(wave, instrument, "real@example.org")
    _submit(Client(), real, instrument)
    got = staff.post(f"/backoffice/waves/{wave.pk}/test/", {"language": "cy"})
    assert got.url == "/cy/survey/"
    answer_everything(staff, instrument)
    assert staff.post("/survey/check-your-answers/").status_code == 302
    test = Response.objects.get(is_test=True)
    assert test.submitted_at is not None
    assert wave_responses(wave=wave).respondent_id.tolist() == [real.response.pk]
    assert wave_summary(wave_id=wave.pk).submitted == 1
    confirm = staff.get(f"/backoffice/waves/{wave.pk}/test/delete/").content.decode()
    assert "This deletes 1 test response(s)" in confirm
    staff.post(f"/backoffice/waves/{wave.pk}/test/delete/")
    assert list(Response.objects.values_list("pk", flat=True)) == [real.response.pk]
    event = AuditEvent.objects.get(action="response.test_delete")
    assert event.detail == {"responses": 1}


def test_a_test_response_can_be_answered_before_the_wave_opens(
    staff: Client, future_wave: Wave, instrument: Instrument
) -> None:
    staff.post(f"/backoffice/waves/{future_wave.pk}/test/", {"language": "en"})
    answer_everything(staff, instrument)
    assert Response.objects.get(is_test=True).version == len(journey_pages(instrument))
    # test answers do not count as the wave having opened: its settings may still change
    wave_update(wave_id=future_wave.pk, privacy_notice="Revised notice.")


def _submit(client: Client, invited: Invited, instrument: Instrument) -> None:
    client.get(f"/r/{invited.token}/")
    answer_everything(client, instrument)
    assert client.post("/survey/check-your-answers/").status_code == 302


def test_close_and_reopen_confirm_and_say_how_many_they_affect(
    staff: Client, wave: Wave, instrument: Instrument
) -> None:
    started = invite(wave, instrument, "started@example.org")
    invite(wave, instrument, "waiting@example.org")
    Response.objects.filter(pk=started.response.pk).update(version=3)
    page = staff.get(f"/backoffice/waves/{wave.pk}/close/").content.decode()
    assert "1 respondent(s) have started and not submitted" in page
    assert "1 invitee(s) have not started" in page
    wave.refresh_from_db()
    assert wave.closed_at is None
    staff.post(f"/backoffice/waves/{wave.pk}/close/")
    wave.refresh_from_db()
    assert wave.closed_at is not None
    page = staff.get(f"/backoffice/waves/{wave.pk}/reopen/").content.decode()
    assert "2 invitee(s) or respondent(s) who have not submitted" in page
    staff.post(f"/backoffice/waves/{wave.pk}/reopen/")
    wave.refresh_from_db()
    assert wave.closed_at is None
    # closing made the convenors' release (surveys.services.release)
    assert [e.action for e in AuditEvent.objects.order_by("pk")][-3:] == [
        "wave.close",
        "wave.release",
        "wave.reopen",
    ]


def test_reopening_past_the_closing_date_is_refused(staff: Client, wave: Wave) -> None:
    Wave.objects.filter(pk=wave.pk).update(
        closed_at=timezone.now(), closes_at=timezone.now() - timedelta(hours=1)
    )
    got = staff.post(f"/backoffice/waves/{wave.pk}/reopen/", follow=True)
    assert "Not reopened: closing date: it has passed" in got.content.decode()
    wave.refresh_from_db()
    assert wave.closed_at is not None


def test_the_admin_cannot_change_a_live_waves_instrument_or_delete_responses(
    staff: Client, wave: Wave, invited: Invited, instrument: Instrument
) -> None:
    change = staff.get(f"/admin/surveys/wave/{wave.pk}/change/").content.decode()
    assert 'name="instrument_key"' not in change  # read-only once open
    assert 'name="name"' in change
    for url in (
        f"/admin/surveys/response/{invited.response.pk}/delete/",
        f"/admin/surveys/invitation/{invited.invitation.pk}/delete/",
        f"/admin/surveys/wave/{wave.pk}/delete/",
    ):
        assert staff.get(url).status_code == 403, url
    bulk = staff.post(
        "/admin/surveys/response/",
        {"action": "delete_selected", "_selected_action": [invited.response.pk], "post": "yes"},
    )
    assert bulk.status_code in (200, 302)
    assert Response.objects.filter(pk=invited.response.pk).exists()


def test_the_peer_snapshot_leaves_test_responses_out(wave: Wave, instrument: Instrument) -> None:
    from collabready.web.surveys.services.peers import peer_snapshot_refresh

    for i in range(3):
        person = invite(wave, instrument, f"p{i}@example.org", organisation=f"Org {i}")
        _submit(Client(), person, instrument)
    assert peer_snapshot_refresh(wave_id=wave.pk, sector="public").submitted == 3
    # a response flagged as a test (even one that came through an invitation) never counts
    Response.objects.filter(invitation__email="p0@example.org").update(is_test=True)
    assert peer_snapshot_refresh(wave_id=wave.pk, sector="public").submitted == 2


def test_the_bundled_cri_previews_every_page_in_both_languages(staff: Client) -> None:
    from collabready.instrument import load_instrument

    cri = load_instrument()
    now = timezone.now()
    wave = Wave.objects.create(
        slug="cri-preview",
        name="CRI preview",
        instrument_key=cri.key,
        opens_at=now + timedelta(days=1),
        closes_at=now + timedelta(days=9),
        privacy_notice="Notice.",
    )
    for language in ("en", "cy"):
        for page in journey_pages(cri):
            got = staff.get(f"/backoffice/waves/{wave.pk}/preview/{language}/{page.slug}/")
            assert got.status_code == 200, (language, page.slug)
    assert not Response.objects.exists()
