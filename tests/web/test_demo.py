"""The demo set-up: synthetic responses bulk-loaded, reusable, links that work."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from django.test import Client, override_settings
from django.utils import timezone

from collabready.web.demo import DEMO_EMAIL, TOKEN_FILE, demo_prepare
from collabready.web.surveys.models import AccessToken, Invitation, Response
from collabready.web.surveys.selectors.responses import wave_responses


def test_demo_prepare_is_idempotent_and_its_links_work(db: None, tmp_path: Path) -> None:
    with override_settings(DATA_DIR=tmp_path):
        first = demo_prepare(respondents=60, base_url="http://testserver")
        second = demo_prepare(respondents=60, base_url="http://testserver")
    assert first.loaded == 60
    assert second.loaded == 0
    assert second.password == first.password
    assert Response.objects.filter(synthetic=True).count() == 60
    assert 0 < first.submitted <= 60
    matrix = wave_responses(wave=first.wave)
    assert len(matrix) == first.submitted
    client = Client()
    assert client.get(second.personal_link.removeprefix("http://testserver")).url == "/survey/"
    assert client.get("/survey/").status_code == 200
    assert Client().get(second.open_link.removeprefix("http://testserver")).status_code == 200
    staff = Client()
    assert staff.login(username=second.username, password=second.password)
    assert staff.get("/backoffice/").status_code == 200


def test_demo_reruns_print_the_same_personal_link(db: None, tmp_path: Path) -> None:
    with override_settings(DATA_DIR=tmp_path):
        first = demo_prepare(respondents=20, base_url="http://testserver")
        second = demo_prepare(respondents=20, base_url="http://testserver")
    assert second.personal_link == first.personal_link
    stored = tmp_path / TOKEN_FILE
    assert stored.stat().st_mode & 0o777 == 0o600
    assert (tmp_path / "demo-staff-password").stat().st_mode & 0o777 == 0o600
    # one demo invitation, one personal link token, and the link opens its response
    demo = Invitation.objects.get(wave=first.wave, email=DEMO_EMAIL)
    assert Invitation.objects.filter(email__startswith="demo.leader").count() == 1
    assert AccessToken.objects.filter(response=demo.response).count() == 1
    path = second.personal_link.removeprefix("http://testserver")
    client = Client()
    assert client.get(path).url == "/survey/"
    assert client.session["collabready_response_id"] == demo.response.pk

    # once that response is submitted, the next run offers a new one to fill in
    Response.objects.filter(pk=demo.response.pk).update(submitted_at=timezone.now())
    with override_settings(DATA_DIR=tmp_path):
        third = demo_prepare(respondents=20, base_url="http://testserver")
        fourth = demo_prepare(respondents=20, base_url="http://testserver")
    assert third.personal_link != first.personal_link
    assert fourth.personal_link == third.personal_link
    fresh = Client()
    assert fresh.get(third.personal_link.removeprefix("http://testserver")).url == "/survey/"
    opened = Response.objects.get(pk=fresh.session["collabready_response_id"])
    assert opened.pk != demo.response.pk
    assert opened.submitted_at is None
    assert opened.invitation is not None
    assert opened.invitation.organisation == "Demo Borough Council"
    # the first link still opens the submitted response (its profile)
    assert Client().get(path).url == "/survey/profile/"

    # a lost token file: a new link to the same unsubmitted response, the old one revoked
    stored.unlink()
    with override_settings(DATA_DIR=tmp_path):
        fifth = demo_prepare(respondents=20, base_url="http://testserver")
    assert fifth.personal_link != third.personal_link
    assert Client().get(third.personal_link.removeprefix("http://testserver")).status_code == 404
    again = Client()
    assert again.get(fifth.personal_link.removeprefix("http://testserver")).url == "/survey/"
    assert again.session["collabready_response_id"] == opened.pk


@pytest.mark.slow
def test_demo_command_without_serving(tmp_path: Path) -> None:
    env = {"COLLABREADY_DATA_DIR": str(tmp_path), "PATH": "/usr/bin:/bin"}

    def demo() -> str:
        run = subprocess.run(
            [str(Path(sys.executable).with_name("collabready")), "demo", "--no-serve", "-n", "200"],
            capture_output=True,
            text=True,
            env=env,
            timeout=300,
            check=False,
        )
        assert run.returncode == 0, run.stderr
        assert "/backoffice/" in run.stdout
        links = [line for line in run.stdout.splitlines() if line.startswith("Personal link:")]
        assert len(links) == 1, run.stdout
        return links[0].split()[-1]

    first = demo()
    assert (tmp_path / "collabready.sqlite3").exists()
    assert demo() == first  # a second run prints the same personal link
