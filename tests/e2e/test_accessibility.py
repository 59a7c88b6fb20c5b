"""axe-core scan of every respondent page type, in English and Welsh: no WCAG 2.2 AA violations."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from collabready.analysis import codec as codes
from collabready.instrument import Instrument
from collabready.web.surveys.journey import journey_pages
from collabready.web.surveys.models import Invitation, Response, Wave
from collabready.web.surveys.services.responses import response_new
from tests.e2e.conftest import AXE
from tests.web.conftest import Invited

TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]


def _scan(page: Any, label: str, found: dict[str, list[str]]) -> None:
    page.add_script_tag(path=str(AXE))
    result = page.evaluate(
        "async (tags) => await axe.run(document, {runOnly: {type: 'tag', values: tags}})", TAGS
    )
    assert result["passes"], f"axe found nothing to check on {label}"
    problems = [
        f"{v['id']} ({v['impact']}): {v['help']} at {[n['target'] for n in v['nodes']][:3]}"
        for v in result["violations"]
    ]
    if problems:
        found[label] = problems


def _peers(wave: Wave, instrument: Instrument, n: int) -> None:
    """``n`` submitted peers in the public sector, each invited for an organisation of its
    own (open-link responses never count as peers)."""
    code = instrument.profile_question("sector").choice_by_value("public").code
    rows = []
    for i in range(n):
        invitation = Invitation.objects.create(
            wave=wave, email=f"peer{i}@example.org", organisation=f"Peer {i}", sector="public"
        )
        r = response_new(wave=wave, instrument=instrument, invitation=invitation)
        r.answers = bytes([1 + i % 5]) * len(instrument.item_ids)
        r.profile = codes.profile_update(bytes(r.profile), instrument, {"sector": code})
        r.sector = "public"
        r.submitted_at = timezone.now()
        rows.append(r)
    Response.objects.bulk_create(rows)


@pytest.mark.parametrize("language", ["en", "cy"])
def test_every_respondent_page_passes_axe(
    page: Any, invited_live: Invited, instrument: Instrument, wave: Wave, language: str
) -> None:
    prefix = "" if language == "en" else "/cy"
    found: dict[str, list[str]] = {}

    def visit(path: str, label: str) -> None:
        page.goto(prefix + path)
        assert page.locator("html").get_attribute("lang") == language
        _scan(page, label, found)

    _peers(wave, instrument, 10)  # the benchmark needs max(2k, 10) organisations
    visit("/", "home")
    visit("/survey/", "no session")
    visit("/r/this-is-not-a-token-at-all-xxxxxxxxxxxx/", "bad link")
    visit(f"/w/{wave.slug}/", "open link start")
    visit(f"/w/{wave.slug}/resume/", "resume code")
    page.click("button.govuk-button")
    _scan(page, "resume code with error", found)

    visit(f"/r/{invited_live.token}/", "start")
    pages = journey_pages(instrument)
    page.goto(f"{prefix}/survey/questions/{pages[1].slug}/")
    page.click("button[value=continue]")
    # a click does not wait for the page it submits to: expect() retries until it is there
    expect(page.locator(".govuk-error-summary")).to_have_count(1)
    _scan(page, "block page with errors", found)
    for p in pages:
        page.goto(f"{prefix}/survey/questions/{p.slug}/")
        _scan(page, f"question page {p.slug}", found)
        for q in p.questions:
            page.check(f"#f-{q.id}")
        for item in p.items:
            page.check(f"#f-{item.id}-4")
        page.click("button[value=continue]")
    _scan(page, "check your answers", found)
    page.goto(f"{prefix}/survey/questions/open/")
    page.click("button[value=later]")
    _scan(page, "saved (personal link)", found)
    page.goto(f"{prefix}/survey/check-your-answers/")
    page.click("button[data-prevent-double-click]")
    _scan(page, "confirmation", found)
    page.goto(f"{prefix}/survey/profile/")
    assert page.locator("#peers-hidden").count() == 0
    _scan(page, "profile", found)
    visit("/survey/your-answers/", "your answers")
    visit("/survey/your-answers/delete/", "delete your answers")
    page.click("button.govuk-button--warning")
    expect(page.locator(".govuk-error-summary")).to_have_count(1)
    _scan(page, "delete your answers with error", found)
    page.check("#confirm")
    page.click("button.govuk-button--warning")
    expect(page.locator(".govuk-panel--confirmation")).to_have_count(1)
    _scan(page, "answers deleted", found)

    # an open-link respondent: saved page with the resume-code form, and its error
    page.context.clear_cookies()
    page.goto(f"{prefix}/w/{wave.slug}/")
    page.click("button.govuk-button--start")
    page.goto(f"{prefix}/survey/questions/profile/")
    page.click("button[value=later]")
    _scan(page, "saved (open link)", found)
    page.click("button.govuk-button--secondary")
    # a click does not wait for the page it submits to: expect() retries until it is there
    expect(page.locator(".govuk-error-summary")).to_have_count(1)
    _scan(page, "saved (open link) with error", found)

    # signing out (the header's button), and the error pages
    page.click("button.app-header__sign-out-button")
    expect(page.locator("h1")).to_have_count(1)
    assert page.locator("button.app-header__sign-out-button").count() == 0
    _scan(page, "signed out", found)
    visit("/no-such-page/", "page not found")
    wave.closes_at = timezone.now() - timedelta(days=400)
    wave.opens_at = wave.closes_at - timedelta(days=30)
    wave.save()
    visit(f"/r/{invited_live.token}/", "link expired")
    assert not found, json.dumps(found, indent=2, ensure_ascii=False)
