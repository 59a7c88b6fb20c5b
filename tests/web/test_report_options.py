"""The report a foundation publishes, from the back office: its options, drafts during
fieldwork, margin levels with no respondents yet, and reports the CLI made from a wave.

Jobs run on the real background thread backend against the real database;
the documents are read back as the public would (PDF text, HTML).
"""

from __future__ import annotations

import io
from pathlib import Path

import polars as pl
import pytest
from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from PIL import Image
from pypdf import PdfReader

from collabready.instrument import Instrument, load_instrument
from collabready.synth import data_path
from collabready.web.reports.models import ReportJob
from collabready.web.reports.services import margins_save
from collabready.web.surveys.models import Wave

from .test_reports import make_wave, run_cli, run_job, synthetic

pytestmark = pytest.mark.django_db(transaction=True)

NOTE = b"# What the roundtable agreed\n\nLeaders met in March. <script>alert(1)</script>\n"


def png(width: int = 240, height: int = 60) -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (width, height), (0, 90, 160)).save(buf, "PNG")
    return buf.getvalue()


@pytest.fixture(scope="session")
def cri() -> Instrument:
    return load_instrument()


@pytest.fixture
def reports_dir(settings, tmp_path: Path) -> Path:
    settings.COLLABREADY_REPORTS_DIR = tmp_path / "reports"
    return tmp_path / "reports"


@pytest.fixture
def staff() -> Client:
    user = get_user_model().objects.create_user("analyst", "a@example.org", "pw-analyst-1")
    user.is_staff = True
    user.save()
    client = Client()
    client.force_login(user)
    return client


def with_margins(wave: Wave) -> Wave:
    margins = data_path("margins.csv")
    margins_save(wave=wave, data=margins.read_bytes(), filename=margins.name)
    return wave


def pdf_text(job: ReportJob, staff: Client) -> str:
    data = b"".join(staff.get(f"/backoffice/reports/{job.pk}/download/").streaming_content)
    text = "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(data)).pages)
    return " ".join(text.split())


def html_of(job: ReportJob, staff: Client) -> str:
    return b"".join(staff.get(f"/backoffice/reports/{job.pk}/view/").streaming_content).decode()


def test_options_reach_the_published_report(
    cri: Instrument, reports_dir: Path, staff: Client
) -> None:
    wave = with_margins(make_wave(cri, "options-2026", synthetic()))
    Wave.objects.filter(pk=wave.pk).update(public_title="Collaboration in Wales 2026")
    got = staff.post(
        f"/backoffice/waves/{wave.pk}/reports/",
        {
            "kind": "national",
            "format": "html",
            "title": "Working Together 2026",
            "subtitle": "A report for the Foundation",
            "foreword": "We asked **senior leaders**. <img src=x onerror=alert(1)>",
            "k": "7",
            "logo_alt": "Foundation logo",
            "roundtable": SimpleUploadedFile("note.md", NOTE, content_type="text/markdown"),
            "logo": SimpleUploadedFile("logo.png", png(), content_type="image/png"),
        },
    )
    assert got.status_code == 302, got.content[:3000]
    from collabready.web.reports.backend import wait_for_tasks

    wait_for_tasks(timeout=600)
    job = ReportJob.objects.get()
    assert job.status == ReportJob.Status.SUCCEEDED, job.error
    assert job.options["k"] == 7
    page = staff.get(f"/backoffice/reports/{job.pk}/").content.decode()
    assert (
        "“Working Together 2026”; k = 7; with a roundtable note; with a foreword; with a logo"
        in page
    )
    html = html_of(job, staff)
    cover = html[html.index('<header class="cover">') : html.index("</header>")]
    assert "Working Together 2026" in cover
    assert "A report for the Foundation" in cover
    assert 'alt="Foundation logo"' in cover
    # the survey as the public knows it, and when it was in the field
    assert '<p class="survey-title">Collaboration in Wales 2026</p>' in cover
    assert '<p class="period">Fieldwork ' in cover
    assert "data:image/png;base64," in cover
    # the provenance is not on the cover, nor the wave's internal name; both are in the
    # reproducibility appendix
    assert "Generated" not in cover
    assert "cri@1.1.0" not in cover
    assert wave.name not in cover
    stamp = html[html.index('id="reproducibility"') :]
    assert "cri@1.1.0" in stamp
    assert wave.name in stamp
    assert "k = 7" in stamp
    # the foreword and the note are sanitised Markdown: HTML in them is shown as text
    assert "<strong>senior leaders</strong>" in html
    assert "&lt;img src=x onerror=alert(1)&gt;" in html
    assert "<script>alert(1)" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "What the roundtable agreed" in html
    assert "fewer than 7 respondents" in html


@pytest.mark.parametrize(
    ("upload", "alt", "expected"),
    [
        (
            b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg"></svg>',
            "Logo",
            "the file is an SVG image; upload the logo as a PNG or JPEG image",
        ),
        (b"\x89PNG\r\n\x1a\n" + b"\0" * 600 * 1024, "Logo", "a logo may be at most 512 KB"),
        (b"\x89PNG\r\n\x1a\nnot really", "Logo", "the PNG image cannot be read"),
        (None, "", "describe the logo in a few words"),
    ],
)
def test_a_bad_logo_is_refused_with_every_reason(
    cri: Instrument, staff: Client, upload: bytes | None, alt: str, expected: str
) -> None:
    wave = make_wave(cri, "logo-2026", synthetic(60))
    got = staff.post(
        f"/backoffice/waves/{wave.pk}/reports/",
        {
            "kind": "national",
            "format": "pdf",
            "logo_alt": alt,
            "logo": SimpleUploadedFile("logo.png", upload if upload is not None else png()),
        },
    )
    assert got.status_code == 400
    page = got.content.decode()
    assert "There is a problem" in page
    assert expected in page
    assert ReportJob.objects.count() == 0


def test_a_bad_k_or_note_is_refused(cri: Instrument, staff: Client) -> None:
    wave = make_wave(cri, "k-2026", synthetic(60))
    got = staff.post(
        f"/backoffice/waves/{wave.pk}/reports/",
        {
            "kind": "national",
            "format": "pdf",
            "k": "2",
            "roundtable": SimpleUploadedFile("note.md", "caf\xe9".encode("cp1252")),
        },
    )
    assert got.status_code == 400
    page = got.content.decode()
    assert "greater than or equal to 5" in page
    assert "note.md: not UTF-8 text" in page
    assert ReportJob.objects.count() == 0


@pytest.fixture
def fieldwork_wave(cri: Instrument) -> Wave:
    """A wave in fieldwork: nobody from Northern Ireland has answered yet."""
    responses = synthetic(400).filter(pl.col("region") != "northern_ireland")
    return with_margins(make_wave(cri, "fieldwork-2026", responses))


def test_an_empty_margin_level_offers_a_merge_or_a_draft(
    fieldwork_wave: Wave, reports_dir: Path, staff: Client
) -> None:
    url = f"/backoffice/waves/{fieldwork_wave.pk}/reports/"
    page = staff.get(url).content.decode()
    assert "Margin levels with no respondents yet" in page
    assert "Region or nation: merge “Northern Ireland” into" in page
    assert 'name="merge__region__northern_ireland"' in page

    # neither merged nor a draft: a clear error on the page, not a failed job
    got = staff.post(url, {"kind": "national", "format": "pdf"})
    assert got.status_code == 400
    text = got.content.decode()
    assert "has no respondents yet" in text
    assert "tick “Unweighted draft”" in text
    assert ReportJob.objects.count() == 0

    # merged into Scotland: weighted, and the appendix says what was merged
    job = run_job(
        staff,
        fieldwork_wave,
        kind="national",
        format="pdf",
        merge__region__northern_ireland="scotland",
    )
    assert job.status == ReportJob.Status.SUCCEEDED, job.error
    text = pdf_text(job, staff)
    assert "weighted by raking" in text
    assert "region: northern_ireland into scotland" in text
    assert "Draft" not in text.split("Contents")[0]

    # the unweighted draft instead
    draft = run_job(staff, fieldwork_wave, kind="national", format="pdf", draft="on")
    assert draft.status == ReportJob.Status.SUCCEEDED, draft.error
    text = pdf_text(draft, staff)
    assert "draft: made during fieldwork, not for publication" in text.lower()  # the cover
    assert text.count("DRAFT, not for publication") == text.count("Page ") > 20  # every page
    assert "No population margins were supplied: figures are unweighted." in text
    listing = staff.get(url).content.decode()
    assert "National report, PDF, draft" in listing


def test_a_merge_into_a_level_that_does_not_exist_is_refused(
    fieldwork_wave: Wave, staff: Client
) -> None:
    got = staff.post(
        f"/backoffice/waves/{fieldwork_wave.pk}/reports/",
        {"kind": "national", "format": "pdf", "merge__region__northern_ireland": "atlantis"},
    )
    assert got.status_code == 400
    assert "Select a valid choice" in got.content.decode()


@pytest.mark.slow
def test_a_report_made_with_the_cli_is_listed_with_the_wave(
    cri: Instrument, reports_dir: Path, staff: Client, tmp_path: Path, capsys
) -> None:
    wave = with_margins(make_wave(cri, "cli-2026", synthetic(300)))
    out = tmp_path / "national.pdf"
    code, stdout, err = run_cli(
        "report",
        "national",
        "--wave",
        wave.slug,
        "--title",
        "From the terminal",
        "-o",
        str(out),
        capsys=capsys,
    )
    assert code == 0, err
    assert "Listed with the wave's reports in the back office" in stdout
    job = ReportJob.objects.get(wave=wave)
    assert job.source == ReportJob.Source.CLI
    assert job.status == ReportJob.Status.SUCCEEDED
    assert job.title == "From the terminal"
    listing = staff.get(f"/backoffice/waves/{wave.pk}/reports/").content.decode()
    assert "from the command line" in listing
    download = staff.get(f"/backoffice/reports/{job.pk}/download/")
    assert b"".join(download.streaming_content) == out.read_bytes()
