"""The authorisation matrix: every endpoint × every role × own and another's object.

The expected outcome of each cell is written out here by hand (not derived from the
policy module), so a change of the policy that lets a role do more fails this test.
Denials of objects answer 404 exactly like an object that does not exist (same body),
so a denial never tells whether the object exists; actions a role may not take on an
object it can see answer 403.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest

from collabready.instrument import Instrument
from collabready.web.audit.models import AuditEvent
from tests.web.api_support import ROLES, World, build_world, full_payload

MISSING_ID = 987_654_321

#: who may use each endpoint (on an object they can see)
STAFF = {"admin", "researcher", "convenor"}
MICRODATA = {"admin", "researcher"}
ADMIN = {"admin"}
#: figures: convenors only from the wave's release (the world's waves are open and have
#: none, so they are refused here; after a release, see ``test_convenor_after_release``)
FIGURES = {"admin", "researcher"}
#: convenors' figures and reports after the wave's release
RELEASED = [
    ("get", "/api/waves/{wave}/aggregates", None, "wave"),
    ("post", "/api/waves/{wave}/reports", lambda i: {"kind": "national", "format": "html"}, "wave"),
    ("get", "/api/reports/{report}", None, "report"),
    ("get", "/api/reports/{report}/download", None, "report"),
]


def _ids(world: World, which: str) -> dict[str, int]:
    return {
        "wave": world.waves[which].pk,
        "response": world.responses[which].pk,
        "export": world.exports[which].pk,
        "report": world.reports[which].pk,
    }


Body = Callable[[Instrument], dict[str, Any]] | None

#: (method, path with {wave}/{response}/{export}/{report}, body, who may, object kind)
ENDPOINTS: list[tuple[str, str, Body, set[str], str | None]] = [
    ("get", "/api/instruments", None, STAFF, None),
    ("get", "/api/instruments/webtest@0.0.1", None, STAFF, None),
    ("get", "/api/waves", None, STAFF, None),
    (
        "post",
        "/api/waves",
        lambda i: {
            "slug": "new-wave",
            "name": "New",
            "instrument_key": i.key,
            "opens_at": "2026-01-01T00:00:00Z",
            "closes_at": "2026-12-01T00:00:00Z",
            "privacy_notice": "We keep it safe.",
        },
        ADMIN,
        None,
    ),
    ("get", "/api/waves/{wave}", None, STAFF, "wave"),
    ("patch", "/api/waves/{wave}", lambda i: {"name": "Renamed"}, ADMIN, "wave"),
    ("post", "/api/waves/{wave}/close", None, ADMIN, "wave"),
    (
        "post",
        "/api/waves/{wave}/invitations",
        lambda i: {
            "invitations": [
                {"email": "new@example.org", "name": "N", "organisation": "O", "sector": "public"}
            ]
        },
        ADMIN,
        "wave",
    ),
    ("get", "/api/waves/{wave}/invitations", None, STAFF, "wave"),
    ("post", "/api/waves/{wave}/responses", full_payload, ADMIN, "wave"),
    ("get", "/api/waves/{wave}/responses", None, MICRODATA, "wave"),
    ("get", "/api/responses/{response}", None, MICRODATA, "response"),
    ("get", "/api/responses/{response}/scores", None, MICRODATA, "response"),
    ("get", "/api/waves/{wave}/aggregates", None, FIGURES, "wave"),
    ("post", "/api/waves/{wave}/exports", lambda i: {"format": "csv"}, MICRODATA, "wave"),
    ("get", "/api/exports/{export}", None, MICRODATA, "export"),
    ("get", "/api/exports/{export}/download", None, MICRODATA, "export"),
    (
        "post",
        "/api/waves/{wave}/reports",
        lambda i: {"kind": "national", "format": "html"},
        FIGURES,
        "wave",
    ),
    ("get", "/api/reports/{report}", None, STAFF, "report"),
    ("get", "/api/reports/{report}/download", None, STAFF, "report"),
    ("delete", "/api/responses/{response}", None, ADMIN, "response"),
    ("get", "/api/subject-access?email=person@example.org", None, ADMIN, None),
]


def _visible(role: str, which: str, kind: str | None = None, released: bool = False) -> bool:
    """Whether ``role`` can see the ``kind`` object of the ``which`` wave; for a
    convenor, reports exist only when made from the wave's release (``released``)."""
    if role in ("admin", "researcher"):
        return True
    if role == "convenor" and kind == "report" and not released:
        return False
    return role == "convenor" and which == "own"


def _call(world: World, role: str, method: str, path: str, body: dict[str, Any] | None) -> Any:
    client = world.client(role)
    kwargs: dict[str, Any] = {"HTTP_IDEMPOTENCY_KEY": f"key-{role}"}
    if body is not None:
        kwargs.update(data=json.dumps(body), content_type="application/json")
    return getattr(client, method)(path, **kwargs)


@pytest.mark.django_db
@pytest.mark.parametrize("which", ["own", "other"])
@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize(
    ("method", "template", "body", "allowed", "kind"),
    ENDPOINTS,
    ids=[f"{m.upper()} {p}" for m, p, *_ in ENDPOINTS],
)
def test_matrix(
    instrument: Instrument,
    role: str,
    which: str,
    method: str,
    template: str,
    body: Body,
    allowed: set[str],
    kind: str | None,
) -> None:
    world = build_world(instrument)
    path = template.format(**_ids(world, which))
    payload = body(instrument) if body is not None else None
    got = _call(world, role, method, path, payload)
    if role == "respondent":
        # a personal link is not an API token
        assert got.status_code == 401, got.content
        assert got["Content-Type"] == "application/problem+json"
        return
    if kind is not None and not _visible(role, which, kind):
        assert got.status_code == 404, got.content
        # the same answer as for an object that does not exist
        missing = template.format(**dict.fromkeys(_ids(world, which), MISSING_ID))
        absent = _call(world, role, method, missing, payload)
        assert absent.status_code == 404
        strip = lambda r: {k: v for k, v in r.json().items() if k != "instance"}  # noqa: E731
        assert strip(got) == strip(absent)
        return
    if role not in allowed:
        assert got.status_code == 403, got.content
        assert got["Content-Type"] == "application/problem+json"
        return
    # allowed: never a denial (a job without a file answers 409, a wave without
    # margins has no aggregates: 409; those are not denials)
    assert got.status_code in (200, 201, 202, 409), got.content
    if got.status_code == 409:
        assert "download" in path or "aggregates" in path, got.content


@pytest.mark.django_db
@pytest.mark.parametrize("which", ["own", "other"])
@pytest.mark.parametrize(
    ("method", "template", "body", "kind"),
    RELEASED,
    ids=[f"{m.upper()} {p}" for m, p, *_ in RELEASED],
)
def test_convenor_after_release(
    instrument: Instrument, which: str, method: str, template: str, body: Body, kind: str
) -> None:
    """Once the waves are closed (released) and the reports are made from the release,
    the convenor reads figures and reports of their own wave, and of no other."""
    from collabready.web.reports.models import ReportJob
    from collabready.web.surveys.services.waves import wave_close

    world = build_world(instrument)
    for wave in world.waves.values():
        assert wave_close(wave_id=wave.pk)
        wave.refresh_from_db()
        assert wave.released_at is not None
        ReportJob.objects.filter(wave=wave).update(release_cutoff=wave.released_at)
    path = template.format(**_ids(world, which))
    got = _call(world, "convenor", method, path, body(instrument) if body else None)
    if not _visible("convenor", which, kind, released=True):
        assert got.status_code == 404, got.content
        return
    assert got.status_code in (200, 202, 409), got.content
    if got.status_code == 409:
        assert "download" in path or "aggregates" in path, got.content


@pytest.mark.django_db
def test_each_token_use_is_audited(instrument: Instrument) -> None:
    world = build_world(instrument)
    before = AuditEvent.objects.filter(action="api_token.use").count()
    assert world.client("researcher").get("/api/waves").status_code == 200
    event = AuditEvent.objects.filter(action="api_token.use").first()
    assert AuditEvent.objects.filter(action="api_token.use").count() == before + 1
    assert event is not None
    assert event.actor == world.users["researcher"]
    assert event.actor_label.startswith("token:researcher-token:")
    assert event.detail == {"method": "GET", "path": "/api/waves"}


@pytest.mark.django_db
def test_personal_data_only_when_granted_and_audited(instrument: Instrument) -> None:
    from collabready.web.access.services import role_set

    world = build_world(instrument)
    path = f"/api/waves/{world.waves['own'].pk}/invitations"
    hidden = world.client("researcher").get(path).json()["items"][0]
    assert hidden["email"] is None
    assert hidden["name"] is None
    assert not AuditEvent.objects.filter(action="personal_data.view").exists()
    role_set(user=world.users["researcher"], role="researcher", personal_data=True)
    shown = world.client("researcher").get(path).json()["items"][0]
    assert shown["email"] == "person@example.org"
    viewed = AuditEvent.objects.get(action="personal_data.view")
    assert viewed.actor == world.users["researcher"]
    assert viewed.detail["count"] == 1
    change = AuditEvent.objects.filter(
        action="role.change", object_id=str(world.users["researcher"].pk)
    )
    assert change.first() is not None
    assert change.first().detail["personal_data"] is True
