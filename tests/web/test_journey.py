"""The respondent journey through the Django test client."""

from __future__ import annotations

from django.test import Client

from collabready.instrument import MISSING, Instrument
from collabready.web.surveys.journey import journey_pages
from collabready.web.surveys.models import Response
from tests.web.conftest import Invited, answer_everything, page_data


def test_start_page_shows_purpose_time_and_privacy(
    respondent: Client, instrument: Instrument
) -> None:
    page = respondent.get("/survey/")
    html = page.content.decode()
    assert page.status_code == 200
    assert "Test wave 2026" in html
    assert "15 minutes" in html
    assert "We keep your answers safe." in html
    assert "Start now" in html
    assert "GOV.UK" not in html
    assert "/survey/questions/profile/" in html


def test_pages_show_progress_and_back_links(respondent: Client, instrument: Instrument) -> None:
    pages = journey_pages(instrument)
    third = pages[2]
    html = respondent.get(f"/survey/questions/{third.slug}/").content.decode()
    assert f"Section 3 of {len(pages)}" in html
    assert f'href="/survey/questions/{pages[1].slug}/" class="govuk-back-link"' in html
    assert html.count("<fieldset") == len(third.items)


def test_whole_journey_submits_and_shows_profile(
    respondent: Client, instrument: Instrument, invited: Invited
) -> None:
    answer_everything(respondent, instrument)
    check = respondent.get("/survey/check-your-answers/")
    assert check.status_code == 200
    html = check.content.decode()
    assert "Check your answers before submitting" in html
    assert "?return=check#f-citizens_com_1" in html
    assert "More time together." in html
    done = respondent.post("/survey/check-your-answers/", {"version": check.context["version"]})
    assert done.status_code == 302
    assert done.url == "/survey/confirmation/"
    assert "Answers submitted" in respondent.get("/survey/confirmation/").content.decode()
    profile = respondent.get("/survey/profile/")
    assert profile.status_code == 200
    text = profile.content.decode()
    assert "Your readiness profile" in text
    assert "<svg" in text
    assert '<title id="chart-title">' in text
    assert "75" in text  # every statement "Agree" (4 of 5) scores 75
    invited.response.refresh_from_db()
    assert invited.response.submitted_at is not None


def test_missing_answers_show_error_summary_and_field_errors(
    respondent: Client, instrument: Instrument
) -> None:
    data = page_data(instrument, "citizens")
    del data["citizens_cap_2"]
    got = respondent.post("/survey/questions/citizens/", data)
    assert got.status_code == 200
    html = got.content.decode()
    assert "There is a problem" in html
    assert 'href="#f-citizens_cap_2"' in html
    assert 'id="citizens_cap_2-error"' in html
    assert "govuk-form-group--error" in html
    assert "<title>Error:" in html
    # the valid answers on the page were still saved
    response = Response.objects.get()
    first = instrument.item_ids.index("citizens_com_1")
    assert bytes(response.answers)[first] == 4
    assert bytes(response.answers)[instrument.item_ids.index("citizens_cap_2")] == MISSING


def test_invalid_codes_are_rejected(respondent: Client, instrument: Instrument) -> None:
    data = page_data(instrument, "citizens")
    data["citizens_com_1"] = "7"
    got = respondent.post("/survey/questions/citizens/", data)
    assert "There is a problem" in got.content.decode()
    assert Response.objects.get().answers[instrument.item_ids.index("citizens_com_1")] == MISSING


def test_change_link_returns_to_check_answers(respondent: Client, instrument: Instrument) -> None:
    answer_everything(respondent, instrument)
    data = page_data(instrument, "systems", code=2)
    data["return"] = "check"
    got = respondent.post("/survey/questions/systems/", data)
    assert got.url == "/survey/check-your-answers/"
    html = respondent.get("/survey/check-your-answers/").content.decode()
    assert "Disagree" in html


def test_welsh_pages_use_welsh_texts(respondent: Client, instrument: Instrument) -> None:
    html = respondent.get("/cy/survey/questions/citizens/").content.decode()
    assert 'lang="cy"' in html
    assert "Dinasyddion" in html
    assert "Rydym yn bwriadu" in html
    assert "Cytuno'n gryf" in html or "Cytuno&#x27;n gryf" in html
    assert "Adran 2 o 11" in html
    assert "Cadw a pharhau" in html
    assert 'href="/survey/questions/citizens/"' in html  # switch back to English
