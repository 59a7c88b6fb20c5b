"""The answer page's save path (issue 13, load): what a page save costs in statements,
which locks it takes, and the session engine it reads. Each test fails on the code
before this change: the save read the response three times and checked that it
existed with a fourth query, locked the wave row FOR UPDATE (so every save of a
wave waited for every other), and the session was read through the ORM."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from datetime import timedelta

import pytest
from django.conf import settings
from django.contrib.sessions.models import Session
from django.db import OperationalError, close_old_connections, connection, transaction
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from collabready.instrument import Instrument
from collabready.web.surveys.journey import journey_page
from collabready.web.surveys.models import Response, Wave
from collabready.web.surveys.pageforms import PageInput
from collabready.web.surveys.services.responses import _locked, response_save_page
from tests.web.conftest import Invited, invite, on_postgres, page_data

_TRANSACTION_CONTROL = ("SAVEPOINT", "RELEASE SAVEPOINT", "BEGIN", "COMMIT", "ROLLBACK")


def _statements(captured: CaptureQueriesContext) -> list[str]:
    """The SQL run, without transaction control (savepoints inside a test's transaction)."""
    return [
        q["sql"]
        for q in captured.captured_queries
        if not q["sql"].upper().startswith(_TRANSACTION_CONTROL)
    ]


def _kinds(statements: list[str]) -> list[str]:
    out = []
    for sql in statements:
        if "django_session" in sql:
            out.append("session")
        elif sql.startswith("UPDATE") and "surveys_response" in sql:
            out.append("update response")
        elif sql.startswith("SELECT") and "surveys_response" in sql:
            out.append("read response")
        else:
            out.append(sql[:80])
    return out


def test_a_page_save_reads_the_session_and_the_response_once_and_writes_once(
    respondent: Client, instrument: Instrument, invited: Invited
) -> None:
    respondent.get("/survey/questions/citizens/")  # the session's touch is done
    with CaptureQueriesContext(connection) as captured:
        got = respondent.post("/survey/questions/citizens/", page_data(instrument, "citizens"))
    assert got.status_code == 302
    assert got.url == "/survey/questions/profile/"  # the first page left, from the saved state
    statements = _statements(captured)
    assert _kinds(statements) == ["session", "read response", "update response"], statements
    if on_postgres():
        assert "FOR NO KEY UPDATE OF r FOR SHARE OF w" in statements[1]
    response = Response.objects.get(pk=invited.response.pk)
    assert response.version == 1
    assert response.last_page == "citizens"


def test_an_invalid_page_post_saves_the_valid_answers_and_reads_nothing_again(
    respondent: Client, instrument: Instrument
) -> None:
    respondent.get("/survey/questions/citizens/")
    data = page_data(instrument, "citizens", code=2)
    missing = next(k for k in data if k.startswith("cit"))
    del data[missing]
    with CaptureQueriesContext(connection) as captured:
        got = respondent.post("/survey/questions/citizens/", data)
    assert got.status_code == 200
    assert "There is a problem" in got.content.decode()
    assert _kinds(_statements(captured)) == ["session", "read response", "update response"]
    answers = bytes(Response.objects.get().answers)
    assert answers.count(2) == len(data)  # every answer given was kept


def test_a_question_page_get_reads_the_response_once(respondent: Client) -> None:
    respondent.get("/survey/")
    with CaptureQueriesContext(connection) as captured:
        assert respondent.get("/survey/questions/citizens/").status_code == 200
    assert _kinds(_statements(captured)) == ["session", "read response"]


def test_a_save_after_the_response_was_erased_asks_to_open_the_link_again(
    respondent: Client, instrument: Instrument, invited: Invited
) -> None:
    Response.objects.filter(pk=invited.response.pk).delete()
    for got in (
        respondent.post("/survey/questions/citizens/", page_data(instrument, "citizens")),
        respondent.get("/survey/questions/citizens/"),
        respondent.get("/survey/check-your-answers/"),
    ):
        assert got.status_code == 403
        assert "personal link" in got.content.decode()
    assert "collabready_response_id" not in respondent.session


def test_a_post_to_an_unknown_page_is_not_found_and_writes_nothing(
    respondent: Client, invited: Invited
) -> None:
    assert respondent.post("/survey/questions/no-such-page/", {}).status_code == 404
    assert Response.objects.get(pk=invited.response.pk).version == 0


def test_a_post_after_submission_says_so_and_changes_nothing(
    respondent: Client, instrument: Instrument, invited: Invited
) -> None:
    Response.objects.filter(pk=invited.response.pk).update(submitted_at=timezone.now())
    got = respondent.post(
        "/survey/questions/citizens/", page_data(instrument, "citizens"), follow=True
    )
    assert got.redirect_chain[0][0] == "/survey/confirmation/"
    assert "already submitted" in got.content.decode()
    assert Response.objects.get(pk=invited.response.pk).version == 0


# -- the session engine ----------------------------------------------------------------


def test_sessions_are_kept_on_the_server_and_read_without_the_orm(respondent: Client) -> None:
    assert settings.SESSION_ENGINE == "collabready.web.sessions"
    key = respondent.cookies[settings.SESSION_COOKIE_NAME].value
    stored = Session.objects.get(session_key=key)
    assert "collabready_response_id" in stored.get_decoded()
    # the cookie is the random key alone: no answers, no response id in it
    assert "collabready" not in key
    assert len(key) == 32


def test_an_expired_session_row_is_not_loaded(respondent: Client) -> None:
    key = respondent.cookies[settings.SESSION_COOKIE_NAME].value
    Session.objects.filter(session_key=key).update(
        expire_date=timezone.now() - timedelta(seconds=1)
    )
    assert respondent.get("/survey/").status_code == 403


def test_a_signed_out_session_cannot_be_replayed(respondent: Client) -> None:
    stolen = respondent.cookies[settings.SESSION_COOKIE_NAME].value
    assert respondent.post("/survey/sign-out/").status_code == 200
    replay = Client()
    replay.cookies[settings.SESSION_COOKIE_NAME] = stolen
    assert replay.get("/survey/").status_code == 403
    assert replay.get("/survey/questions/citizens/").status_code == 403


def test_a_forged_session_key_reaches_nothing(respondent: Client) -> None:
    forged = Client()
    forged.cookies[settings.SESSION_COOKIE_NAME] = "x" * 32
    assert forged.get("/survey/").status_code == 403


# -- the locks (PostgreSQL) ------------------------------------------------------------


@pytest.fixture
def holding_a_save(wave: Wave, instrument: Instrument) -> Iterator[tuple[Invited, Invited]]:
    """Two respondents of one wave; the first one's save holds its locks (in another
    thread) until the test ends."""
    first = invite(wave, instrument, "first@example.org")
    second = invite(wave, instrument, "second@example.org")
    locked, release = threading.Event(), threading.Event()
    errors: list[BaseException] = []

    def hold() -> None:
        try:
            with transaction.atomic():
                _locked(first.response.pk)
                locked.set()
                release.wait(timeout=60)
        except BaseException as exc:
            errors.append(exc)
            locked.set()
        finally:
            close_old_connections()

    thread = threading.Thread(target=hold)
    thread.start()
    assert locked.wait(timeout=30)
    try:
        yield first, second
    finally:
        release.set()
        thread.join(timeout=60)
    assert errors == []


def _within(milliseconds: int, work: Callable[[], object]) -> object:
    """``work()`` in a transaction that waits at most ``milliseconds`` for a lock."""
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute(f"SET LOCAL lock_timeout = '{milliseconds}ms'")
        return work()


def _save(response: Response, instrument: Instrument) -> int:
    page = journey_page(instrument, "citizens")
    assert page is not None
    return response_save_page(
        response_id=response.pk,
        page=page,
        page_input=PageInput(answers={i.id: 3 for i in page.items}),
        language="en",
    ).version


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_saves_of_one_wave_do_not_wait_for_each_other(
    holding_a_save: tuple[Invited, Invited], instrument: Instrument
) -> None:
    _, second = holding_a_save
    # generous: it must not wait at all, but the machine may be busy
    assert _within(5000, lambda: _save(second.response, instrument)) == 1


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_second_writer_of_the_same_response_waits_for_the_save(
    holding_a_save: tuple[Invited, Invited], instrument: Instrument
) -> None:
    first, _ = holding_a_save
    with pytest.raises(OperationalError, match="lock timeout"):
        _within(300, lambda: _save(first.response, instrument))


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_wave_change_waits_for_a_save_in_flight(
    holding_a_save: tuple[Invited, Invited], wave: Wave
) -> None:
    del holding_a_save
    with pytest.raises(OperationalError, match="lock timeout"):  # as wave_update, release
        _within(300, lambda: Wave.objects.select_for_update().get(pk=wave.pk))
    with pytest.raises(OperationalError, match="lock timeout"):  # as wave_close
        _within(300, lambda: Wave.objects.filter(pk=wave.pk).update(closed_at=timezone.now()))


def test_expired_sessions_are_cleared_by_clearsessions(respondent: Client) -> None:
    from django.core.management import call_command

    key = respondent.cookies[settings.SESSION_COOKIE_NAME].value
    Session.objects.filter(session_key=key).update(
        expire_date=timezone.now() - timedelta(seconds=1)
    )
    call_command("clearsessions")
    assert not Session.objects.filter(session_key=key).exists()


def test_templates_are_parsed_once_per_process() -> None:
    """Django's cached loader (the default without DEBUG and without explicit loaders):
    a page's templates are compiled on first use, not on every request."""
    from django.template import engines
    from django.template.loaders.cached import Loader

    engine = engines["django"].engine  # type: ignore[attr-defined]
    assert [type(loader) for loader in engine.template_loaders] == [Loader]
