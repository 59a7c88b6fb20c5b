"""The back office for running a wave, in Chromium: axe-core on every page (0 WCAG 2.2 AA
violations), and a researcher's fieldwork from creating the wave to watching a response
arrive on the monitoring page, then generating the report with its roundtable note.

Screenshots of the wave page and the monitoring page are written when
COLLABREADY_SCREENSHOTS_DIR is set (docs/img holds the committed ones).
"""

from __future__ import annotations

import io
import os
import re
from datetime import timedelta
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from django.contrib.auth import get_user_model
from django.core import mail
from django.utils import timezone

from collabready.instrument import Instrument, load_instrument
from collabready.synth import generate_wave
from collabready.web.reports.backend import wait_for_tasks
from collabready.web.reports.models import ReportJob
from collabready.web.surveys.journey import journey_pages
from collabready.web.surveys.models import Invitation, Response, Wave
from collabready.web.surveys.services.bulk import responses_bulk_load
from collabready.web.surveys.services.invitations import invitations_import_csv
from tests.e2e.test_accessibility import _scan

SHOTS = os.environ.get("COLLABREADY_SCREENSHOTS_DIR")


def _shot(tab: Any, name: str) -> None:
    if SHOTS:
        Path(SHOTS).mkdir(parents=True, exist_ok=True)
        tab.screenshot(path=str(Path(SHOTS) / name), full_page=True)


def _staff() -> None:
    get_user_model().objects.create_user(
        "researcher", "researcher@example.org", "pw-researcher-1", is_staff=True
    )


def _sign_in(tab: Any, next_path: str) -> None:
    tab.goto(next_path)
    tab.fill("#id_username", "researcher")
    tab.fill("#id_password", "pw-researcher-1")
    with tab.expect_navigation():
        tab.click("button:has-text('Sign in')")


def test_every_wave_back_office_page_passes_axe(
    page: Any, wave: Wave, instrument: Instrument, transactional_db: None
) -> None:
    _staff()
    invitations_import_csv(
        wave=wave,
        data=b"email,name,organisation,sector,language\n"
        b"a@example.org,A,Org A,public,en\nb@example.org,B,Org B,third,cy\n",
    )
    Invitation.objects.filter(email="a@example.org").update(invited_at=timezone.now())
    Response.objects.filter(invitation__email="a@example.org").update(
        version=3,
        last_page="profile",
        started_at=timezone.now() - timedelta(days=1),
        submitted_at=timezone.now(),
    )
    Wave.objects.filter(pk=wave.pk).update(quotas={"sector": {"public": 5}})
    found: dict[str, list[str]] = {}
    _sign_in(page, "/backoffice/")
    first = journey_pages(instrument)[1].slug
    base = f"/backoffice/waves/{wave.pk}"
    pages = {
        "waves": "/backoffice/",
        "new wave": "/backoffice/waves/new/",
        "wave": f"{base}/",
        "edit wave": f"{base}/edit/",
        "preview en": f"{base}/preview/en/profile/",
        "preview cy": f"{base}/preview/cy/{first}/",
        "close (confirm)": f"{base}/close/",
        "send invitations (confirm)": f"{base}/send/?kind=invitation",
        "send reminders (confirm)": f"{base}/send/?kind=reminder",
        "upload invitations": f"{base}/invitations/",
        "invitees": f"{base}/invitees/",
        "invitees, filtered": f"{base}/invitees/?status=submitted",
        "e-mail settings": f"{base}/emails/",
        "e-mail wording en": f"{base}/emails/invitation/en/",
        "e-mail wording cy": f"{base}/emails/reminder/cy/",
        "monitoring": f"{base}/monitoring/",
        "quotas": f"{base}/quotas/",
        "delete test responses (confirm)": f"{base}/test/delete/",
        "data protection": f"{base}/privacy/",
        "exports": f"{base}/exports/",
        "import responses": f"{base}/import/",
        "reports": f"{base}/reports/",
    }
    for label, path in pages.items():
        page.goto(path)
        assert page.locator("h1").count() == 1, label
        _scan(page, label, found)
    # pages showing errors
    page.goto("/backoffice/waves/new/")
    page.click("button:has-text('Create the wave')")
    page.wait_for_selector(".govuk-error-summary")
    _scan(page, "new wave with errors", found)
    page.goto(f"{base}/quotas/")
    page.fill("#id_quotas", "region, north, x")
    page.click("button:has-text('Save the quotas')")
    page.wait_for_selector(".govuk-error-summary")
    _scan(page, "quotas with errors", found)
    page.goto(f"{base}/emails/invitation/en/")
    page.fill("#id_body", "no links here $oops")
    page.click("button:has-text('Save the wording')")
    page.wait_for_selector(".govuk-error-summary")
    _scan(page, "e-mail wording with errors", found)
    Wave.objects.filter(pk=wave.pk).update(closed_at=timezone.now())
    page.goto(f"{base}/reopen/")
    _scan(page, "reopen (confirm)", found)
    assert found == {}


def _xlsx(rows: list[list[object]]) -> bytes:
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def test_a_researcher_runs_fieldwork_from_the_back_office(
    page: Any, transactional_db: None, tmp_path: Path, live_server: Any, settings: Any
) -> None:
    """From creating the wave to the report the foundation publishes, with its roundtable
    note, in the bundled CRI questionnaire (the published report's instrument)."""
    settings.COLLABREADY_REPORTS_DIR = tmp_path / "reports"
    instrument = load_instrument()
    _staff()
    _sign_in(page, "/backoffice/waves/new/")
    today = timezone.localdate()
    page.fill("#id_name", "Fieldwork 2026")
    page.fill("#id_public_title", "Collaboration in Wales 2026")
    page.fill("#id_public_title_cy", "Cydweithio yng Nghymru 2026")
    page.fill("#id_slug", "fieldwork-2026")
    page.select_option("#id_instrument_key", instrument.key)
    page.fill("#id_opens_on", f"{today - timedelta(days=1):%Y-%m-%d}")
    page.fill("#id_closes_on", f"{today + timedelta(days=30):%Y-%m-%d}")
    page.fill("#id_privacy_notice", "We publish totals only.")
    with page.expect_navigation():
        page.click("button:has-text('Create the wave')")
    wave = Wave.objects.get(slug="fieldwork-2026")
    assert page.locator("h1").inner_text() == "Fieldwork 2026"

    # preview the first page in Welsh, then move on without saving
    with page.expect_navigation():
        page.click("a:has-text('in Welsh')")
    assert page.locator("html").get_attribute("lang") == "cy"
    with page.expect_navigation():
        page.click("button:has-text('Next page')")
    assert not Response.objects.exists()

    # upload an .xlsx list
    public = instrument.profile_question("sector").choice_by_value("public").label.get("en")
    listing = tmp_path / "invitees.xlsx"
    listing.write_bytes(
        _xlsx(
            [
                ["email", "name", "organisation", "sector"],
                ["ann@example.org", "Ann", "Council A", public],
                ["bob@example.org", "Bob", "Charity B", "third"],
            ]
        )
    )
    page.goto(f"/backoffice/waves/{wave.pk}/invitations/")
    page.set_input_files("#id_file", str(listing))
    with page.expect_navigation():
        page.click("button:has-text('Upload invitations')")
    assert "Imported 2 invitations (read as .xlsx workbook" in page.content()

    # a test e-mail to myself, then the invitations, confirmed with the count
    page.goto(f"/backoffice/waves/{wave.pk}/emails/invitation/en/")
    with page.expect_navigation():
        page.click("button:has-text('Send a test to myself')")
    assert [m.to for m in mail.outbox] == [["researcher@example.org"]]
    page.goto(f"/backoffice/waves/{wave.pk}/")
    _shot(page, "backoffice-wave.png")
    with page.expect_navigation():
        page.click("a:has-text('Send invitations')")
    assert "This will e-mail 2 people" in page.locator(".app-send-due").inner_text()
    with page.expect_navigation():
        page.click("button:has-text('Send 2 invitations')")
    assert "Sent 2 invitations." in page.content()
    ann = next(m for m in mail.outbox if m.to == ["ann@example.org"])
    link = re.search(r"/r/[\w-]+/", ann.body)
    assert link is not None

    # Ann answers in another browser context; the monitoring page shows her submission
    respondent = page.context.browser.new_context(base_url=live_server.url)
    tab = respondent.new_page()
    tab.goto(link.group(0))
    assert tab.locator("h1").inner_text() == "Collaboration in Wales 2026"  # the public title
    for p in journey_pages(instrument):
        tab.goto(f"/survey/questions/{p.slug}/")
        for radio_group in tab.locator(".govuk-radios").all():
            radio_group.locator("input").first.check()
        for area in tab.locator("textarea").all():
            area.fill("More time together.")
        with tab.expect_navigation():
            tab.click("button[value=continue]")
    tab.goto("/survey/check-your-answers/")
    with tab.expect_navigation():
        tab.click("button.govuk-button")
    respondent.close()
    page.goto(f"/backoffice/waves/{wave.pk}/monitoring/")
    assert page.locator("#monitoring-submitted").inner_text() == "1 / 1"
    assert "50.0%" in page.content()  # 1 submitted of 2 e-mailed
    _shot(page, "backoffice-monitoring.png")
    page.goto(f"/backoffice/waves/{wave.pk}/invitees/?status=submitted")
    assert "ann@example.org" in page.content()
    assert "bob@example.org" not in page.content()

    # the rest of fieldwork: a report needs at least k respondents, so others answer
    # (loaded as the open link's responses would be); the monitoring page counts them
    responses_bulk_load(
        wave=wave, responses=generate_wave(respondents=40, seed=12, instrument=instrument).responses
    )
    page.goto(f"/backoffice/waves/{wave.pk}/monitoring/")
    assert page.locator("#monitoring-submitted").inner_text().startswith("41")

    # an unweighted draft with the roundtable note (Markdown), built by the background job
    # while the job's page refreshes itself, then read in the browser
    note = tmp_path / "roundtable.md"
    note.write_text(
        "# What the roundtable agreed\n\nLeaders met in Cardiff and agreed to **pool "
        "budgets** for shared services.\n",
        encoding="utf-8",
    )
    page.goto(f"/backoffice/waves/{wave.pk}/reports/")
    page.check("#id_format_html")
    page.check("#id_draft")
    page.click("summary:has-text('Report options')")
    page.fill("#id_title", "Working Together")
    page.set_input_files("#id_roundtable", str(note))
    with page.expect_navigation():
        page.click("button:has-text('Generate the report')")
    assert "/backoffice/reports/" in page.url
    wait_for_tasks(timeout=600)
    page.wait_for_selector(".app-report-ready", timeout=60_000)  # the page's own refresh
    job = ReportJob.objects.get(wave=wave)
    assert job.status == ReportJob.Status.SUCCEEDED, job.error
    assert job.options["draft"] is True
    with page.expect_navigation():
        page.click("a:has-text('View it in the browser')")
    cover = page.locator("header.cover").inner_text()
    assert "Working Together" in cover
    assert "Collaboration in Wales 2026" in cover  # the public title, not "Fieldwork 2026"
    assert "Fieldwork 2026" not in cover
    note_section = page.locator("section#roundtable")
    assert note_section.locator("h2").inner_text().endswith("Roundtable note")
    text = note_section.inner_text()
    assert "What the roundtable agreed" in text
    assert "Leaders met in Cardiff and agreed to pool budgets for shared services." in text
    assert note_section.locator("strong").inner_text() == "pool budgets"


@pytest.fixture(autouse=True)
def _locmem_mail(settings: Any) -> None:
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"


@pytest.mark.parametrize("language", ["en", "cy"])
def test_the_opt_out_pages_pass_axe(
    page: Any, wave: Wave, instrument: Instrument, transactional_db: None, language: str
) -> None:
    from collabready.web.surveys.services.emails import opt_out_link

    invitations_import_csv(
        wave=wave, data=b"email,name,organisation,sector\na@example.org,A,Org A,public\n"
    )
    invitation = Invitation.objects.get()
    path = opt_out_link(invitation).split("://", 1)[1].split("/", 1)[1]
    prefix = "/cy/" if language == "cy" else "/"
    found: dict[str, list[str]] = {}
    page.goto(prefix + path)
    assert page.locator("html").get_attribute("lang") == language
    _scan(page, "opt-out question", found)
    with page.expect_navigation():
        page.click("button.govuk-button")
    _scan(page, "opt-out done", found)
    assert found == {}
    invitation.refresh_from_db()
    assert invitation.opted_out_at is not None
