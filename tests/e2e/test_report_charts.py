"""The back office's HTML report in real Chromium: generated as a background job,
followed on its progress page (meta refresh, no script), then shown with its
charts made interactive by vega-embed served from our own static files.

Every request the page makes must go to the live server on 127.0.0.1: no CDN.
The page keeps its Content-Security-Policy (the context does not bypass it).
"""

from __future__ import annotations

import contextlib
import os
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import pytest
from django.contrib.auth import get_user_model
from django.utils import timezone

from collabready.instrument import load_instrument
from collabready.synth import data_path, generate_wave
from collabready.web.reports.models import ReportJob
from collabready.web.reports.services import margins_save
from collabready.web.surveys.models import Wave
from collabready.web.surveys.services.bulk import responses_bulk_load
from tests.e2e.conftest import CHROMIUM_ARGS  # noqa: F401 (documents the launch flags)

SHOTS = os.environ.get("COLLABREADY_SCREENSHOTS_DIR")


def _shot(tab: Any, name: str) -> None:
    if SHOTS:
        Path(SHOTS).mkdir(parents=True, exist_ok=True)
        tab.screenshot(path=str(Path(SHOTS) / name), full_page=True)


@pytest.fixture
def report_wave(transactional_db: None, settings: Any, tmp_path: Path) -> Wave:
    settings.COLLABREADY_REPORTS_DIR = tmp_path / "reports"
    cri = load_instrument()
    now = timezone.now()
    wave = Wave.objects.create(
        slug="browser-wave",
        name="Browser reporting wave",
        instrument_key=cri.key,
        opens_at=now - timedelta(days=10),
        closes_at=now + timedelta(days=10),
        privacy_notice="Totals only.",
    )
    responses_bulk_load(
        wave=wave, responses=generate_wave(respondents=400, seed=2026, instrument=cri).responses
    )
    margins = data_path("margins.csv")
    margins_save(wave=wave, data=margins.read_bytes(), filename=margins.name)
    user = get_user_model().objects.create_user("analyst", "a@example.org", "pw-analyst-1")
    user.is_staff = True
    user.save()
    return wave


def test_html_report_renders_interactive_charts_from_local_assets(
    browser: Any, live_server: Any, report_wave: Wave
) -> None:
    # the live server listens on the loopback address; name it as 127.0.0.1 throughout
    base_url = live_server.url.replace("://localhost:", "://127.0.0.1:")
    context = browser.new_context(base_url=base_url, viewport={"width": 1100, "height": 900})
    tab = context.new_page()
    tab.set_default_timeout(15_000)
    requested: list[str] = []
    tab.on("request", lambda request: requested.append(request.url))
    problems: list[str] = []
    tab.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    tab.on("pageerror", lambda e: problems.append(str(e)))
    failed: list[str] = []
    tab.on("response", lambda r: failed.append(f"{r.status} {r.url}") if r.status >= 400 else None)

    tab.goto(f"/backoffice/waves/{report_wave.pk}/reports/")
    tab.fill("#id_username", "analyst")
    tab.fill("#id_password", "pw-analyst-1")
    with tab.expect_navigation():
        tab.click("button:has-text('Sign in')")
    assert tab.locator("h1").inner_text() == "Reports"
    tab.check("#id_format_html")
    # the report's options: a title and the roundtable note, uploaded as a Markdown file
    tab.click("summary:has-text('Report options')")
    tab.fill("#id_title", "Working Together 2026")
    tab.set_input_files(
        "#id_roundtable",
        files=[
            {
                "name": "roundtable.md",
                "mimeType": "text/markdown",
                "buffer": b"# What the roundtable agreed\n\n- Fund partnership time\n",
            }
        ],
    )
    with tab.expect_navigation():
        tab.click("button:has-text('Generate the report')")
    assert "/backoffice/reports/" in tab.url
    _shot(tab, "report-job-progress.png")
    if SHOTS:  # a picture of a running job, when the refresh catches one
        with contextlib.suppress(Exception):
            tab.wait_for_selector("text=Running:", timeout=20_000)
            _shot(tab, "report-job-running.png")
    # the page refreshes itself (meta refresh) until the job is done
    tab.wait_for_selector("text=Your report is ready", timeout=600_000)
    _shot(tab, "report-job-finished.png")
    job = ReportJob.objects.get()
    assert job.status == ReportJob.Status.SUCCEEDED, job.error

    with tab.expect_navigation():
        tab.click("text=View it in the browser, with interactive charts")
    assert tab.title().startswith("Working Together 2026")
    assert tab.locator("#roundtable li").inner_text() == "Fund partnership time"
    # collabready-charts.js replaces each static chart with a vega-embed container
    tab.wait_for_selector(".vega-embed svg", state="attached", timeout=60_000)
    embedded = tab.locator(".vega-embed")
    assert embedded.count() >= 3
    assert tab.locator(".vega-embed svg, .vega-embed canvas").count() >= 3
    # the first chart is drawn with marks, inside an element labelled with the alt text
    # (vega-embed sets the container's role to graphics-document; the label stays)
    first = embedded.first
    assert (first.get_attribute("aria-label") or "").strip()
    assert first.locator("svg .mark-symbol path, svg .mark-rule line, svg path").count() > 0
    if SHOTS:
        first.screenshot(path=str(Path(SHOTS) / "report-interactive-chart.png"))

    hosts = {urlparse(u).hostname for u in requested if not u.startswith(("data:", "blob:"))}
    assert hosts == {"127.0.0.1"}, hosts
    assert any(u.endswith("/static/build/vega/vega-embed.min.js") for u in requested)
    # the browser asks for /favicon.ico on the bare report document; nothing else may fail
    assert [f for f in failed if not f.endswith("/favicon.ico")] == []
    assert [p for p in problems if "404" not in p] == []
    context.close()
