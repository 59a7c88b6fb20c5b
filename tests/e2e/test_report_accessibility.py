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
