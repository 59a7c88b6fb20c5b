"""Hardening (issue 13, part 2): each test here fails on the code before it.

Hostile numbers, token guessing that must not lock out respondents, the
back-office sign-in lock, token expiry, no-store caching, signing out, the idle
timeout, and the styled 404/500/503 pages.
"""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from django.contrib.auth.models import User
from django.db import close_old_connections, connection
from django.test import Client, override_settings
from django.urls import path
from django.utils import timezone

from collabready.instrument import Instrument
from collabready.web.middleware import SEEN_KEY
from collabready.web.surveys.models import AccessThrottle, Response, Wave
from collabready.web.surveys.services.tokens import throttle_count
from collabready.web.urls import urlpatterns as site_urlpatterns
from tests.web.conftest import Invited, answer_everything, page_data

HOSTILE_NUMBERS = ["²", "٣", "4²", "1" * 5000, "-1", "4.0", "0x4", " 4 4 "]


# -- hostile numbers -------------------------------------------------------------------


@pytest.mark.parametrize("value", HOSTILE_NUMBERS)
def test_hostile_answer_codes_get_the_forms_own_error(
    respondent: Client, instrument: Instrument, value: str
) -> None:
    data = page_data(instrument, "citizens")
    first_item = next(k for k in data if k.startswith("cit"))
    data[first_item] = value
    got = respondent.post("/survey/questions/citizens/", data)
    assert got.status_code == 200
    html = got.content.decode()
    assert "govuk-error-summary" in html
    assert "Select an answer for statement 1" in html


@pytest.mark.parametrize("value", ["²", "1" * 5000, "٣"])
def test_hostile_profile_codes_get_the_forms_own_error(
    respondent: Client, instrument: Instrument, value: str
) -> None:
    data = page_data(instrument, "profile")
    question = next(iter(data))
    data[question] = value
    got = respondent.post("/survey/questions/profile/", data)
    assert got.status_code == 200
    assert "govuk-error-summary" in got.content.decode()


@pytest.mark.parametrize("value", ["²", "1" * 5000, "٣", "x"])
def test_hostile_check_page_version_shows_the_answers_again(
    respondent: Client, instrument: Instrument, invited: Invited, value: str
) -> None:
    answer_everything(respondent, instrument)
    got = respondent.post("/survey/check-your-answers/", {"version": value})
    assert got.status_code == 409
    assert "Check them again" in got.content.decode()
    invited.response.refresh_from_db()
    assert invited.response.submitted_at is None
    # the page shown holds the right version, and submitting it works
    version = got.context["version"]
    assert respondent.post("/survey/check-your-answers/", {"version": version}).status_code == 302


# -- token guessing --------------------------------------------------------------------


@override_settings(COLLABREADY_TOKEN_MAX_FAILURES=3)
def test_a_valid_token_works_even_after_guessing_from_the_same_address(
    client: Client, invited: Invited
) -> None:
    for n in range(3):
        assert client.get(f"/r/guess-number-{n}-xxxxxxxxxxxxxxxxxxxxxxxx/").status_code == 404
    # the guesser is refused from now on ...
    assert client.get("/r/guess-number-4-xxxxxxxxxxxxxxxxxxxxxxxx/").status_code == 429
    # ... but a respondent behind the same address, with a real link, gets in
    colleague = Client()
    assert colleague.get(f"/r/{invited.token}/").status_code == 302
    assert colleague.get("/survey/").status_code == 200


@override_settings(
    COLLABREADY_TOKEN_MAX_FAILURES=2, COLLABREADY_TRUSTED_PROXY_HEADER="X-Forwarded-For"
)
def test_behind_a_proxy_the_trusted_header_gives_the_client_address(db: None) -> None:
    # every request comes from the proxy's address; the header tells the clients apart
    guesser = Client(REMOTE_ADDR="10.0.0.1", HTTP_X_FORWARDED_FOR="203.0.113.9")
    other = Client(REMOTE_ADDR="10.0.0.1", HTTP_X_FORWARDED_FOR="198.51.100.7")
    bad = "/r/not-a-real-token-but-long-enough-to-look-up/"
    assert [guesser.get(bad).status_code for _ in range(3)] == [404, 404, 429]
    assert other.get(bad).status_code == 404
    # the client cannot forge its way out: only the entry the proxy added counts
    forged = Client(REMOTE_ADDR="10.0.0.1", HTTP_X_FORWARDED_FOR="1.2.3.4, 203.0.113.9")
    assert forged.get(bad).status_code == 429
    assert AccessThrottle.objects.filter(key="token:203.0.113.9").get().failures == 4


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
@override_settings(COLLABREADY_TOKEN_MAX_FAILURES=20)
def test_forty_parallel_guesses_cannot_overshoot_a_limit_of_twenty() -> None:
    """Real concurrency on PostgreSQL: 40 threads, each its own connection."""
    statuses: list[int] = []
    lock = threading.Lock()
    barrier = threading.Barrier(40)

    def guess(n: int) -> None:
        try:
            barrier.wait()
            got = Client().get(f"/r/parallel-guess-{n:03d}-xxxxxxxxxxxxxxxxxxxxx/")
            with lock:
                statuses.append(got.status_code)
        finally:
            close_old_connections()

    threads = [threading.Thread(target=guess, args=(n,)) for n in range(40)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(statuses) == [404] * 20 + [429] * 20
    assert AccessThrottle.objects.get(key="token:127.0.0.1").failures == 40


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_the_counter_gives_each_concurrent_caller_a_distinct_count() -> None:
    counts: list[int] = []
    lock = threading.Lock()
    barrier = threading.Barrier(16)

    def count() -> None:
        try:
            barrier.wait()
            got = throttle_count(key="parallel", window_seconds=600)
            with lock:
                counts.append(got)
        finally:
            connection.close()

    threads = [threading.Thread(target=count) for _ in range(16)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(counts) == list(range(1, 17))


def test_a_run_out_window_starts_again(db: None) -> None:
    assert throttle_count(key="k", window_seconds=600) == 1
    assert throttle_count(key="k", window_seconds=600) == 2
    AccessThrottle.objects.filter(key="k").update(
        window_started_at=timezone.now() - timedelta(seconds=601)
    )
    assert throttle_count(key="k", window_seconds=600) == 1


# -- token expiry ----------------------------------------------------------------------


@override_settings(COLLABREADY_TOKEN_GRACE_DAYS=30)
def test_tokens_expire_after_the_wave_closes_plus_the_grace_period(
    client: Client, wave: Wave, invited: Invited
) -> None:
    now = timezone.now()
    Wave.objects.filter(pk=wave.pk).update(
        opens_at=now - timedelta(days=60), closes_at=now - timedelta(days=29)
    )
    assert client.get(f"/r/{invited.token}/").status_code == 302  # within the grace period
    Wave.objects.filter(pk=wave.pk).update(closes_at=now - timedelta(days=31))
    expired = Client().get(f"/r/{invited.token}/")
    assert expired.status_code == 410
    assert "This link has expired" in expired.content.decode()
    # closing a wave early brings the expiry forward
    Wave.objects.filter(pk=wave.pk).update(
        closes_at=now + timedelta(days=30), closed_at=now - timedelta(days=31)
    )
    assert Client().get(f"/r/{invited.token}/").status_code == 410


def test_the_start_page_states_when_links_expire(respondent: Client, wave: Wave) -> None:
    html = respondent.get("/survey/").content.decode()
    expires = (wave.closes_at + timedelta(days=30)).astimezone(timezone.get_current_timezone())
    assert f"stop working on {expires.day} {expires:%B %Y}" in html
    open_start = Client().get(f"/w/{wave.slug}/").content.decode()
    assert "stop working on" in open_start
    welsh = respondent.get("/cy/survey/").content.decode()
    assert "stop working on" not in welsh  # translated


# -- caching, signing out, idle timeout -------------------------------------------------


def test_respondent_pages_and_the_back_office_are_never_stored(
    respondent: Client, instrument: Instrument
) -> None:
    for url in ["/survey/", "/survey/questions/citizens/", "/survey/check-your-answers/"]:
        got = respondent.get(url)
        assert got.status_code == 200, url
        assert "no-store" in got.headers["Cache-Control"], url
    saved = respondent.post("/survey/questions/profile/", page_data(instrument, "profile"))
    assert "no-store" in saved.headers["Cache-Control"]
    User.objects.create_user("staff", "s@example.org", "pw-for-tests", is_staff=True)
    staff = Client()
    assert "no-store" in staff.get("/backoffice/login/").headers["Cache-Control"]
    staff.login(username="staff", password="pw-for-tests")
    home = staff.get("/backoffice/")
    assert home.status_code == 200
    assert "no-store" in home.headers["Cache-Control"]


def test_a_respondent_can_sign_out(respondent: Client, invited: Invited) -> None:
    page = respondent.get("/survey/").content.decode()
    assert 'action="/survey/sign-out/"' in page
    assert "Sign out" in page
    # a GET (a link, a prefetch) signs no one out
    assert respondent.get("/survey/sign-out/").status_code == 200
    assert respondent.get("/survey/").status_code == 200
    got = respondent.post("/survey/sign-out/")
    assert got.status_code == 200
    assert "You have signed out" in got.content.decode()
    assert respondent.get("/survey/").status_code == 403
    # the personal link still brings them back
    assert respondent.get(f"/r/{invited.token}/").status_code == 302
    assert "Sign out" not in Client().get("/").content.decode()


@override_settings(COLLABREADY_SESSION_IDLE_MINUTES=30, SESSION_COOKIE_AGE=30 * 60)
def test_an_idle_session_ends(respondent: Client) -> None:
    assert respondent.get("/survey/").status_code == 200
    session = respondent.session
    assert 25 * 60 < session.get_expiry_age() <= 30 * 60
    session[SEEN_KEY] = int(timezone.now().timestamp()) - 31 * 60
    session.save()
    assert respondent.get("/survey/").status_code == 403


def test_an_active_session_is_kept(respondent: Client) -> None:
    session = respondent.session
    session[SEEN_KEY] = int(timezone.now().timestamp()) - 5 * 60
    session.save()
    assert respondent.get("/survey/").status_code == 200
    assert respondent.session[SEEN_KEY] > int(timezone.now().timestamp()) - 60


# -- back-office sign-in lock ------------------------------------------------------------


@override_settings(COLLABREADY_LOGIN_MAX_FAILURES=5)
def test_wrong_passwords_lock_the_account_even_for_the_right_one(db: None) -> None:
    User.objects.create_user("staff", "s@example.org", "right-password", is_staff=True)
    browser = Client()
    for _ in range(5):
        got = browser.post("/backoffice/login/", {"username": "staff", "password": "wrong"})
        assert got.status_code == 200
    locked = browser.post("/backoffice/login/", {"username": "staff", "password": "right-password"})
    assert locked.status_code == 200
    assert "too many failed sign-in attempts" in locked.content.decode()
    assert "_auth_user_id" not in browser.session
    # the admin's own sign-in form is locked too, from another address
    admin = Client(REMOTE_ADDR="10.9.9.9")
    got = admin.post("/admin/login/", {"username": "staff", "password": "right-password"})
    assert "_auth_user_id" not in admin.session
    assert got.status_code == 200
    # the lock lifts when the window runs out
    AccessThrottle.objects.filter(key__startswith="login:").update(
        window_started_at=timezone.now() - timedelta(hours=1)
    )
    ok = browser.post("/backoffice/login/", {"username": "staff", "password": "right-password"})
    assert ok.status_code == 302


@override_settings(COLLABREADY_LOGIN_MAX_FAILURES=5, COLLABREADY_LOGIN_MAX_FAILURES_PER_ADDRESS=8)
def test_one_address_trying_many_accounts_is_locked(db: None) -> None:
    User.objects.create_user("other", "o@example.org", "other-password", is_staff=True)
    browser = Client()
    for n in range(8):
        browser.post("/backoffice/login/", {"username": f"user{n}", "password": "x"})
    got = browser.post("/backoffice/login/", {"username": "other", "password": "other-password"})
    assert "too many failed sign-in attempts" in got.content.decode()
    assert Client(REMOTE_ADDR="10.1.1.1").login(username="other", password="other-password")


# -- error pages -------------------------------------------------------------------------


def test_404_is_styled_in_english_and_welsh(db: None) -> None:
    got = Client().get("/no-such-page/")
    assert got.status_code == 404
    html = got.content.decode()
    assert "Page not found" in html
    assert "build/app.css" in html
    welsh = Client().get("/cy/no-such-page/")
    assert welsh.status_code == 404
    text = welsh.content.decode()
    assert 'lang="cy"' in text
    assert "Page not found" not in text


def _boom(request: object) -> None:
    raise RuntimeError("a bug")


urlpatterns = [path("boom/", _boom), *site_urlpatterns]
handler500 = "collabready.web.views.server_error"


@override_settings(ROOT_URLCONF=__name__)
def test_500_is_styled(db: None) -> None:
    got = Client(raise_request_exception=False).get("/boom/")
    assert got.status_code == 500
    html = got.content.decode()
    assert "Sorry, there is a problem with the service" in html
    assert "build/app.css" in html
    assert "a bug" not in html


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_an_unreachable_database_gives_a_styled_503_then_a_retry_succeeds(
    instrument: Instrument,
) -> None:
    from tests.web.conftest import invite

    now = timezone.now()
    wave = Wave.objects.create(
        slug="w503",
        name="W",
        instrument_key=instrument.key,
        opens_at=now - timedelta(days=1),
        closes_at=now + timedelta(days=5),
        privacy_notice="p",
    )
    invited = invite(wave, instrument, "a@example.org")
    browser = Client(raise_request_exception=False)
    assert browser.get(f"/r/{invited.token}/").status_code == 302
    port = connection.settings_dict["PORT"]
    connection.close()
    connection.settings_dict["PORT"] = "1"  # nothing listens there: connecting fails
    try:
        for url in ["/survey/", "/cy/survey/", "/"]:
            got = browser.get(url)
            assert got.status_code == 503, url
            assert got.headers["Retry-After"] == "5"
            assert "no-store" in got.headers["Cache-Control"]
        assert "Sorry, the service is unavailable" in browser.get("/survey/").content.decode()
        health = browser.get("/healthz")
        assert health.status_code == 503
        assert health.json()["status"] == "unavailable"
        saved = browser.post("/survey/questions/profile/", page_data(instrument, "profile"))
        assert saved.status_code == 503
    finally:
        connection.close()
        connection.settings_dict["PORT"] = port
    # the retry succeeds, with the same session
    retried = browser.post("/survey/questions/profile/", page_data(instrument, "profile"))
    assert retried.status_code == 302
    assert Response.objects.get(pk=invited.response.pk).version == 1
    assert browser.get("/healthz").json() == {"status": "ok", "database": "ok"}
