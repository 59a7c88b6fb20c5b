"""Fixtures for the web tests: a small bilingual instrument, an open wave, invitations.

Run on SQLite by default; set COLLABREADY_TEST_DATABASE_URL (scripts/test does
so for a second run) to run the same tests on PostgreSQL.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta

import pytest
from django.db import connection
from django.test import Client
from django.utils import timezone

from collabready.instrument import Instrument
from collabready.web.surveys.instruments import instrument_register
from collabready.web.surveys.journey import PageKind, journey_pages
from collabready.web.surveys.models import AccessToken, Invitation, Response, Wave
from collabready.web.surveys.services.responses import response_new
from collabready.web.surveys.services.tokens import token_issue
from tests.web.instrument import web_instrument


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    del config
    for item in items:
        if item.get_closest_marker("postgres") and not _on_postgres():
            item.add_marker(
                pytest.mark.skip(reason="needs COLLABREADY_TEST_DATABASE_URL=postgres://...")
            )


def _on_postgres() -> bool:
    import os

    return os.environ.get("COLLABREADY_TEST_DATABASE_URL", "").startswith("postgres")


@pytest.fixture(autouse=True)
def _no_task_outlives_its_test() -> Iterator[None]:
    """Background tasks a test started (a peer snapshot refresh after a submission, a
    report job) finish before the test's database is flushed: a refresh still holding
    its row lock would deadlock PostgreSQL's TRUNCATE."""
    from collabready.web.reports.backend import wait_for_tasks

    yield
    wait_for_tasks(timeout=120)


@pytest.fixture(autouse=True)
def _fresh_cache() -> None:
    """Cached peer scores must not leak between tests (ids repeat after a flush)."""
    from django.core.cache import cache

    cache.clear()


@pytest.fixture(scope="session")
def instrument() -> Instrument:
    built = web_instrument()
    instrument_register(built)
    return built


@pytest.fixture
def wave(db: None, instrument: Instrument) -> Wave:
    now = timezone.now()
    return Wave.objects.create(
        slug="test-wave",
        name="Test wave 2026",
        instrument_key=instrument.key,
        opens_at=now - timedelta(days=1),
        closes_at=now + timedelta(days=30),
        privacy_notice="We keep your answers safe.\nWe publish only totals.",
        open_link_enabled=True,
    )


@dataclass
class Invited:
    invitation: Invitation
    response: Response
    token: str


def invite(
    wave: Wave,
    instrument: Instrument,
    email: str,
    sector: str = "public",
    organisation: str = "Org",
) -> Invited:
    invitation = Invitation.objects.create(
        wave=wave, email=email, name="A Leader", organisation=organisation, sector=sector
    )
    response = response_new(wave=wave, instrument=instrument, invitation=invitation)
    response.save()
    token = token_issue(response=response, purpose=AccessToken.Purpose.INVITATION)
    return Invited(invitation, response, token)


@pytest.fixture
def invited(wave: Wave, instrument: Instrument) -> Invited:
    return invite(wave, instrument, "leader@example.org")


@pytest.fixture
def respondent(client: Client, invited: Invited) -> Client:
    """A browser session that has opened the invited person's personal link."""
    got = client.get(f"/r/{invited.token}/")
    assert got.status_code == 302
    return client


def page_data(instrument: Instrument, slug: str, code: int = 4) -> dict[str, str]:
    """A complete, valid answer to every question on a page."""
    page = next(p for p in journey_pages(instrument) if p.slug == slug)
    data: dict[str, str] = {}
    for q in page.questions:
        data[q.id] = str(q.choices[0].code)
    for item in page.items:
        data[item.id] = str(code)
    for oq in page.open_questions:
        data[oq.id] = "More time together."
    if page.kind is PageKind.OPEN:
        data.setdefault("action", "continue")
    return data


def answer_everything(client: Client, instrument: Instrument, code: int = 4) -> None:
    for page in journey_pages(instrument):
        got = client.post(f"/survey/questions/{page.slug}/", page_data(instrument, page.slug, code))
        assert got.status_code == 302, (page.slug, got.content[:2000])


def on_postgres() -> bool:
    return connection.vendor == "postgresql"
