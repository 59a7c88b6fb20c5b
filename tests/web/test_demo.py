"""The demo set-up: synthetic responses bulk-loaded, reusable, links that work."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from django.test import Client, override_settings

from collabready.web.demo import demo_prepare
from collabready.web.surveys.models import Response
from collabready.web.surveys.selectors.responses import wave_matrix


def test_demo_prepare_is_idempotent_and_its_links_work(db: None, tmp_path: Path) -> None:
    with override_settings(DATA_DIR=tmp_path):
        first = demo_prepare(respondents=60, base_url="http://testserver")
        second = demo_prepare(respondents=60, base_url="http://testserver")
    assert first.loaded == 60
    assert second.loaded == 0
    assert second.password == first.password
    assert Response.objects.filter(synthetic=True).count() == 60
    assert 0 < first.submitted <= 60
    matrix = wave_matrix(wave=first.wave)
    assert len(matrix) == first.submitted
    client = Client()
    assert client.get(second.personal_link.removeprefix("http://testserver")).url == "/survey/"
    assert client.get("/survey/").status_code == 200
    assert Client().get(second.open_link.removeprefix("http://testserver")).status_code == 200
    staff = Client()
    assert staff.login(username=second.username, password=second.password)
    assert staff.get("/backoffice/").status_code == 200


@pytest.mark.slow
def test_demo_command_without_serving(tmp_path: Path) -> None:
    env = {"COLLABREADY_DATA_DIR": str(tmp_path), "PATH": "/usr/bin:/bin"}
    run = subprocess.run(
        [str(Path(sys.executable).with_name("collabready")), "demo", "--no-serve", "-n", "200"],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
        check=False,
    )
    assert run.returncode == 0, run.stderr
    assert "Personal link:" in run.stdout
    assert "/backoffice/" in run.stdout
    assert (tmp_path / "collabready.sqlite3").exists()
