"""Back-office exports: a background job with progress, staff only, every export audited.

Jobs run on the real background thread backend, so the tests that run one use a
transactional database (the worker thread sees the committed rows).
"""

from __future__ import annotations

import io
from datetime import timedelta
from functools import cache
from pathlib import Path

import polars as pl
import pyreadstat
import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import User
from django.db import transaction
from django.test import Client
from django.utils import timezone
from typer.testing import CliRunner

from collabready.cli import app
from collabready.instrument import Instrument, load_instrument
from collabready.synth import data_path, generate_wave
from collabready.web.audit.models import AuditEvent
from collabready.web.reports.backend import wait_for_tasks
from collabready.web.reports.exports import export_id_key
from collabready.web.reports.models import ExportJob, WaveMargins
from collabready.web.reports.services import margins_save
from collabready.web.surveys.models import Wave
from collabready.web.surveys.services.bulk import responses_bulk_load

#: Generous bound on waiting for a background job (never asserted as a speed).
JOB_WAIT_SECONDS = 600


@cache
def synthetic(n: int = 300, seed: int = 7) -> pl.DataFrame:
    return generate_wave(respondents=n, seed=seed, instrument=load_instrument()).responses


def make_wave(slug: str, *, margins: bool = True) -> Wave:
    cri = load_instrument()
    now = timezone.now()
    wave = Wave.objects.create(
        slug=slug,
        name=f"Export wave {slug}",
        instrument_key=cri.key,
        opens_at=now - timedelta(days=20),
        closes_at=now + timedelta(days=20),
        privacy_notice="Only totals are published.",
    )
    responses_bulk_load(wave=wave, responses=synthetic())
    if margins:
        path = data_path("margins.csv")
        margins_save(wave=wave, data=path.read_bytes(), filename=path.name)
    return wave


@pytest.fixture
def reports_dir(settings, tmp_path: Path) -> Path:  # type: ignore[no-untyped-def]
    settings.COLLABREADY_REPORTS_DIR = tmp_path / "reports"
    return tmp_path / "reports"


def staff_client() -> tuple[Client, User]:
    user = get_user_model().objects.create_user("analyst", "analyst@example.org", "pw-analyst-1")
    user.is_staff = True
    user.save()
    client = Client()
    client.force_login(user)
    return client, user


def start(client: Client, wave: Wave, **form: str) -> ExportJob:
    got = client.post(f"/backoffice/waves/{wave.pk}/exports/", form)
    assert got.status_code == 302, got.content[:3000]
    job_id = int(got.url.rstrip("/").rsplit("/", 1)[1])
    wait_for_tasks(timeout=JOB_WAIT_SECONDS)
    return ExportJob.objects.get(pk=job_id)


@pytest.mark.django_db(transaction=True)
def test_export_job_writes_a_labelled_file_and_is_audited(reports_dir: Path) -> None:
    wave = make_wave("export-sav")
    client, user = staff_client()
    page = client.get(f"/backoffice/waves/{wave.pk}/exports/")
    assert page.status_code == 200
    assert b"Export the microdata" in page.content
    job = start(
        client, wave, format="sav", scores="on", weights="on", open_answers="on", language="cy"
    )
    assert job.status == ExportJob.Status.SUCCEEDED, job.error
    assert (job.progress, job.step) == (100, "Finished")
    assert job.created_by == user
    submitted = int(synthetic().get_column("complete").sum())
    assert job.rows == submitted
    assert sorted(p.name for p in reports_dir.iterdir()) == [f"export-{job.pk}.sav"]
    created = AuditEvent.objects.get(action="export.create")
    assert created.actor == user
    assert created.object_type == "reports.exportjob"
    assert created.object_id == str(job.pk)
    assert created.detail == {
        "wave": "export-sav",
        "format": "sav",
        "options": ["--scores", "--weights", "--open-answers", "--language cy"],
    }
    assert abs(created.at - job.created_at) < timedelta(seconds=5)  # when

    page = client.get(f"/backoffice/exports/{job.pk}/").content.decode()
    assert "Your export is ready" in page
    assert 'http-equiv="refresh"' not in page
    download = client.get(f"/backoffice/exports/{job.pk}/download/")
    assert download.status_code == 200
    assert download["Cache-Control"] == "private, no-store"
    assert f'filename="export-sav-export-{job.pk}-' in download["Content-Disposition"]
    body = b"".join(download.streaming_content)
    saved = reports_dir / "back.sav"
    saved.write_bytes(body)
    df, meta = pyreadstat.read_sav(saved, user_missing=True)
    assert len(df) == submitted
    assert {"index", "weight", "open_improve"} <= set(df.columns)
    cri = load_instrument()
    assert meta.column_names_to_labels["cit_com_1"] == cri.item("cit_com_1").text.get("cy")
    assert AuditEvent.objects.filter(action="export.download", actor=user).count() == 1
    listing = client.get(f"/backoffice/waves/{wave.pk}/exports/").content.decode()
    assert f"/backoffice/exports/{job.pk}/" in listing


@pytest.mark.django_db(transaction=True)
def test_partial_parquet_export_and_stable_ids(reports_dir: Path) -> None:
    wave = make_wave("export-parquet", margins=False)
    client, _ = staff_client()
    first = start(client, wave, format="parquet", partial="on", language="en")
    second = start(client, wave, format="parquet", partial="on", language="en")
    assert first.status == second.status == ExportJob.Status.SUCCEEDED, first.error
    a = pl.read_parquet(reports_dir / first.file_name)
    b = pl.read_parquet(reports_dir / second.file_name)
    assert a.height == synthetic().height  # partial responses too
    assert a.get_column("complete").sum() == synthetic().get_column("complete").sum()
    # the same wave gives the same pseudonyms in every back-office export
    assert a.get_column("respondent_id").to_list() == b.get_column("respondent_id").to_list()
    assert len(export_id_key(wave=wave)) >= 16


@pytest.mark.django_db(transaction=True)
def test_a_failed_job_says_why_and_leaves_no_file(reports_dir: Path) -> None:
    wave = make_wave("export-fails")
    client, _ = staff_client()
    WaveMargins.objects.filter(wave=wave).delete()  # gone after the page was shown
    got = client.post(
        f"/backoffice/waves/{wave.pk}/exports/",
        {"format": "csv", "weights": "on", "language": "en"},
    )
    assert got.status_code == 400
    assert "has no margins uploaded" in got.content.decode()
    assert ExportJob.objects.count() == 0
    assert AuditEvent.objects.filter(action="export.create").count() == 0
    # a job whose margins disappear while it waits fails with the reason
    margins_save(wave=wave, data=data_path("margins.csv").read_bytes(), filename="m.csv")
    from collabready.web.reports.services import export_job_create

    with transaction.atomic():  # the job is enqueued on commit, after the deletion
        job = export_job_create(wave=wave, fmt="csv", weights=True)
        WaveMargins.objects.filter(wave=wave).delete()
    wait_for_tasks(timeout=JOB_WAIT_SECONDS)
    job.refresh_from_db()
    assert job.status == ExportJob.Status.FAILED
    assert "has no margins uploaded" in job.error
    assert not reports_dir.exists() or list(reports_dir.iterdir()) == []
    assert client.get(f"/backoffice/exports/{job.pk}/download/").status_code == 404


@pytest.mark.django_db
def test_exports_are_staff_only(client: Client) -> None:
    wave = Wave.objects.create(
        slug="w",
        name="W",
        instrument_key=load_instrument().key,
        opens_at=timezone.now(),
        closes_at=timezone.now() + timedelta(days=1),
        privacy_notice="x",
    )
    for url in (f"/backoffice/waves/{wave.pk}/exports/", "/backoffice/exports/1/download/"):
        got = client.get(url)
        assert got.status_code == 302
        assert "/backoffice/login/" in got["Location"]
    get_user_model().objects.create_user("someone", "s@example.org", "pw-someone-1")
    client.login(username="someone", password="pw-someone-1")
    got = client.post(f"/backoffice/waves/{wave.pk}/exports/", {"format": "csv", "language": "en"})
    assert got.status_code == 302
    assert ExportJob.objects.count() == 0


@pytest.mark.django_db
def test_cli_export_of_a_wave_is_audited(tmp_path: Path, instrument: Instrument) -> None:
    wave = make_wave("export-cli", margins=False)
    out = tmp_path / "w.csv"
    got = CliRunner().invoke(
        app,
        ["export", "--wave", wave.slug, "--format", "csv", "-o", str(out), "--partial"],
        env={"COLUMNS": "300"},
    )
    assert got.exit_code == 0, got.output
    event = AuditEvent.objects.get(action="export.create")
    assert event.actor_label.startswith("command line (")
    assert event.detail["options"] == ["--partial"]
    assert event.detail["rows"] == pl.read_csv(io.BytesIO(out.read_bytes())).height
