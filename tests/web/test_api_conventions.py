"""The API's conventions: idempotent submission, tokens (hashed, shown once, expiry,
revocation), rate limit with Retry-After, cursor pages, ETags, problem details."""

from __future__ import annotations

import io
import json
import threading
from datetime import timedelta
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.core.management import call_command
from django.db import connection
from django.test import Client
from django.utils import timezone

from collabready.instrument import Instrument
from collabready.web.access.models import ApiToken
from collabready.web.access.services import api_token_create, api_token_revoke
from collabready.web.api.common import DEFAULT_LIMIT, MAX_LIMIT
from collabready.web.api.models import IdempotentRequest
from collabready.web.audit.models import AuditEvent
from collabready.web.surveys.models import Response
from tests.web.api_support import World, build_world, full_payload

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(instrument: Instrument) -> World:
    return build_world(instrument)


def _submit(client: Client, wave_id: int, body: dict[str, Any], key: str | None) -> Any:
    headers = {"HTTP_IDEMPOTENCY_KEY": key} if key is not None else {}
    return client.post(
        f"/api/waves/{wave_id}/responses",
        data=json.dumps(body),
        content_type="application/json",
        **headers,
    )


# ---- idempotency -------------------------------------------------------------------------


def test_same_key_same_payload_is_stored_once(world: World, instrument: Instrument) -> None:
    wave = world.waves["own"]
    before = Response.objects.filter(wave=wave).count()
    body = full_payload(instrument, org="Org Z")
    first = _submit(world.client("admin"), wave.pk, body, "order-42")
    again = _submit(world.client("admin"), wave.pk, body, "order-42")
    assert first.status_code == again.status_code == 201
    assert first["Idempotent-Replayed"] == "false"
    assert again["Idempotent-Replayed"] == "true"
    assert first.json() == again.json()
    assert Response.objects.filter(wave=wave).count() == before + 1
    stored = Response.objects.get(pk=first.json()["id"])
    assert stored.submitted_at is not None
    assert stored.organisation_ref == "Org Z"


def test_same_key_other_payload_is_refused(world: World, instrument: Instrument) -> None:
    wave = world.waves["own"]
    before = Response.objects.filter(wave=wave).count()
    assert _submit(world.client("admin"), wave.pk, full_payload(instrument), "k").status_code == 201
    other = _submit(world.client("admin"), wave.pk, full_payload(instrument, code=1), "k")
    assert other.status_code == 422
    assert other["Content-Type"] == "application/problem+json"
    assert "different request" in other.json()["detail"]
    assert Response.objects.filter(wave=wave).count() == before + 1


def test_missing_key_is_refused_and_nothing_stored(world: World, instrument: Instrument) -> None:
    wave = world.waves["own"]
    before = Response.objects.count()
    got = _submit(world.client("admin"), wave.pk, full_payload(instrument), None)
    assert got.status_code == 400
    assert "Idempotency-Key" in got.json()["detail"]
    assert Response.objects.count() == before


def test_invalid_response_lists_every_problem_and_keeps_the_key_free(
    world: World, instrument: Instrument
) -> None:
    wave = world.waves["own"]
    body = full_payload(instrument)
    first_item = instrument.items[0].id
    body["answers"][first_item] = 77
    del body["answers"][instrument.items[1].id]
    body["profile"]["sector"] = "nowhere"
    body["answers"]["no_such_item"] = 1
    got = _submit(world.client("admin"), wave.pk, body, "retry-me")
    assert got.status_code == 422
    locs = {tuple(e["loc"]) for e in got.json()["errors"]}
    assert {
        ("body", "answers", first_item),
        ("body", "answers", instrument.items[1].id),
        ("body", "profile", "sector"),
        ("body", "answers", "no_such_item"),
    } <= locs
    assert not IdempotentRequest.objects.filter(key="retry-me").exists()
    fixed = _submit(world.client("admin"), wave.pk, full_payload(instrument), "retry-me")
    assert fixed.status_code == 201


def test_closed_wave_refuses_with_409(world: World, instrument: Instrument) -> None:
    wave = world.waves["own"]
    assert world.client("admin").post(f"/api/waves/{wave.pk}/close").status_code == 200
    got = _submit(world.client("admin"), wave.pk, full_payload(instrument), "late")
    assert got.status_code == 409


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_retries_with_one_key_store_one_response(instrument: Instrument) -> None:
    """Eight threads send the same submission with one key at once (PostgreSQL)."""
    world = build_world(instrument)
    wave = world.waves["own"]
    before = Response.objects.filter(wave=wave).count()
    body = full_payload(instrument, org="Racing Org")
    results: list[int] = []
    barrier = threading.Barrier(8)

    def send() -> None:
        try:
            barrier.wait()
            got = _submit(world.client("admin"), wave.pk, body, "same-key")
            results.append(got.status_code)
        finally:
            connection.close()

    threads = [threading.Thread(target=send) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert results == [201] * 8
    assert Response.objects.filter(wave=wave, organisation_ref="Racing Org").count() == 1
    assert Response.objects.filter(wave=wave).count() == before + 1


# ---- tokens ------------------------------------------------------------------------------


def test_tokens_are_hashed_and_shown_once_by_the_command(world: World) -> None:
    out = io.StringIO()
    call_command("api_token", "create", "--user", "researcher-user", "--name", "crm", stdout=out)
    secret = next(line for line in out.getvalue().splitlines() if line.startswith("crk_"))
    stored = ApiToken.objects.get(name="crm")
    assert secret not in {stored.token_hash, stored.prefix}
    assert not ApiToken.objects.filter(token_hash__contains=secret).exists()
    listed = io.StringIO()
    call_command("api_token", "list", stdout=listed)
    assert secret not in listed.getvalue()
    assert stored.prefix in listed.getvalue()
    client = Client(HTTP_AUTHORIZATION=f"Bearer {secret}")
    assert client.get("/api/waves").status_code == 200
    call_command("api_token", "revoke", str(stored.pk), stdout=io.StringIO())
    assert client.get("/api/waves").status_code == 401
    assert AuditEvent.objects.filter(action="api_token.revoke", object_id=str(stored.pk)).exists()
    assert AuditEvent.objects.filter(action="api_token.create", object_id=str(stored.pk)).exists()


def test_expired_and_revoked_tokens_are_refused(world: World) -> None:
    user = User.objects.get(username="admin-user")
    soon = api_token_create(user=user, name="soon", expires_at=timezone.now() + timedelta(hours=1))
    client = Client(HTTP_AUTHORIZATION=f"Bearer {soon.secret}")
    assert client.get("/api/waves").status_code == 200
    ApiToken.objects.filter(pk=soon.token.pk).update(expires_at=timezone.now() - timedelta(1))
    refused = client.get("/api/waves")
    assert refused.status_code == 401
    assert refused["WWW-Authenticate"].startswith("Bearer")
    other = api_token_create(user=user, name="other")
    assert api_token_revoke(token_id=other.token.pk)
    assert not api_token_revoke(token_id=other.token.pk)
    assert Client(HTTP_AUTHORIZATION=f"Bearer {other.secret}").get("/api/waves").status_code == 401


def test_rate_limit_answers_429_with_retry_after(world: World, settings: Any) -> None:
    settings.COLLABREADY_API_RATE = 3
    settings.COLLABREADY_API_RATE_WINDOW = 60
    client = world.client("researcher")
    codes = [client.get("/api/waves").status_code for _ in range(4)]
    assert codes == [200, 200, 200, 429]
    limited = client.get("/api/waves")
    assert limited["Content-Type"] == "application/problem+json"
    assert 1 <= int(limited["Retry-After"]) <= 60
    # other tokens have their own allowance
    assert world.client("admin").get("/api/waves").status_code == 200


# ---- pages, ETags, problems --------------------------------------------------------------


def test_cursor_pages_walk_every_response_once(world: World, instrument: Instrument) -> None:
    from collabready.web.surveys.services.submissions import response_submit_complete

    wave = world.waves["own"]
    for n in range(6):
        response_submit_complete(wave=wave, **full_payload(instrument, org=f"Org {n}"))
    expected = list(
        Response.objects.filter(wave=wave, submitted_at__isnull=False)
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    seen: list[int] = []
    cursor = ""
    client = world.client("researcher")
    while True:
        got = client.get(f"/api/waves/{wave.pk}/responses", {"limit": 2, "cursor": cursor})
        assert got.status_code == 200
        page = got.json()
        assert len(page["items"]) <= 2
        seen.extend(item["id"] for item in page["items"])
        if page["next_cursor"] is None:
            break
        cursor = page["next_cursor"]
    assert seen == expected
    assert len(expected) == 7


def test_page_size_default_and_maximum(world: World) -> None:
    client = world.client("researcher")
    wave_id = world.waves["own"].pk
    assert DEFAULT_LIMIT == 100
    assert MAX_LIMIT == 1000
    too_big = client.get(f"/api/waves/{wave_id}/responses", {"limit": MAX_LIMIT + 1})
    assert too_big.status_code == 422
    assert "1 to 1000" in too_big.json()["detail"]
    bad = client.get(f"/api/waves/{wave_id}/responses", {"cursor": "not-a-cursor"})
    assert bad.status_code == 422
    assert bad.json()["errors"][0]["loc"] == ["query", "cursor"]
    spec = Client().get("/api/openapi.json").json()
    assert "default 100, at most 1000" in spec["info"]["description"]


def test_etag_answers_304_until_the_data_change(world: World, instrument: Instrument) -> None:
    from collabready.web.surveys.services.submissions import response_submit_complete

    client = world.client("researcher")
    path = f"/api/waves/{world.waves['own'].pk}/responses"
    first = client.get(path)
    tag = first["ETag"]
    assert client.get(path, HTTP_IF_NONE_MATCH=tag).status_code == 304
    response_submit_complete(wave=world.waves["own"], **full_payload(instrument, org="New"))
    changed = client.get(path, HTTP_IF_NONE_MATCH=tag)
    assert changed.status_code == 200
    assert changed["ETag"] != tag


@pytest.mark.parametrize(
    ("method", "path", "status"),
    [
        ("get", "/api/no-such-thing", 404),
        ("delete", "/api/waves", 405),
        ("put", "/api/instruments", 405),
        ("get", "/api/waves/abc", 422),
        ("get", "/api/waves/0", 422),
    ],
)
def test_errors_are_problem_details_never_html(
    world: World, method: str, path: str, status: int
) -> None:
    got = getattr(world.client("admin"), method)(path)
    assert got.status_code == status
    assert got["Content-Type"] == "application/problem+json"
    body = got.json()
    assert body["status"] == status
    assert body["title"]
    assert body["detail"]
    assert b"<html" not in got.content.lower()
    assert b"Traceback" not in got.content


def test_unexpected_error_is_a_500_problem(world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    from collabready.web.api import routes_waves

    def broken() -> list[Any]:
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(routes_waves, "instruments_available", broken)
    got = world.client("admin").get("/api/instruments")
    assert got.status_code == 500
    assert got["Content-Type"] == "application/problem+json"
    assert "RuntimeError" in got.json()["detail"]
    assert "disk on fire" not in got.json()["detail"]


def test_malformed_json_is_a_problem(world: World) -> None:
    got = world.client("admin").post(
        f"/api/waves/{world.waves['own'].pk}/exports",
        data="{not json",
        content_type="application/json",
    )
    assert got.status_code in (400, 422)
    assert got["Content-Type"] == "application/problem+json"


def test_interactive_docs_and_schema_need_no_token_and_no_cdn() -> None:
    docs = Client().get("/api/docs")
    assert docs.status_code == 200
    html = docs.content.decode()
    assert "/static/ninja/swagger-ui-bundle.js" in html
    assert "cdn" not in html.lower()
    spec = Client().get("/api/openapi.json").json()
    assert spec["openapi"].startswith("3.")
    assert "/api/waves/{wave_id}/responses" in spec["paths"]
    assert spec["components"]["securitySchemes"]["TokenAuth"]["scheme"] == "bearer"


def test_nul_characters_are_refused_before_any_database(
    world: World, instrument: Instrument
) -> None:
    """PostgreSQL stores no NUL in text: a NUL must be a 422, never a 500."""
    wave = world.waves["own"]
    body = full_payload(instrument, org="Bad\x00Org")
    got = _submit(world.client("admin"), wave.pk, body, "nul-1")
    assert got.status_code == 422
    assert "NUL" in got.json()["detail"]
    key = _submit(world.client("admin"), wave.pk, full_payload(instrument), "bad\x00key")
    assert key.status_code == 400
    assert (
        world.client("admin").get("/api/subject-access", {"email": "a\x00@b.c"}).status_code == 422
    )


def test_a_waves_public_title_is_set_and_changed_through_the_api_like_the_back_office(
    world: World, instrument: Instrument
) -> None:
    admin = world.client("admin")
    opens = timezone.now() + timedelta(days=3)
    created = admin.post(
        "/api/waves",
        data={
            "slug": "api-titled",
            "name": "Internal W4",
            "public_title": "Collaboration in Wales 2026",
            "public_title_cy": "Cydweithio yng Nghymru 2026",
            "instrument_key": instrument.key,
            "opens_at": opens.isoformat(),
            "closes_at": (opens + timedelta(days=30)).isoformat(),
            "privacy_notice": "Totals only.",
        },
        content_type="application/json",
    )
    assert created.status_code == 201, created.content
    body = created.json()
    assert (body["public_title"], body["public_title_cy"]) == (
        "Collaboration in Wales 2026",
        "Cydweithio yng Nghymru 2026",
    )
    path = f"/api/waves/{body['id']}"
    changed = admin.patch(
        path, data={"public_title": "Working Together"}, content_type="application/json"
    )
    assert changed.status_code == 200, changed.content
    assert changed.json()["public_title"] == "Working Together"
    # once open, the public title stays as respondents met it
    opened = world.waves["own"]
    refused = admin.patch(
        f"/api/waves/{opened.pk}", data={"public_title": "Late"}, content_type="application/json"
    )
    assert refused.status_code == 422, refused.content
    assert "public title: cannot change once the wave has opened" in refused.json()["detail"]
