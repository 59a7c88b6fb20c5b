"""The open link's save and return: a resume code by e-mail, entered on another device;
and the limits on e-mailing codes and on guessing them."""

from __future__ import annotations

import re
from datetime import timedelta

from django.core import mail
from django.test import Client, override_settings
from django.utils import timezone

from collabready.instrument import Instrument
from collabready.web.surveys.journey import journey_pages
from collabready.web.surveys.models import AccessThrottle, AccessToken, Response, Wave
from collabready.web.surveys.selectors.responses import response_state
from collabready.web.surveys.services.responses import response_create
from collabready.web.surveys.services.tokens import token_issue
from tests.web.conftest import page_data

CODE = re.compile(r"enter this resume code on the survey's start page:\n(\S+)\n")
LINK = re.compile(r"open this link:\nhttp://testserver(/r/\S+/)\n")


def _start_and_save(client: Client, wave: Wave, instrument: Instrument) -> int:
    """Start on the open link, answer the first page, answer the second and save it
    for later; the session's response id."""
    assert client.get(f"/w/{wave.slug}/").status_code == 200
    started = client.post(f"/w/{wave.slug}/")
    assert started.url == "/survey/"
    first, second = journey_pages(instrument)[:2]
    assert client.post(f"/survey/questions/{first.slug}/", page_data(instrument, first.slug))
    later = {**page_data(instrument, second.slug), "action": "later"}
    saved = client.post(f"/survey/questions/{second.slug}/", later)
    assert saved.url == "/survey/saved/"
    return int(client.session["collabready_response_id"])


def _resume_code(message: mail.EmailMessage) -> str:
    found = CODE.search(str(message.body))
    assert found is not None, message.body
    return found.group(1)


def test_open_link_save_email_and_resume_elsewhere(
    client: Client, wave: Wave, instrument: Instrument
) -> None:
    response_id = _start_and_save(client, wave, instrument)
    page = client.get("/survey/saved/").content.decode()
    assert "Email me a resume code" in page
    sent = client.post("/survey/saved/", {"email": "someone@example.org"})
    assert sent.status_code == 200
    assert "We have sent you an email with a resume code" in sent.content.decode()
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["someone@example.org"]
    code = _resume_code(message)
    # the address is not kept anywhere
    assert not Response.objects.filter(open_answers__icontains="someone@").exists()

    # another device: no session, so the survey is closed to it until the code is entered
    other = Client()
    assert other.get("/survey/").status_code == 403
    entered = other.post(f"/w/{wave.slug}/resume/", {"code": f"  {code} "})
    assert entered.status_code == 302
    assert entered.url == "/survey/"
    pages = journey_pages(instrument)
    start = other.get("/survey/")
    assert start.status_code == 200
    assert "Continue where you left off" in start.content.decode()
    assert start.context["continue_url"] == f"/survey/questions/{pages[2].slug}/"
    # both saved pages' answers are there, and the journey goes on from the third
    state = response_state(response_id=response_id)
    assert state.is_complete(pages[0])
    assert state.is_complete(pages[1])
    assert not state.is_complete(pages[2])
    carry_on = other.post(
        f"/survey/questions/{pages[2].slug}/", page_data(instrument, pages[2].slug)
    )
    assert carry_on.status_code == 302
    assert response_state(response_id=response_id).is_complete(pages[2])
    assert Response.objects.count() == 1

    # the e-mailed link opens the same response too
    link = LINK.search(str(message.body))
    assert link is not None
    third = Client()
    assert third.get(link.group(1)).url == "/survey/"
    assert third.session["collabready_response_id"] == response_id


def test_a_code_from_another_wave_is_refused(
    client: Client, wave: Wave, instrument: Instrument
) -> None:
    other_wave = Wave.objects.create(
        slug="other-wave",
        name="Other wave",
        instrument_key=instrument.key,
        opens_at=wave.opens_at,
        closes_at=wave.closes_at,
        privacy_notice="Elsewhere.",
        open_link_enabled=True,
    )
    elsewhere = response_create(wave=other_wave)
    code = token_issue(response=elsewhere, purpose=AccessToken.Purpose.RESUME)
    got = client.post(f"/w/{wave.slug}/resume/", {"code": code})
    assert got.status_code == 200
    html = got.content.decode()
    assert "There is a problem" in html
    assert "Enter the resume code exactly as it appears in your email" in html
    assert client.get("/survey/").status_code == 403  # no response opened
    # on its own wave's page the same code works
    assert client.post(f"/w/{other_wave.slug}/resume/", {"code": code}).url == "/survey/"


@override_settings(COLLABREADY_TOKEN_MAX_FAILURES=3)
def test_a_wrong_code_is_refused_and_guessing_is_limited(
    client: Client, wave: Wave, instrument: Instrument
) -> None:
    response = response_create(wave=wave)
    code = token_issue(response=response, purpose=AccessToken.Purpose.RESUME)
    guesser = Client(REMOTE_ADDR="192.0.2.10")
    for n in range(3):
        got = guesser.post(f"/w/{wave.slug}/resume/", {"code": f"wrong-code-{n}-" + "x" * 30})
        assert got.status_code == 200
        assert "Enter the resume code exactly as it appears in your email" in got.content.decode()
    wrong = "wrong-code-9-" + "x" * 30
    blocked = guesser.post(f"/w/{wave.slug}/resume/", {"code": wrong})
    assert blocked.status_code == 429
    assert "There have been too many attempts" in blocked.content.decode()
    welsh = guesser.post(f"/cy/w/{wave.slug}/resume/", {"code": wrong})
    assert "Bu gormod o ymdrechion" in welsh.content.decode()
    assert guesser.get("/survey/").status_code == 403
    # the right code always works, even from the guesser's address (a shared NAT)
    assert guesser.post(f"/w/{wave.slug}/resume/", {"code": code}).url == "/survey/"
    elsewhere = Client(REMOTE_ADDR="192.0.2.11")
    assert elsewhere.post(f"/w/{wave.slug}/resume/", {"code": code}).url == "/survey/"


@override_settings(COLLABREADY_RESUME_EMAILS_PER_RESPONSE=2)
def test_resume_emails_are_limited_per_response(
    client: Client, wave: Wave, instrument: Instrument
) -> None:
    response_id = _start_and_save(client, wave, instrument)
    for n in range(2):
        sent = client.post("/survey/saved/", {"email": f"person{n}@example.org"})
        assert sent.status_code == 200
    assert len(mail.outbox) == 2
    tokens = AccessToken.objects.filter(response_id=response_id).count()
    refused = client.post("/survey/saved/", {"email": "victim@example.org"})
    assert refused.status_code == 429
    html = refused.content.decode()
    assert "There is a problem" in html
    assert (
        "You have asked for too many resume codes. Wait 60 minutes and try again, "
        "or carry on answering now" in html
    )
    assert 'href="#email"' in html
    assert len(mail.outbox) == 2
    assert AccessToken.objects.filter(response_id=response_id).count() == tokens
    # in Welsh too
    welsh = client.post("/cy/survey/saved/", {"email": "victim@example.org"})
    assert welsh.status_code == 429
    assert "Rydych wedi gofyn am ormod o godau ailddechrau" in welsh.content.decode()
    # another connection does not help: the limit is on the response
    client.defaults["REMOTE_ADDR"] = "192.0.2.20"
    assert client.post("/survey/saved/", {"email": "victim@example.org"}).status_code == 429
    # once the window has passed, a code can be sent again
    AccessThrottle.objects.update(window_started_at=timezone.now() - timedelta(hours=2))
    assert client.post("/survey/saved/", {"email": "person@example.org"}).status_code == 200
    assert len(mail.outbox) == 3


@override_settings(COLLABREADY_RESUME_EMAILS_PER_ADDRESS=3)
def test_resume_emails_are_limited_per_address(wave: Wave, instrument: Instrument) -> None:
    for n in range(3):
        browser = Client(REMOTE_ADDR="192.0.2.30")
        _start_and_save(browser, wave, instrument)
        assert browser.post("/survey/saved/", {"email": f"p{n}@example.org"}).status_code == 200
    fourth = Client(REMOTE_ADDR="192.0.2.30")
    _start_and_save(fourth, wave, instrument)
    assert fourth.post("/survey/saved/", {"email": "p3@example.org"}).status_code == 429
    assert len(mail.outbox) == 3
    elsewhere = Client(REMOTE_ADDR="192.0.2.31")
    _start_and_save(elsewhere, wave, instrument)
    assert elsewhere.post("/survey/saved/", {"email": "p4@example.org"}).status_code == 200
    assert len(mail.outbox) == 4


def test_an_invalid_address_sends_nothing_and_counts_nothing(
    client: Client, wave: Wave, instrument: Instrument
) -> None:
    _start_and_save(client, wave, instrument)
    got = client.post("/survey/saved/", {"email": "not an address"})
    assert got.status_code == 200
    assert "Enter an email address in the correct format" in got.content.decode()
    assert mail.outbox == []
    assert not AccessThrottle.objects.exists()
