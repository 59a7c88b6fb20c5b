"""Shared set-up of the API tests: one user and token per role, two waves ("own": the
convenor's, "other": not), a submitted response and a job of each kind in each."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.contrib.auth.models import User
from django.test import Client
from django.utils import timezone

from collabready.instrument import Instrument
from collabready.web.access.services import api_token_create, convenor_link, role_set
from collabready.web.reports.models import ExportJob, ReportJob
from collabready.web.surveys.models import Response, Wave
from collabready.web.surveys.services.submissions import response_submit_complete

ROLES = ("admin", "researcher", "convenor", "nobody", "respondent")


def full_payload(
    instrument: Instrument, code: int | None = None, org: str = "Org A"
) -> dict[str, Any]:
    """A complete, valid response body for ``instrument``."""
    answers = {}
    for item in instrument.items:
        options = [o.code for o in instrument.scale(item.scale).options]
        answers[item.id] = code if code in options else options[-2]
    profile = {q.id: q.choices[0].value for q in instrument.profile}
    return {"answers": answers, "profile": profile, "open_answers": {}, "organisation_ref": org}


def make_wave(slug: str, instrument: Instrument) -> Wave:
    now = timezone.now()
    wave: Wave = Wave.objects.create(
        slug=slug,
        name=f"Wave {slug}",
        instrument_key=instrument.key,
        opens_at=now - timedelta(days=1),
        closes_at=now + timedelta(days=30),
        privacy_notice="We keep your answers safe.",
        open_link_enabled=True,
    )
    return wave


@dataclass
class World:
    tokens: dict[str, str]
    users: dict[str, User]
    waves: dict[str, Wave]
    responses: dict[str, Response]
    exports: dict[str, ExportJob]
    reports: dict[str, ReportJob]
    personal_link: str

    def client(self, role: str) -> Client:
        token = self.tokens.get(role)
        if token is None:
            return Client()
        return Client(HTTP_AUTHORIZATION=f"Bearer {token}")


def build_world(instrument: Instrument) -> World:
    from tests.web.conftest import invite

    waves = {"own": make_wave("own-wave", instrument), "other": make_wave("other-wave", instrument)}
    users: dict[str, User] = {}
    tokens: dict[str, str] = {}
    for role in ("admin", "researcher", "convenor", "nobody"):
        user = User.objects.create_user(username=f"{role}-user", password="x" * 12)
        if role == "admin":
            user.is_superuser = user.is_staff = True
            user.save()
        elif role != "nobody":
            role_set(user=user, role=role)
        users[role] = user
        tokens[role] = api_token_create(user=user, name=f"{role}-token").secret
    convenor_link(user=users["convenor"], wave_id=waves["own"].pk)
    responses = {
        key: response_submit_complete(wave=wave, **full_payload(instrument))
        for key, wave in waves.items()
    }
    exports = {
        key: ExportJob.objects.create(wave=wave, format="csv", status=ExportJob.Status.FAILED)
        for key, wave in waves.items()
    }
    reports = {
        key: ReportJob.objects.create(
            wave=wave, kind="national", format="html", status=ReportJob.Status.FAILED
        )
        for key, wave in waves.items()
    }
    invited = invite(waves["own"], instrument, "person@example.org")
    invited.invitation.name = "World Person"
    invited.invitation.save(update_fields=["name"])
    # a respondent holds a personal link, never an API token: presented as one, it is refused
    tokens["respondent"] = invited.token
    return World(tokens, users, waves, responses, exports, reports, invited.token)
