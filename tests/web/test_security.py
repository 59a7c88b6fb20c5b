"""Access control, escaping, CSRF and the token rate limit."""

from __future__ import annotations

import pytest
from django.test import Client, override_settings

from collabready.instrument import Instrument
from collabready.web.surveys.models import AccessToken, Response, Wave
from collabready.web.surveys.services.tokens import token_hash
from tests.web.conftest import Invited, answer_everything, invite, page_data

SCRIPT = '<script>alert("x")</script><img src=x onerror=alert(1)>'


def test_tokens_are_long_and_stored_only_as_hashes(invited: Invited) -> None:
    assert len(invited.token) >= 43  # 32 random bytes, URL-safe base64
    stored = AccessToken.objects.get(response=invited.response)
    assert stored.token_hash == token_hash(invited.token)
    assert invited.token not in stored.token_hash
    assert not AccessToken.objects.filter(token_hash=invited.token).exists()


def test_one_token_reaches_only_its_own_response(wave: Wave, instrument: Instrument) -> None:
    alice = invite(wave, instrument, "alice@example.org")
    bob = invite(wave, instrument, "bob@example.org")
    client = Client()
    client.get(f"/r/{alice.token}/")
    client.post("/survey/questions/profile/", page_data(instrument, "profile"))
    # nothing in the pages names a response, so Alice's session can only write Alice's row
    alice.response.refresh_from_db()
    bob.response.refresh_from_db()
    assert alice.response.version == 1
    assert bob.response.version == 0
    # opening Bob's link switches the session to Bob, forgetting Alice
    client.get(f"/r/{bob.token}/")
    client.post("/survey/questions/citizens/", page_data(instrument, "citizens", code=1))
    alice.response.refresh_from_db()
    bob.response.refresh_from_db()
    assert alice.response.version == 1
    assert bob.response.version == 1
    # a forged session value is not a way in: sessions are server-side and signed
    stranger = Client()
    stranger.cookies["sessionid"] = "forged"
    assert stranger.get("/survey/").status_code == 403
    assert (
        stranger.post("/survey/questions/profile/", page_data(instrument, "profile")).status_code
        == 403
    )


def test_profile_needs_a_submitted_response(respondent: Client) -> None:
    assert respondent.get("/survey/profile/").url == "/survey/"
    assert Client().get("/survey/profile/").status_code == 403


def test_unknown_token_is_refused(client: Client, db: None) -> None:
    got = client.get("/r/not-a-real-token-but-long-enough-to-look-up/")
    assert got.status_code == 404
    assert "This link is not recognised" in got.content.decode()


@override_settings(COLLABREADY_TOKEN_MAX_FAILURES=3)
def test_token_guessing_is_rate_limited(client: Client, invited: Invited) -> None:
    for n in range(3):
        assert client.get(f"/r/guess-number-{n}-xxxxxxxxxxxxxxxxxxxxxxxx/").status_code == 404
    blocked = client.get("/r/guess-number-9-xxxxxxxxxxxxxxxxxxxxxxxx/")
    assert blocked.status_code == 429
    # a right token still works from this address (tests/web/test_hardening.py)
    assert client.get(f"/r/{invited.token}/").status_code == 302
    other_address = Client(REMOTE_ADDR="10.0.0.2")
    assert other_address.get("/r/guess-number-9-xxxxxxxxxxxxxxxxxxxxxxxx/").status_code == 404


def test_respondent_text_is_escaped_everywhere(
    respondent: Client, instrument: Instrument, invited: Invited
) -> None:
    answer_everything(respondent, instrument)
    respondent.post("/survey/questions/open/", {"open_improve": SCRIPT})
    html = respondent.get("/survey/check-your-answers/").content.decode()
    assert SCRIPT not in html
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in html
    # and an invalid page echoing posted text escapes it too
    data = page_data(instrument, "open")
    data["open_improve"] = SCRIPT * 100
    echoed = respondent.post("/survey/questions/open/", data).content.decode()
    assert "There is a problem" in echoed
    assert "<script>alert" not in echoed
    assert Response.objects.get().open_answers["open_improve"] == SCRIPT


def test_csrf_is_enforced(invited: Invited, instrument: Instrument) -> None:
    strict = Client(enforce_csrf_checks=True)
    strict.get(f"/r/{invited.token}/")
    got = strict.post("/survey/questions/profile/", page_data(instrument, "profile"))
    assert got.status_code == 403
    invited.response.refresh_from_db()
    assert invited.response.version == 0


def test_pages_send_security_headers(respondent: Client) -> None:
    got = respondent.get("/survey/")
    assert "script-src 'self'" in got["Content-Security-Policy"]
    assert got["X-Frame-Options"] == "DENY"


@pytest.mark.parametrize("path", ["/backoffice/", "/backoffice/waves/new/", "/admin/"])
def test_staff_pages_need_login(client: Client, db: None, path: str) -> None:
    got = client.get(path)
    assert got.status_code == 302
    assert "login" in got.url
