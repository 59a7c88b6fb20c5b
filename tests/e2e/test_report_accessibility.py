"""The HTML national report, as the back office serves it, in real Chromium: no axe-core
WCAG 2.2 AA violations once its charts are interactive, every chart labelled, and every
table that may scroll reachable by keyboard."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import pytest
from PIL import Image

from collabready.web.reports.backend import wait_for_tasks
from collabready.web.reports.build import ReportOptions
from collabready.web.reports.models import ReportJob
from collabready.web.reports.services import report_job_create
from collabready.web.surveys.models import Wave
from tests.e2e.conftest import AXE
from tests.e2e.test_accessibility import TAGS
from tests.e2e.test_report_charts import report_wave  # noqa: F401 (fixture)


def _logo() -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (200, 50), (0, 90, 160)).save(buf, "PNG")
    return buf.getvalue()


@pytest.mark.parametrize("draft", [False, True])
def test_html_report_passes_axe(
    browser: Any,
    live_server: Any,
    report_wave: Wave,  # noqa: F811
    tmp_path: Path,
    draft: bool,
) -> None:
    options = ReportOptions(
        title="Working Together",
        foreword="A **foreword** with [a link](https://example.org/).",
        roundtable="# Roundtable\n\n| Theme | Votes |\n|---|---|\n| Data | 4 |\n",
        logo_alt="Foundation logo",
        draft=draft,
    )
    job = report_job_create(
        wave=report_wave, kind="national", fmt="html", options=options, logo=_logo()
    )
    wait_for_tasks(timeout=600)
    job.refresh_from_db()
    assert job.status == ReportJob.Status.SUCCEEDED, job.error

    base_url = live_server.url.replace("://localhost:", "://127.0.0.1:")
    # axe is injected as a script, which the report's CSP would refuse: bypass it here
    # (test_report_charts checks the page under its CSP)
    context = browser.new_context(
        base_url=base_url, viewport={"width": 1100, "height": 900}, bypass_csp=True
    )
    tab = context.new_page()
    tab.set_default_timeout(15_000)
    tab.goto("/backoffice/login/")
    tab.fill("#id_username", "analyst")
    tab.fill("#id_password", "pw-analyst-1")
    with tab.expect_navigation():
        tab.click("button:has-text('Sign in')")
    tab.goto(f"/backoffice/reports/{job.pk}/view/")
    tab.wait_for_selector(".vega-embed svg", state="attached", timeout=60_000)
    # every chart has been made interactive before the scan, so the scan sees what readers get
    charts = tab.locator("figure.chart").count()
    tab.wait_for_function(
        "n => document.querySelectorAll('figure.chart .vega-embed svg').length === n",
        arg=charts,
        timeout=120_000,
    )
    assert charts >= 8

    tab.add_script_tag(path=str(AXE))
    result = tab.evaluate(
        "async (tags) => await axe.run(document, {runOnly: {type: 'tag', values: tags}})", TAGS
    )
    assert result["passes"]
    problems = [
        f"{v['id']} ({v['impact']}): {v['help']} at {[n['target'] for n in v['nodes']][:3]}"
        for v in result["violations"]
    ]
    assert problems == [], json.dumps(problems, indent=2)

    # every chart carries its alt text; every table region is a keyboard stop with a name
    for i in range(charts):
        figure = tab.locator("figure.chart").nth(i)
        assert (figure.locator(".vega-embed").get_attribute("aria-label") or "").strip()
    regions = tab.locator(".table-wrap")
    assert regions.count() > 10
    assert regions.evaluate_all(
        "els => els.every(e => e.tabIndex === 0 && e.getAttribute('role') === 'region' "
        "&& document.getElementById(e.getAttribute('aria-labelledby')))"
    )
    tab.focus(".table-wrap >> nth=0")
    assert tab.evaluate("document.activeElement.classList.contains('table-wrap')")
    context.close()


@pytest.fixture
def fieldwork_wave(transactional_db: None, settings: Any, tmp_path: Path) -> Wave:
    """A wave in fieldwork whose margins have a level (Northern Ireland) nobody has answered."""
    from datetime import timedelta

    import polars as pl
    from django.contrib.auth import get_user_model
    from django.utils import timezone

    from collabready.instrument import load_instrument
    from collabready.synth import data_path, generate_wave
    from collabready.web.reports.services import margins_save
    from collabready.web.surveys.services.bulk import responses_bulk_load

    settings.COLLABREADY_REPORTS_DIR = tmp_path / "reports"
    cri = load_instrument()
    now = timezone.now()
    wave = Wave.objects.create(
        slug="fieldwork-wave",
        name="Fieldwork wave",
        instrument_key=cri.key,
        opens_at=now - timedelta(days=3),
        closes_at=now + timedelta(days=30),
        privacy_notice="Totals only.",
    )
    responses = generate_wave(respondents=200, seed=4, instrument=cri).responses
    responses_bulk_load(
        wave=wave, responses=responses.filter(pl.col("region") != "northern_ireland")
    )
    margins = data_path("margins.csv")
    margins_save(wave=wave, data=margins.read_bytes(), filename=margins.name)
    user = get_user_model().objects.create_user("analyst", "a@example.org", "pw-analyst-1")
    user.is_staff = True
    user.save()
    return wave


def test_reports_page_with_its_options_passes_axe(
    browser: Any, live_server: Any, fieldwork_wave: Wave
) -> None:
    """The back office's reports page: the options open, a margin level to merge, and the
    page with its errors after a refused request."""
    context = browser.new_context(base_url=live_server.url, bypass_csp=True)
    tab = context.new_page()
    tab.set_default_timeout(15_000)
    tab.goto("/backoffice/login/")
    tab.fill("#id_username", "analyst")
    tab.fill("#id_password", "pw-analyst-1")
    with tab.expect_navigation():
        tab.click("button:has-text('Sign in')")
    found: dict[str, list[str]] = {}

    def scan(label: str) -> None:
        tab.add_script_tag(path=str(AXE))
        result = tab.evaluate(
            "async (tags) => await axe.run(document, {runOnly: {type: 'tag', values: tags}})",
            TAGS,
        )
        assert result["passes"]
        problems = [
            f"{v['id']} ({v['impact']}): {v['help']} at {[n['target'] for n in v['nodes']][:3]}"
            for v in result["violations"]
        ]
        if problems:
            found[label] = problems

    tab.goto(f"/backoffice/waves/{fieldwork_wave.pk}/reports/")
    assert tab.locator("#id_merge__region__northern_ireland").count() == 1
    tab.click("summary:has-text('Report options')")
    scan("reports page, options open")
    tab.fill("#id_k", "2")
    with tab.expect_navigation():
        tab.click("button:has-text('Generate the report')")
    assert tab.locator(".govuk-error-summary").count() == 1
    assert "has no respondents yet" in tab.content()
    scan("reports page with errors")
    # the error summary's links lead to the fields (GOV.UK Frontend moves the focus there)
    tab.click(".govuk-error-summary a[href='#id_merge__region__northern_ireland']")
    focused = tab.evaluate("document.activeElement.id")
    assert focused == "id_merge__region__northern_ireland"
    context.close()
    assert not found, json.dumps(found, indent=2)
