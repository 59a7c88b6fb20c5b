"""Reports from the web database: staff report jobs, wave margins, ``report --wave``,
and a respondent's own profile PDF.

Waves here use the bundled CRI instrument and a few hundred synthetic responses
(bulk-loaded as the demo does), so reports have real content but stay quick.
Jobs run on the real background thread backend; tests that run one use a
transactional database so the worker thread sees the committed rows.
"""

from __future__ import annotations

import io
import re
import sys
from datetime import timedelta
from functools import cache
from pathlib import Path

import numpy as np
import polars as pl
import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from django.utils import timezone
from pypdf import PdfReader

from collabready.analysis.load import from_frame
from collabready.instrument import Instrument, load_instrument
from collabready.synth import data_path, generate_wave
from collabready.web.reports.backend import wait_for_tasks
from collabready.web.reports.models import ReportJob, WaveMargins
from collabready.web.reports.services import margins_save
from collabready.web.surveys.models import Wave
from collabready.web.surveys.selectors.responses import wave_responses
from collabready.web.surveys.services.bulk import responses_bulk_load
from tests.web.conftest import Invited, answer_everything, invite

#: Generous bound on waiting for a background job (never asserted as a speed).
JOB_WAIT_SECONDS = 600


@cache
def synthetic(n: int = 400, seed: int = 2026) -> pl.DataFrame:
    return generate_wave(respondents=n, seed=seed, instrument=load_instrument()).responses


@pytest.fixture(scope="session")
def cri() -> Instrument:
    return load_instrument()


def make_wave(cri: Instrument, slug: str, responses: pl.DataFrame | None) -> Wave:
    now = timezone.now()
    wave = Wave.objects.create(
        slug=slug,
        name=f"Reporting wave {slug}",
        instrument_key=cri.key,
        opens_at=now - timedelta(days=20),
        closes_at=now + timedelta(days=20),
        privacy_notice="Only totals are published.",
    )
    if responses is not None:
        responses_bulk_load(wave=wave, responses=responses)
    return wave


@pytest.fixture
def cri_wave(db: None, cri: Instrument) -> Wave:
    wave = make_wave(cri, "national-2026", synthetic())
    margins = data_path("margins.csv")
    margins_save(wave=wave, data=margins.read_bytes(), filename=margins.name)
    return wave


@pytest.fixture
def reports_dir(settings, tmp_path: Path) -> Path:
    settings.COLLABREADY_REPORTS_DIR = tmp_path / "reports"
    return tmp_path / "reports"


@pytest.fixture
def staff(db: None) -> Client:
    user = get_user_model().objects.create_user("analyst", "analyst@example.org", "pw-analyst-1")
    user.is_staff = True
    user.save()
    client = Client()
    client.force_login(user)
    return client


def run_job(staff: Client, wave: Wave, **form: str) -> ReportJob:
    """Ask for a report through the page, as staff do, and wait for the worker thread."""
    got = staff.post(f"/backoffice/waves/{wave.pk}/reports/", form)
    assert got.status_code == 302, got.content[:2000]
    job_id = int(got.url.rstrip("/").rsplit("/", 1)[1])
    assert got.url == f"/backoffice/reports/{job_id}/"
    wait_for_tasks(timeout=JOB_WAIT_SECONDS)
    return ReportJob.objects.get(pk=job_id)


# --- the data a report reads ------------------------------------------------------------


def test_the_wave_loader_matches_the_synthetic_file(cri_wave: Wave, cri: Instrument) -> None:
    """The database path loads the same matrix as the --data file path (submitted rows)."""
    source = synthetic().filter(pl.col("complete"))
    loaded = wave_responses(wave=cri_wave)
    expected = from_frame(source, cri)
    assert len(loaded) == len(expected) == source.height
    assert loaded.codes.flags.f_contiguous
    np.testing.assert_array_equal(loaded.codes, expected.codes)
    for column in ("sector", "subsector", "role", "size", "region"):
        assert loaded.profile[column].tolist() == expected.profile[column].tolist(), column
    assert loaded.verified.all()
    # organisations keep their clusters: same synthetic organisation, same number
    pairs = set(zip(expected.organisation.tolist(), loaded.organisation.tolist(), strict=True))
    assert len(pairs) == source["organisation_id"].n_unique()


# --- access -----------------------------------------------------------------------------


def test_report_pages_are_for_staff_only(
    cri_wave: Wave, cri: Instrument, client: Client, reports_dir: Path
) -> None:
    job = ReportJob.objects.create(wave=cri_wave, kind="national", format="pdf")
    urls = [
        f"/backoffice/waves/{cri_wave.pk}/reports/",
        f"/backoffice/reports/{job.pk}/",
        f"/backoffice/reports/{job.pk}/download/",
        f"/backoffice/reports/{job.pk}/view/",
    ]
    for url in urls:
        got = client.get(url)
        assert got.status_code == 302, url
        assert got.url.startswith("/backoffice/login/"), url
    got = client.post(f"/backoffice/waves/{cri_wave.pk}/reports/", {"kind": "national"})
    assert got.status_code == 302
    assert got.url.startswith("/backoffice/login/")
    # a respondent with a personal link is not staff
    invited = invite(cri_wave, cri, "someone@example.org")
    assert client.get(f"/r/{invited.token}/").status_code == 302
    for url in urls:
        got = client.get(url)
        assert got.status_code == 302, url
        assert got.url.startswith("/backoffice/login/"), url
    # nor is a signed-in account without staff status
    get_user_model().objects.create_user("plain", "plain@example.org", "pw-plain-1")
    other = Client()
    other.login(username="plain", password="pw-plain-1")
    assert other.get(urls[2]).status_code == 302
    assert ReportJob.objects.count() == 1


def test_margins_upload_checks_the_file_against_the_wave(staff: Client, cri_wave: Wave) -> None:
    url = f"/backoffice/waves/{cri_wave.pk}/margins/"
    bad = io.BytesIO(b"variable,level,population_total\ncolour,blue,10\n")
    bad.name = "pop.csv"
    got = staff.post(url, {"file": bad})
    assert got.status_code == 400
    assert "pop.csv: variable &#x27;colour&#x27; is not a profile question" in got.content.decode()
    bad = io.BytesIO(b"variable,level,population_total\nsector,public,-5\n")
    bad.name = "neg.csv"
    got = staff.post(url, {"file": bad})
    assert got.status_code == 400
    assert "neg.csv: row 2" in got.content.decode()
    assert WaveMargins.objects.get(wave=cri_wave).filename == "margins.csv"  # unchanged
    good = io.BytesIO(b"variable,level,population_total\nsector,public,1\nsector,private,2\n")
    good.name = "sectors.csv"
    got = staff.post(url, {"file": good})
    assert got.status_code == 302
    stored = WaveMargins.objects.get(wave=cri_wave)
    assert stored.filename == "sectors.csv"
    assert "sector,private,2" in stored.content


def test_report_form_needs_a_sector_for_a_briefing(staff: Client, cri_wave: Wave) -> None:
    got = staff.post(
        f"/backoffice/waves/{cri_wave.pk}/reports/", {"kind": "sector", "format": "pdf"}
    )
    assert got.status_code == 400
    assert "Choose the sector to brief on" in got.content.decode()
    assert not ReportJob.objects.exists()


# --- jobs -------------------------------------------------------------------------------


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_national_report_job_produces_a_pdf(cri: Instrument, reports_dir: Path) -> None:
    wave = make_wave(cri, "national-job", synthetic())
    margins = data_path("margins.csv")
    margins_save(wave=wave, data=margins.read_bytes(), filename=margins.name)
    staff = Client()
    user = get_user_model().objects.create_user("analyst", "a@example.org", "pw-analyst-1")
    user.is_staff = True
    user.save()
    staff.force_login(user)

    job = run_job(staff, wave, kind="national", format="pdf")
    assert job.status == ReportJob.Status.SUCCEEDED, job.error
    assert job.progress == 100
    assert job.started_at is not None
    assert job.finished_at is not None
    assert job.created_by == user
    assert job.title == "The State of Collaboration"
    # the file is in the reports directory, whole, with nothing half-written beside it
    files = sorted(p.name for p in reports_dir.iterdir())
    assert files == [f"report-{job.pk}.pdf"]

    page = staff.get(f"/backoffice/reports/{job.pk}/").content.decode()
    assert "Your report is ready" in page
    assert 'http-equiv="refresh"' not in page  # finished: no more refreshing
    download = staff.get(f"/backoffice/reports/{job.pk}/download/")
    assert download.status_code == 200
    assert download["Content-Type"] == "application/pdf"
    assert 'filename="national-job-national-report-' in download["Content-Disposition"]
    pdf = b"".join(download.streaming_content)
    assert pdf.startswith(b"%PDF")
    text = "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)
    assert "The State of Collaboration" in text
    assert "Figure 1." in text
    assert wave.name in text  # the wave's name on the title page and in the stamp
    assert "weighted by raking" in text  # the wave's margins were used
    # the wave page lists it with a download link
    listing = staff.get(f"/backoffice/waves/{wave.pk}/reports/").content.decode()
    assert f"/backoffice/reports/{job.pk}/download/" in listing
    # an HTML job of a PDF report cannot be "viewed"
    assert staff.get(f"/backoffice/reports/{job.pk}/view/").status_code == 404


@pytest.mark.django_db(transaction=True)
def test_job_page_shows_progress_and_refreshes_while_running(
    cri: Instrument, reports_dir: Path
) -> None:
    wave = make_wave(cri, "queued", None)
    job = ReportJob.objects.create(
        wave=wave, kind="national", format="pdf", status="running", step="Estimating", progress=35
    )
    staff = Client()
    user = get_user_model().objects.create_user("analyst", "a@example.org", "pw-analyst-1")
    user.is_staff = True
    user.save()
    staff.force_login(user)
    html = staff.get(f"/backoffice/reports/{job.pk}/").content.decode()
    assert '<meta http-equiv="refresh" content="2">' in html
    assert "Running</strong>: Estimating (35% done)" in html
    assert '<progress class="app-progress" max="100" value="35"' in html
    assert f'href="/backoffice/reports/{job.pk}/"' in html  # refresh link without JavaScript
    assert staff.get(f"/backoffice/reports/{job.pk}/download/").status_code == 404


@pytest.mark.django_db(transaction=True)
def test_failing_jobs_record_a_clear_error(cri: Instrument, reports_dir: Path) -> None:
    few_third = synthetic().filter(pl.col("complete"))
    third = few_third.filter(pl.col("sector") == "third").head(2)
    few_third = pl.concat([few_third.filter(pl.col("sector") != "third"), third])
    wave = make_wave(cri, "few-third", few_third)
    empty = make_wave(cri, "empty", None)
    staff = Client()
    user = get_user_model().objects.create_user("analyst", "a@example.org", "pw-analyst-1")
    user.is_staff = True
    user.save()
    staff.force_login(user)

    job = run_job(staff, wave, kind="sector", sector="third", format="pdf")
    assert job.status == ReportJob.Status.FAILED
    assert job.error == (
        "sector 'third': 2 respondents in the sector and "
        f"{few_third.height - 2} outside it; a briefing needs at least 5 in each "
        "(disclosure control)"
    )
    html = staff.get(f"/backoffice/reports/{job.pk}/").content.decode()
    assert "The report could not be generated" in html
    assert "2 respondents in the sector" in html
    assert 'http-equiv="refresh"' not in html

    job = run_job(staff, empty, kind="national", format="html")
    assert job.status == ReportJob.Status.FAILED
    assert job.error == "wave empty: no submitted responses to report on yet"
    assert not reports_dir.exists() or not any(reports_dir.iterdir())


# --- the command line -------------------------------------------------------------------


def run_cli(*args: str, capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    from collabready.cli import main

    argv = sys.argv
    sys.argv = ["collabready", *args]
    try:
        main()
        code = 0
    except SystemExit as exc:
        code = int(exc.code or 0)
    finally:
        sys.argv = argv
    out, err = capsys.readouterr()
    return code, out, err


@pytest.mark.slow
def test_report_wave_option_reads_the_database(
    cri_wave: Wave, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "national.html"
    code, stdout, err = run_cli(
        "report", "national", "--wave", cri_wave.slug, "-o", str(out), capsys=capsys
    )
    assert code == 0, err
    assert "Wave 'national-2026': 3" in stdout
    html = out.read_text("utf-8")
    assert "The State of Collaboration" in html
    assert cri_wave.name in html
    assert "weighted by raking" in html
    n = len(wave_responses(wave=cri_wave))
    assert f"{n:,} ({n:,} complete)" in html

    code, _, err = run_cli(
        "report",
        "national",
        "--wave",
        "no-such-wave",
        "-o",
        str(tmp_path / "x.pdf"),
        capsys=capsys,
    )
    assert code == 2
    assert err.strip().splitlines() == [
        "Error: --wave no-such-wave: no wave with that name in the database (national-2026)"
    ]
    assert not (tmp_path / "x.pdf").exists()


@pytest.mark.slow
def test_export_wave_option_reads_the_database(
    cri_wave: Wave, cri: Instrument, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """``collabready export --wave`` exports the wave's submitted responses, labelled,
    with pseudonymous ids that carry no internal number."""
    import pyreadstat

    out = tmp_path / "wave.sav"
    code, _, err = run_cli(
        "export", "--wave", cri_wave.slug, "--format", "sav", "-o", str(out),
        "--id-key", "a test key of some length", capsys=capsys,
    )  # fmt: skip
    assert code == 0, err
    frame, meta = pyreadstat.read_sav(str(out), user_missing=True)  # 8 and 9 as codes
    loaded = wave_responses(wave=cri_wave)
    assert len(frame) == len(loaded)
    first = cri.item_ids[0]
    assert meta.column_names_to_labels[first] == cri.item(first).text.get()
    np.testing.assert_array_equal(frame[first].to_numpy(), loaded.codes[:, 0])
    ids = set(frame["respondent_id"])
    assert len(ids) == len(frame)
    assert not ids & {str(i) for i in loaded.respondent_id}


# --- a respondent's own profile PDF -----------------------------------------------------


def _open(token: str) -> Client:
    client = Client()
    assert client.get(f"/r/{token}/").status_code == 302
    return client


def _pdf_text(data: bytes) -> str:
    return "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(data)).pages)


@pytest.mark.slow
def test_profile_pdf_only_for_own_submitted_response(cri_wave: Wave, cri: Instrument) -> None:
    a: Invited = invite(cri_wave, cri, "a@example.org", organisation="Alpha Trust")
    b: Invited = invite(cri_wave, cri, "b@example.org", sector="private", organisation="Beta Ltd")
    client_a, client_b = _open(a.token), _open(b.token)
    answer_everything(client_a, cri, code=5)
    client_a.post("/survey/check-your-answers/", {})

    # before submitting: no PDF, and the page says what is missing
    got = client_b.get("/survey/profile.pdf")
    assert got.status_code == 409
    html = got.content.decode()
    assert "Your profile is not ready yet" in html
    assert "About you and your organisation" in html

    profile_page = client_a.get("/survey/profile/").content.decode()
    assert 'href="/survey/profile.pdf"' in profile_page
    got = client_a.get("/survey/profile.pdf")
    assert got.status_code == 200
    assert got["Content-Type"] == "application/pdf"
    text = _pdf_text(got.content)
    # named by the organisation, never by an internal number
    assert "Collaboration readiness profile: Alpha Trust" in text
    assert "Beta Ltd" not in text
    assert f"Respondent {a.response.pk}" not in text

    # B's link reaches only B's: after submitting, B's PDF is B's
    answer_everything(client_b, cri, code=2)
    client_b.post("/survey/check-your-answers/", {})
    text_b = _pdf_text(client_b.get("/survey/profile.pdf").content)
    assert "Collaboration readiness profile: Beta Ltd" in text_b
    assert "Alpha Trust" not in text_b

    # no personal link, no profile
    anonymous = Client().get("/survey/profile.pdf")
    assert anonymous.status_code == 403


@pytest.mark.slow
def test_profile_pdf_peer_comparison_follows_the_page(db: None, cri: Instrument) -> None:
    """Twelve peer responses from two organisations: the page and the PDF both hide the
    comparison; from twelve organisations, both show it."""
    public = synthetic().filter(pl.col("sector") == "public").head(12)
    few = public.with_columns((pl.col("organisation_id") % 2 + 9000).alias("organisation_id"))
    wave = make_wave(cri, "few-organisations", few)
    me: Invited = invite(wave, cri, "me@example.org", organisation="Alpha Trust")
    client = _open(me.token)
    answer_everything(client, cri)
    client.post("/survey/check-your-answers/", {})
    assert 'id="peers-hidden"' in client.get("/survey/profile/").content.decode()
    text = _pdf_text(client.get("/survey/profile.pdf").content)
    assert "once at least 10 organisations" in " ".join(text.split())
    assert "Sector median" not in text

    many = make_wave(cri, "many-organisations", public)
    assert public.get_column("organisation_id").n_unique() == 12
    me2: Invited = invite(many, cri, "me@example.org", organisation="Alpha Trust")
    client2 = _open(me2.token)
    answer_everything(client2, cri)
    client2.post("/survey/check-your-answers/", {})
    page = client2.get("/survey/profile/").content.decode()
    assert 'id="peers-hidden"' not in page
    text2 = " ".join(_pdf_text(client2.get("/survey/profile.pdf").content).split())
    assert "once at least" not in text2
    # the page and the PDF render the same profile: the same rounded figures
    median = re.search(r"Sector median</dt><dd[^>]*>(\d+)<", page)
    share = re.search(r"with a lower index</dt><dd[^>]*>(\d+)%<", page)
    assert median is not None
    assert share is not None
    assert f"Sector median {median.group(1)}" in text2
    assert f"Share of the sector with a lower index {share.group(1)}%" in text2
    assert "Based on 10 organisations" in page  # 13 organisations: a snapshot of 10
    assert "(10 organisations)" in text2
