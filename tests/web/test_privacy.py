"""Data protection: the privacy notice, erasure (by the respondent, by staff), the
retention purge and subject access.

"Nothing personal remains" is checked by reading every row of every table the
application has (all installed models) and looking for the person's e-mail
address, name, personal link (and its hash) and written answer.
"""

from __future__ import annotations

import hashlib
import io
import json
from collections.abc import Callable, Iterable
from datetime import timedelta
from typing import Any

import pytest
from django.apps import apps
from django.core.management import call_command
from django.test import Client
from django.utils import timezone

from collabready.instrument import Instrument
from collabready.web.audit.models import AuditEvent
from collabready.web.privacy.models import WavePrivacy
from collabready.web.reports.exports import export_job_run
from collabready.web.reports.models import ExportJob
from collabready.web.reports.services import export_job_file, margins_save
from collabready.web.surveys.models import Invitation, PeerSnapshot, Response, Wave
from collabready.web.surveys.selectors.responses import wave_responses
from collabready.web.surveys.services.peers import peer_snapshot_refresh
from collabready.web.surveys.services.submissions import response_submit_complete
from tests.web.api_support import World, build_world, full_payload
from tests.web.conftest import Invited, answer_everything, invite

pytestmark = pytest.mark.django_db

SECTORS = ("private", "public", "third")
MARGINS = (
    b"variable,level,population_total\nsector,private,400\nsector,public,300\nsector,third,300\n"
)
OPEN_TEXT = "More time together."


def _text(value: Any) -> str:
    if isinstance(value, bytes | memoryview):
        return bytes(value).hex()
    if isinstance(value, dict | list):
        return json.dumps(value, default=str)
    return str(value)


def found_anywhere(needles: Iterable[str]) -> list[str]:
    """Every table.column holding any of ``needles`` (case ignored)."""
    wanted = [n.lower() for n in needles if n]
    hits = []
    for model in apps.get_models():
        for row in model._default_manager.all().values():
            for column, value in row.items():
                text = _text(value).lower()
                hits.extend(f"{model._meta.label}.{column}: {n}" for n in wanted if n in text)
    return hits


def _populate(wave: Wave, instrument: Instrument, n: int = 12) -> None:
    for i in range(n):
        body = full_payload(instrument, code=(i % 4) + 1, org=f"Org {i}")
        body["profile"]["sector"] = SECTORS[i % 3]
        response_submit_complete(wave=wave, **body)
    margins_save(wave=wave, data=MARGINS, filename="margins.csv")


def _submit_through_the_web(client: Client, instrument: Instrument) -> None:
    answer_everything(client, instrument)
    version = client.get("/survey/check-your-answers/").context["version"]
    assert client.post("/survey/check-your-answers/", {"version": version}).status_code == 302


def _personal(invited: Invited) -> list[str]:
    return [
        invited.invitation.email,
        invited.invitation.name,
        invited.token,
        hashlib.sha256(invited.token.encode()).hexdigest(),
        OPEN_TEXT,
    ]


def _n_respondents(client: Client, wave: Wave) -> int:
    got = client.get(f"/api/waves/{wave.pk}/aggregates")
    assert got.status_code == 200, got.content
    return int(got.json()["n_respondents"])


def test_respondent_sees_and_erases_their_response_completely(
    instrument: Instrument,
    respondent: Client,
    invited: Invited,
    wave: Wave,
    django_capture_on_commit_callbacks: Callable[..., Any],
) -> None:
    _submit_through_the_web(respondent, instrument)
    _populate(wave, instrument)
    world = build_world(instrument)  # staff tokens (its own waves are not used here)
    admin = world.client("admin")
    before = _n_respondents(admin, wave)
    assert before == 13
    response_id = invited.response.pk
    assert Response.objects.get(pk=response_id).open_answers  # the written answer is held
    assert found_anywhere(_personal(invited))

    finished = ExportJob.objects.create(wave=wave, format="csv")
    export_job_run(finished.pk)
    finished.refresh_from_db()
    finished_file = export_job_file(finished)
    assert finished.rows == 13
    assert finished_file is not None
    queued = ExportJob.objects.create(wave=wave, format="csv")
    taken = peer_snapshot_refresh(wave_id=wave.pk, sector="public")
    assert taken.submitted >= 1

    # the respondent sees their own answers, then deletes them
    page = respondent.get("/survey/your-answers/")
    assert page.status_code == 200
    assert OPEN_TEXT in page.content.decode()
    refused = respondent.post("/survey/your-answers/delete/", {})
    assert refused.status_code == 400
    assert "Yes, delete my answers" in refused.content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        done = respondent.post("/survey/your-answers/delete/", {"confirm": "yes"})
    assert done.status_code == 200
    assert "Your answers have been deleted" in done.content.decode()

    assert found_anywhere(_personal(invited)) == []
    assert not Response.objects.filter(pk=response_id).exists()
    assert not Invitation.objects.filter(email=invited.invitation.email).exists()
    # aggregates and exports no longer include it
    assert _n_respondents(admin, wave) == before - 1
    assert len(wave_responses(wave=wave)) == before - 1
    for job in (finished, queued):
        job.refresh_from_db()
        assert job.status == ExportJob.Status.FAILED
        assert job.error.startswith("Withdrawn")
    assert not finished_file.exists()
    again = ExportJob.objects.create(wave=wave, format="csv")
    export_job_run(again.pk)
    again.refresh_from_db()
    assert again.rows == before - 1
    # the peer snapshot was retaken without it
    snapshot = PeerSnapshot.objects.get(wave=wave, sector="public")
    assert (
        snapshot.submitted
        == Response.objects.filter(wave=wave, sector="public", submitted_at__isnull=False)
        .exclude(organisation_ref="")
        .count()
    )
    # the audit log says what happened, and that published reports are not rewritten
    event = AuditEvent.objects.get(action="response.erase", object_id=str(response_id))
    assert event.detail["by"] == "respondent"
    assert event.detail["exports_withdrawn"] == 2
    assert "not rewritten" in event.detail["note"]
    # the link and the session no longer open anything
    assert respondent.get("/survey/your-answers/").status_code == 403
    assert Client().get(f"/r/{invited.token}/").status_code == 404


def test_staff_erase_an_api_submission_with_its_idempotency_record(
    instrument: Instrument,
) -> None:
    from collabready.web.api.models import IdempotentRequest

    world = build_world(instrument)
    wave = world.waves["own"]
    body = full_payload(instrument, org="Erase Me Ltd")
    body["open_answers"] = {"open_improve": "Our chief executive Jane Doe decides."}
    sent = world.client("admin").post(
        f"/api/waves/{wave.pk}/responses",
        data=json.dumps(body),
        content_type="application/json",
        HTTP_IDEMPOTENCY_KEY="crm-1",
    )
    assert sent.status_code == 201
    response_id = sent.json()["id"]
    assert IdempotentRequest.objects.filter(response_id=response_id).exists()
    assert found_anywhere(["Jane Doe", "Erase Me Ltd"])
    erased = world.client("admin").delete(
        f"/api/responses/{response_id}",
        data=json.dumps({"reason": "request 2026-17"}),
        content_type="application/json",
    )
    assert erased.status_code == 200, erased.content
    assert erased.json()["response_id"] == response_id
    assert found_anywhere(["Jane Doe", "Erase Me Ltd"]) == []
    assert not IdempotentRequest.objects.filter(key="crm-1").exists()
    event = AuditEvent.objects.get(action="response.erase", object_id=str(response_id))
    assert event.detail["by"] == "staff"
    assert event.actor == world.users["admin"]
    # gone: the same answer as for any id that does not exist
    assert world.client("admin").get(f"/api/responses/{response_id}").status_code == 404


def test_staff_erase_by_email_with_the_command(instrument: Instrument, wave: Wave) -> None:
    person = invite(wave, instrument, "asked@example.org")
    out = io.StringIO()
    call_command("erase", "--email", "Asked@Example.org", "--reason", "ticket 9", stdout=out)
    assert "Erased response" in out.getvalue()
    assert found_anywhere([person.invitation.email, person.token]) == []


def _closed_long_ago(wave: Wave, days: int) -> None:
    Wave.objects.filter(pk=wave.pk).update(
        opens_at=timezone.now() - timedelta(days=days + 30),
        closes_at=timezone.now() - timedelta(days=days),
    )


def test_purge_deletes_personal_data_after_retention_and_keeps_answers(
    instrument: Instrument,
    respondent: Client,
    invited: Invited,
    wave: Wave,
) -> None:
    _submit_through_the_web(respondent, instrument)
    other = invite(wave, instrument, "second@example.org", sector="third")
    WavePrivacy.objects.create(wave=wave, controller="Wales Co-operative Centre", retention_days=30)
    held = len(wave_responses(wave=wave))
    answers_before = bytes(Response.objects.get(pk=invited.response.pk).answers)

    # not yet due: nothing happens
    _closed_long_ago(wave, days=10)
    out = io.StringIO()
    call_command("purge", stdout=out)
    assert "Nothing to purge" in out.getvalue()

    _closed_long_ago(wave, days=31)
    dry = io.StringIO()
    call_command("purge", "--dry-run", stdout=dry)
    assert "Would purge wave test-wave" in dry.getvalue()
    assert "2 e-mail addresses and names" in dry.getvalue()
    assert found_anywhere(_personal(invited))  # a dry run changes nothing

    done = io.StringIO()
    call_command("purge", stdout=done)
    assert "Purged wave test-wave" in done.getvalue()
    assert found_anywhere([*_personal(invited), other.invitation.email, other.token]) == []
    # the anonymised answers stay and are still analysed
    assert len(wave_responses(wave=wave)) == held
    kept = Response.objects.get(pk=invited.response.pk)
    assert bytes(kept.answers) == answers_before
    assert kept.open_answers == {}
    assert Invitation.objects.get(pk=invited.invitation.pk).organisation == "Org"
    assert AuditEvent.objects.filter(action="wave.purge", object_id=str(wave.pk)).exists()
    assert WavePrivacy.objects.get(wave=wave).purged_at is not None
    again = io.StringIO()
    call_command("purge", stdout=again)
    assert "Nothing to purge" in again.getvalue()


def test_subject_access_lists_everything_held_about_one_address(
    instrument: Instrument, respondent: Client, invited: Invited, wave: Wave
) -> None:
    _submit_through_the_web(respondent, instrument)
    out = io.StringIO()
    call_command("subject_access", "LEADER@example.org", stdout=out)
    held = json.loads(out.getvalue())
    assert held["email"] == "leader@example.org"
    (entry,) = held["held"]
    assert entry["invitation"]["name"] == "A Leader"
    assert entry["response"]["open_answers"]["open_improve"] == OPEN_TEXT
    assert len(entry["response"]["answers"]) == len(instrument.item_ids)
    assert entry["links"]
    assert "token" not in json.dumps(entry["links"])
    assert invited.token not in out.getvalue()
    event = AuditEvent.objects.get(action="personal_data.subject_access")
    assert "leader@example.org" not in json.dumps(event.detail)


def test_subject_access_over_the_api_needs_personal_data(instrument: Instrument) -> None:
    world: World = build_world(instrument)
    path = "/api/subject-access?email=person@example.org"
    assert world.client("researcher").get(path).status_code == 403
    got = world.client("admin").get(path)
    assert got.status_code == 200
    assert got.json()["held"][0]["invitation"]["email"] == "person@example.org"


@pytest.mark.parametrize(
    ("language", "expected"),
    [
        (
            "en",
            (
                "Wales Co-operative Centre",
                "a task in the public interest",
                "30 days",
                "ico.org.uk",
                "Your rights",
            ),
        ),
        (
            "cy",
            (
                "Wales Co-operative Centre",
                "tasg er budd y cyhoedd",
                "30 diwrnod",
                "ico.org.uk",
                "Eich hawliau",
                "Hysbysiad Cymraeg",
            ),
        ),
    ],
)
def test_privacy_notice_at_the_start_in_both_languages(
    respondent: Client, wave: Wave, language: str, expected: tuple[str, ...]
) -> None:
    WavePrivacy.objects.create(
        wave=wave,
        controller="Wales Co-operative Centre",
        retention_days=30,
        notice_cy="Hysbysiad Cymraeg.",
    )
    prefix = "/cy" if language == "cy" else ""
    page = respondent.get(f"{prefix}/survey/").content.decode()
    for text in expected:
        assert text in page, text


def test_collabready_purge_command_runs_on_the_web_database(
    instrument: Instrument, invited: Invited, wave: Wave
) -> None:
    from typer.testing import CliRunner

    from collabready.cli import app

    _closed_long_ago(wave, days=400)
    runner = CliRunner()
    dry = runner.invoke(app, ["purge", "--dry-run"])
    assert dry.exit_code == 0, dry.output
    assert "Would purge wave test-wave" in dry.output
    assert Invitation.objects.filter(email=invited.invitation.email).exists()
    done = runner.invoke(app, ["purge"])
    assert done.exit_code == 0, done.output
    assert "Purged wave test-wave" in done.output
    assert found_anywhere([invited.invitation.email, invited.token]) == []


def test_staff_set_a_waves_data_protection_terms_in_the_back_office(
    respondent: Client, wave: Wave, instrument: Instrument
) -> None:
    """The data protection page stores the terms the start page then states (audited);
    every problem is listed and nothing is stored; a researcher may not change them;
    after a purge the terms are fixed."""
    from django.contrib.auth.models import User

    from collabready.web.access.models import Role
    from collabready.web.access.services import role_set

    admin = User.objects.create_superuser("dpo", password="x")
    staff = Client()
    staff.force_login(admin)
    url = f"/backoffice/waves/{wave.pk}/privacy/"
    assert staff.get(url).status_code == 200
    bad = staff.post(url, {"controller": " ", "lawful_basis": "whim", "retention_days": "-3"})
    assert bad.status_code == 400
    text = bad.content.decode()
    assert "Select a valid choice" in text  # the lawful basis
    assert "greater than or equal to 0" in text  # the retention
    assert not WavePrivacy.objects.filter(wave=wave).exists()
    good = {
        "controller": "Wales Co-operative Centre",
        "controller_contact": "dpo@example.org",
        "lawful_basis": "public_task",
        "retention_days": "90",
        "purge_open_answers": "on",
        "notice_cy": "Hysbysiad preifatrwydd.",
    }
    assert staff.post(url, good).status_code == 302
    terms = WavePrivacy.objects.get(wave=wave)
    assert (terms.controller, terms.retention_days, terms.purge_open_answers) == (
        "Wales Co-operative Centre",
        90,
        True,
    )
    assert AuditEvent.objects.filter(action="wave.privacy", object_id=str(wave.pk)).count() == 1
    start = respondent.get("/survey/").content.decode()
    assert "Wales Co-operative Centre" in start
    assert "Hysbysiad preifatrwydd." in respondent.get("/cy/survey/").content.decode()
    researcher = User.objects.create_user("reader", password="x", is_staff=True)
    role_set(user=researcher, role=Role.RESEARCHER, actor=admin)
    reader = Client()
    reader.force_login(researcher)
    assert reader.get(url).status_code == 403
    assert reader.post(url, good).status_code == 403
    WavePrivacy.objects.filter(wave=wave).update(purged_at=timezone.now())
    fixed = staff.post(url, {**good, "retention_days": "5"})
    assert fixed.status_code == 400
    assert "already been purged" in fixed.content.decode()
    assert WavePrivacy.objects.get(wave=wave).retention_days == 90
