"""Fuzzing: schemathesis generates requests from the API's own OpenAPI schema and sends
them to the real Django application (WSGI, the test database), as an admin, so every
operation is reached past authentication. Bounded: at most ``CASES_PER_OPERATION``
cases for each of the operations (a few hundred in all; about half a minute here).

Checks: no server error ever, and every error answer is problem details.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import status_code_conformance

from collabready.instrument import Instrument
from tests.web.api_support import build_world

CASES_PER_OPERATION = 25

schema = schemathesis.openapi.from_wsgi("/api/openapi.json", get_wsgi_application())


def errors_are_problems(ctx: Any, response: Any, case: Any) -> bool | None:
    if response.status_code >= 400:
        content_type = response.headers.get("Content-Type", response.headers.get("content-type"))
        value = content_type[0] if isinstance(content_type, list) else content_type
        assert value == "application/problem+json", (response.status_code, value)
        body = response.json()
        assert body["status"] == response.status_code, body
        assert body["detail"], body
    return None


@pytest.fixture
def admin_token(db: None, instrument: Instrument, settings: Any) -> Iterator[str]:
    """An admin's token. The WSGI handler would close the database connection after
    each request (the test's transaction with it, on PostgreSQL); Django's own test
    client keeps it open the same way, by leaving these two signals unconnected."""
    settings.COLLABREADY_API_RATE = 1_000_000
    world = build_world(instrument)
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        yield world.tokens["admin"]
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


@pytest.mark.slow
@schema.parametrize()
@settings(
    max_examples=CASES_PER_OPERATION,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
def test_api_fuzz(case: Any, admin_token: str) -> None:
    case.call_and_validate(
        headers={"Authorization": f"Bearer {admin_token}"},
        checks=[not_a_server_error, status_code_conformance, errors_are_problems],
    )
