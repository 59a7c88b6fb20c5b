"""Save and return, and exactly-once submission."""

from __future__ import annotations

import threading

import pytest
from django.db import close_old_connections
from django.test import Client

from collabready.instrument import Instrument
from collabready.web.surveys.errors import ResponseChangedError, ResponseSubmittedError
from collabready.web.surveys.journey import journey_page, journey_pages
from collabready.web.surveys.models import Response, Wave
from collabready.web.surveys.pageforms import PageInput
from collabready.web.surveys.services.responses import (
    SubmitOutcome,
    response_save_page,
    response_submit,
)
from tests.web.conftest import Invited, answer_everything, invite, page_data


def test_leave_and_come_back_with_the_personal_link(
    client: Client, instrument: Instrument, invited: Invited
) -> None:
    client.get(f"/r/{invited.token}/")
    pages = journey_pages(instrument)
    for page in pages[:3]:
        client.post(f"/survey/questions/{page.slug}/", page_data(instrument, page.slug))
    # a new browser (no session) opens the same personal link
    other = Client()
    assert other.get("/survey/questions/citizens/").status_code == 403
    entered = other.get(f"/r/{invited.token}/")
    assert entered.url == "/survey/"
    start = other.get("/survey/").content.decode()
    assert "Continue where you left off" in start
    assert f"/survey/questions/{pages[3].slug}/" in start
    # answers already given are shown checked
    html = other.get(f"/survey/questions/{pages[1].slug}/").content.decode()
    assert html.count(" checked") == len(pages[1].items)


def test_save_and_come_back_later_keeps_partial_answers(
    respondent: Client, instrument: Instrument
) -> None:
    data = page_data(instrument, "profile")
    data["action"] = "later"
    got = respondent.post("/survey/questions/profile/", data)
    assert got.url == "/survey/saved/"
    assert "personal link" in respondent.get("/survey/saved/").content.decode()
    assert bytes(Response.objects.get().profile)[0] == 1


def test_saving_the_same_page_twice_is_harmless(respondent: Client, instrument: Instrument) -> None:
    data = page_data(instrument, "profile")
    respondent.post("/survey/questions/profile/", data)
    first = bytes(Response.objects.get().profile)
    respondent.post("/survey/questions/profile/", data)
    response = Response.objects.get()
    assert bytes(response.profile) == first
    assert response.version == 2
    assert response.sector == "public"


def test_double_submit_records_once(
    respondent: Client, instrument: Instrument, invited: Invited
) -> None:
    answer_everything(respondent, instrument)
    version = respondent.get("/survey/check-your-answers/").context["version"]
    first = respondent.post("/survey/check-your-answers/", {"version": version})
    invited.response.refresh_from_db()
    stamp = invited.response.submitted_at
    second = respondent.post("/survey/check-your-answers/", {"version": version})
    assert first.url == second.url == "/survey/confirmation/"
    invited.response.refresh_from_db()
    assert invited.response.submitted_at == stamp


def test_answers_are_read_only_after_submission(
    respondent: Client, instrument: Instrument, invited: Invited
) -> None:
    answer_everything(respondent, instrument)
    respondent.post("/survey/check-your-answers/", {})
    before = bytes(Response.objects.get().answers)
    # the back button, then posting the page again
    assert respondent.get("/survey/questions/citizens/").url == "/survey/confirmation/"
    got = respondent.post("/survey/questions/citizens/", page_data(instrument, "citizens", code=1))
    assert got.url == "/survey/confirmation/"
    assert bytes(Response.objects.get().answers) == before
    page = journey_page(instrument, "citizens")
    assert page is not None
    with pytest.raises(ResponseSubmittedError):
        response_save_page(
            response_id=invited.response.pk,
            page=page,
            page_input=PageInput(answers={"citizens_com_1": 1}),
            language="en",
        )


def test_incomplete_answers_cannot_be_submitted(respondent: Client, instrument: Instrument) -> None:
    respondent.post("/survey/questions/profile/", page_data(instrument, "profile"))
    got = respondent.post("/survey/check-your-answers/", {})
    assert got.status_code == 200
    html = got.content.decode()
    assert "Answer every question in this section" in html
    assert 'href="#section-citizens"' in html
    assert Response.objects.get().submitted_at is None


def test_changes_in_another_tab_stop_a_stale_submission(
    respondent: Client, instrument: Instrument, invited: Invited
) -> None:
    answer_everything(respondent, instrument)
    shown = respondent.get("/survey/check-your-answers/").context["version"]
    respondent.post("/survey/questions/markets/", page_data(instrument, "markets", code=1))
    got = respondent.post("/survey/check-your-answers/", {"version": shown})
    assert got.status_code == 409
    assert "changed in another window" in got.content.decode()
    assert Response.objects.get().submitted_at is None
    with pytest.raises(ResponseChangedError):
        response_submit(response_id=invited.response.pk, expected_version=shown)


def test_closed_wave_refuses_answers(
    respondent: Client, instrument: Instrument, wave: Wave
) -> None:
    from collabready.web.surveys.services.waves import wave_close

    assert wave_close(wave_id=wave.pk)
    assert not wave_close(wave_id=wave.pk)
    got = respondent.post("/survey/questions/profile/", page_data(instrument, "profile"))
    assert got.status_code == 403
    assert "This survey is closed" in got.content.decode()


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_submits_on_postgres_record_exactly_once(
    wave: Wave, instrument: Instrument
) -> None:
    invited = invite(wave, instrument, "race@example.org")
    client = Client()
    client.get(f"/r/{invited.token}/")
    answer_everything(client, instrument)
    barrier = threading.Barrier(4)
    outcomes: list[SubmitOutcome] = []
    errors: list[BaseException] = []

    def submit() -> None:
        try:
            barrier.wait()
            outcomes.append(response_submit(response_id=invited.response.pk, expected_version=None))
        except BaseException as exc:
            errors.append(exc)
        finally:
            close_old_connections()

    threads = [threading.Thread(target=submit) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert sorted(outcomes) == sorted(
        [SubmitOutcome.SUBMITTED] + [SubmitOutcome.ALREADY_SUBMITTED] * 3
    )
    response = Response.objects.get(pk=invited.response.pk)
    assert response.submitted_at is not None


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_page_saves_on_postgres_lose_nothing(wave: Wave, instrument: Instrument) -> None:
    invited = invite(wave, instrument, "tabs@example.org")
    pages = [p for p in journey_pages(instrument) if p.items]
    barrier = threading.Barrier(len(pages))
    errors: list[BaseException] = []

    def save(slug: str) -> None:
        try:
            page = journey_page(instrument, slug)
            assert page is not None
            barrier.wait()
            response_save_page(
                response_id=invited.response.pk,
                page=page,
                page_input=PageInput(answers={i.id: 2 for i in page.items}),
                language="en",
            )
        except BaseException as exc:
            errors.append(exc)
        finally:
            close_old_connections()

    threads = [threading.Thread(target=save, args=(p.slug,)) for p in pages]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    response = Response.objects.get(pk=invited.response.pk)
    assert bytes(response.answers) == bytes([2]) * len(instrument.item_ids)
    assert response.version == len(pages)
