"""Imports of responses into a wave: one transaction, all or nothing, audited, then analysed."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from typer.testing import CliRunner

from collabready.cli import app
from collabready.formats.imports import ImportMappingError, ResponseImportError
from collabready.instrument import MISSING, Instrument
from collabready.web.audit.models import AuditEvent
from collabready.web.surveys.models import ImportBatch, Response, Wave
from collabready.web.surveys.selectors.responses import wave_responses
from collabready.web.surveys.services.imports import ImportOutcome, responses_import

MAPPING = """
organisation: Organisation
columns:
  Sector: sector
  Q1: citizens_com_1
  Q2: citizens_com_2
  Q3: citizens_cap_1
  Improve: open_improve
values:
  agree5:
    Strongly agre: 5
"""

GOOD = (
    "Organisation,Sector,Q1,Q2,Q3,Improve\n"
    "Council A,public,Strongly agree,Agree,Strongly agre,More time together\n"
    "Charity B,third,1,Don't know,3,\n"
)

BAD = (
    "Organisation,Sector,Q1,Q2,Q3,Improve\n"
    "Council A,public,Strongly agree,Agree,4,\n"
    "Charity B,government,Strongly agreee,Agree,4,\n"
    "Firm C,private,1,7,,\n"
)


def run_import(
    wave: Wave, data: str, *, dry_run: bool = False, mapping: str = MAPPING
) -> ImportOutcome:
    return responses_import(
        wave=wave,
        data=data.encode(),
        file_name="tool.csv",
        mapping_text=mapping,
        mapping_name="map.yaml",
        actor=None,
        actor_label="test",
        dry_run=dry_run,
    )


def _counts() -> tuple[int, int, int]:
    return Response.objects.count(), ImportBatch.objects.count(), AuditEvent.objects.count()


def test_import_writes_marked_submitted_responses_and_an_audit_record(
    wave: Wave, instrument: Instrument
) -> None:
    outcome = run_import(wave, GOOD)
    assert not outcome.dry_run
    batch = ImportBatch.objects.get()
    assert outcome.batch == batch
    assert batch.sha256 == hashlib.sha256(GOOD.encode()).hexdigest()
    assert batch.mapping_sha256 == hashlib.sha256(MAPPING.encode()).hexdigest()
    assert (batch.file_name, batch.response_count, batch.imported_by_label) == (
        "tool.csv",
        2,
        "test",
    )
    rows = list(Response.objects.filter(wave=wave).order_by("pk"))
    assert [r.import_batch_id for r in rows] == [batch.pk, batch.pk]
    assert all(r.submitted_at is not None for r in rows)
    assert [r.sector for r in rows] == ["public", "third"]
    assert [r.organisation_ref for r in rows] == ["Council A", "Charity B"]
    assert rows[0].open_answers == {"open_improve": "More time together"}
    assert bytes(rows[1].answers)[:3] == bytes([1, 8, 3])
    assert set(bytes(rows[1].answers)[3:]) == {MISSING}
    event = AuditEvent.objects.get(action="responses.import")
    assert event.object_id == str(batch.pk)
    assert event.detail == {
        "wave": "test-wave",
        "file": "tool.csv",
        "sha256": batch.sha256,
        "mapping": "map.yaml",
        "responses": 2,
    }


def test_imported_responses_are_loaded_for_analysis_like_any_other(
    wave: Wave, instrument: Instrument
) -> None:
    run_import(wave, GOOD)
    matrix = wave_responses(wave=wave)
    assert len(matrix) == 2
    col = list(instrument.item_ids).index("citizens_com_1")
    assert sorted(matrix.codes[:, col].tolist()) == [1, 5]
    assert matrix.verified.all()  # each names its organisation
    assert sorted(matrix.profile["sector"].tolist()) == ["public", "third"]


def test_a_bad_file_imports_nothing_and_names_every_problem(
    wave: Wave, instrument: Instrument
) -> None:
    before = _counts()
    with pytest.raises(ResponseImportError) as caught:
        run_import(wave, BAD)
    assert list(caught.value.problems)[:3] == [
        "row 3, column Sector: 'government' is not a value of profile question sector",
        "row 3, column Q1: 'Strongly agreee' is not a value of scale agree5",
        "row 4, column Q2: '7' is not a value of scale agree5",
    ]
    assert _counts() == before


def test_dry_run_changes_nothing_and_reports_what_would_be_imported(
    wave: Wave, instrument: Instrument
) -> None:
    before = _counts()
    outcome = run_import(wave, GOOD, dry_run=True)
    assert _counts() == before
    assert outcome.batch is None
    lines = outcome.summary()
    assert lines[0].startswith("Would import 2 responses from tool.csv (SHA-256 ")
    assert lines[0].endswith("for webtest@0.0.1 (dry run: nothing was written)")
    assert "2 of 2 responses name their organisation" in lines


def test_a_file_is_imported_once(wave: Wave, instrument: Instrument) -> None:
    run_import(wave, GOOD)
    before = _counts()
    with pytest.raises(ResponseImportError, match="was already imported into test-wave on"):
        run_import(wave, GOOD)
    with pytest.raises(ResponseImportError, match="was already imported"):
        run_import(wave, GOOD, dry_run=True)
    assert _counts() == before


def test_bad_mapping_imports_nothing(wave: Wave, instrument: Instrument) -> None:
    with pytest.raises(ImportMappingError, match=r"columns\.Q1: 'cit_com_1' is not an item"):
        run_import(wave, GOOD, mapping=MAPPING.replace("citizens_com_1", "cit_com_1"))
    assert _counts() == (0, 0, 0)


# -- the back office ------------------------------------------------------------------


@pytest.fixture
def staff(client: Client, db: None) -> Client:
    User.objects.create_user("staff", "staff@example.org", "pw-for-tests", is_staff=True)
    assert client.login(username="staff", password="pw-for-tests")
    return client


def _post(client: Client, wave: Wave, data: str, *, dry_run: bool) -> Any:
    form: dict[str, Any] = {
        "file": SimpleUploadedFile("tool.csv", data.encode(), content_type="text/csv"),
        "mapping": SimpleUploadedFile("map.yaml", MAPPING.encode(), content_type="text/yaml"),
    }
    if dry_run:
        form["dry_run"] = "on"
    return client.post(f"/backoffice/waves/{wave.pk}/import/", form)


def test_backoffice_import_is_staff_only(client: Client, wave: Wave) -> None:
    got = client.get(f"/backoffice/waves/{wave.pk}/import/")
    assert got.status_code == 302
    assert "/backoffice/login/" in got["Location"]
    User.objects.create_user("someone", "s@example.org", "pw-for-tests", is_staff=False)
    client.login(username="someone", password="pw-for-tests")
    got = _post(client, wave, GOOD, dry_run=False)
    assert got.status_code == 302
    assert Response.objects.count() == 0


def test_backoffice_dry_run_then_import(staff: Client, wave: Wave, instrument: Instrument) -> None:
    page = staff.get(f"/backoffice/waves/{wave.pk}/import/")
    assert page.status_code == 200
    assert b"Import responses into Test wave 2026" in page.content
    got = _post(staff, wave, GOOD, dry_run=True)
    assert got.status_code == 200
    assert b"Would import 2 responses from tool.csv" in got.content
    assert Response.objects.count() == 0
    got = _post(staff, wave, GOOD, dry_run=False)
    assert got.status_code == 302
    assert ImportBatch.objects.get().imported_by == User.objects.get(username="staff")
    assert AuditEvent.objects.get(action="responses.import").actor_label == "staff"
    assert Response.objects.filter(import_batch__isnull=False).count() == 2


def test_backoffice_lists_every_problem(staff: Client, wave: Wave, instrument: Instrument) -> None:
    got = _post(staff, wave, BAD, dry_run=False)
    assert got.status_code == 400
    text = got.content.decode()
    assert "Nothing was imported" in text
    assert (
        "tool.csv: row 3, column Q1: &#x27;Strongly agreee&#x27; is not a value of scale agree5"
        in text
    )
    assert "tool.csv: row 4, column Q2: &#x27;7&#x27; is not a value of scale agree5" in text
    assert Response.objects.count() == 0


# -- the command line -----------------------------------------------------------------


def test_cli_import(wave: Wave, instrument: Instrument, tmp_path: Path) -> None:
    folder = tmp_path
    (folder / "tool.csv").write_text(GOOD)
    (folder / "bad.csv").write_text(BAD)
    (folder / "map.yaml").write_text(MAPPING)
    runner = CliRunner()
    args = ["import", "--wave", "test-wave", "--mapping", str(folder / "map.yaml")]
    dry = runner.invoke(app, [*args, "--dry-run", str(folder / "tool.csv")], env={"COLUMNS": "300"})
    assert dry.exit_code == 0, dry.output
    assert dry.stdout.startswith("Would import 2 responses from tool.csv")
    assert Response.objects.count() == 0
    bad = runner.invoke(app, [*args, str(folder / "bad.csv")])
    assert isinstance(bad.exception, ResponseImportError)  # main() prints it, exit 2
    assert Response.objects.count() == 0
    done = runner.invoke(app, [*args, str(folder / "tool.csv")], env={"COLUMNS": "300"})
    assert done.exit_code == 0, done.output
    assert done.stdout.startswith("Imported 2 responses from tool.csv")
    assert ImportBatch.objects.get().imported_by_label.startswith("command line (")
