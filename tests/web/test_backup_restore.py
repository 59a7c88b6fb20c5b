"""Backup and restore as docs/deployment.md says: ``pg_dump -Fc``, then ``pg_restore``
into an empty database, which then serves the same answers and accepts migrations."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import psycopg
import pytest
from django.db import connection
from django.test import Client

from collabready.instrument import Instrument
from collabready.web.surveys.models import Wave
from tests.web.conftest import answer_everything, invite

BIN = Path(sys.executable).parent
TABLES = ["surveys_wave", "surveys_invitation", "surveys_response", "surveys_accesstoken"]


def _url(name: str) -> str:
    s = connection.settings_dict
    return f"postgres://{s['USER']}@{s['HOST']}:{s['PORT']}/{name}"


def _snapshot(url: str) -> dict[str, list[tuple[object, ...]]]:
    with psycopg.connect(url) as conn:
        return {
            table: conn.execute(f"SELECT * FROM {table} ORDER BY id").fetchall() for table in TABLES
        }


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_pg_dump_then_pg_restore_gives_back_every_answer(
    tmp_path: Path, instrument: Instrument
) -> None:
    from datetime import timedelta

    from django.utils import timezone

    now = timezone.now()
    wave = Wave.objects.create(
        slug="backup",
        name="Backup wave",
        instrument_key=instrument.key,
        opens_at=now - timedelta(days=1),
        closes_at=now + timedelta(days=5),
        privacy_notice="p",
    )
    people = [invite(wave, instrument, f"p{n}@example.org") for n in range(3)]
    browser = Client()
    browser.get(f"/r/{people[0].token}/")
    answer_everything(browser, instrument, code=2)
    browser.post("/survey/check-your-answers/", {})

    source = connection.settings_dict["NAME"]
    target = f"{source}_restored"
    dump = tmp_path / "collabready.dump"
    subprocess.run(
        ["pg_dump", "--format=custom", f"--file={dump}", _url(source)], check=True, timeout=120
    )
    with psycopg.connect(_url("postgres"), autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{target}"')
        admin.execute(f'CREATE DATABASE "{target}"')
    try:
        subprocess.run(
            ["pg_restore", "--no-owner", "--exit-on-error", f"--dbname={_url(target)}", dump],
            check=True,
            timeout=120,
        )
        assert _snapshot(_url(target)) == _snapshot(_url(source))
        # the restored database is complete as far as Django is concerned: nothing to migrate
        check = subprocess.run(
            [BIN / "collabready-manage", "migrate", "--check", "--skip-checks"],
            env={
                "PATH": os.environ.get("PATH", ""),
                "DJANGO_SETTINGS_MODULE": "collabready.web.settings.test",
                "COLLABREADY_TEST_DATABASE_URL": _url(target),
            },
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        assert check.returncode == 0, check.stdout + check.stderr
    finally:
        with psycopg.connect(_url("postgres"), autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{target}" WITH (FORCE)')
