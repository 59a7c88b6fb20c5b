"""The whole journey in a real browser: keyboard only, leave and resume, the profile."""

from __future__ import annotations

from typing import Any

from collabready.instrument import Instrument
from collabready.web.surveys.journey import journey_pages
from collabready.web.surveys.models import Response
from tests.web.conftest import Invited

Page = Any  # playwright.sync_api.Page

FOCUSED = """() => {
  const el = document.activeElement;
  return {tag: el.tagName, type: el.type || '', name: el.name || '',
          text: (el.innerText || '').trim(),
          checked: !!el.checked};
}"""


def _tab_to(page: Page, want: str, limit: int = 400) -> dict[str, Any]:
    """Press Tab until the focused element's text contains ``want``."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        focused = page.evaluate(FOCUSED)
        if want in focused["text"]:
            return focused
    raise AssertionError(f"never reached {want!r} with Tab")


def _answer_page_with_keyboard(page: Page) -> None:
    """Answer every question on the page with the keyboard, then Save and continue."""
    answered: set[str] = set()
    for _ in range(600):
        page.keyboard.press("Tab")
        focused = page.evaluate(FOCUSED)
        if focused["type"] == "radio" and focused["name"] not in answered:
            page.keyboard.press("Space")  # choose the first option...
            if not focused["name"].startswith(("sector", "role", "size")):
                for _step in range(3):  # ...then move along to "Agree"
                    page.keyboard.press("ArrowRight")
            answered.add(focused["name"])
        elif focused["tag"] == "TEXTAREA":
            page.keyboard.type("Shared budgets & <b>trust</b>")
        elif focused["text"] == "Save and continue":
            with page.expect_navigation():
                page.keyboard.press("Enter")
            return
    raise AssertionError("never reached the Save and continue button")


def test_complete_the_whole_survey_with_the_keyboard_only(
    page: Page, invited_live: Invited, instrument: Instrument
) -> None:
    page.goto(f"/r/{invited_live.token}/")
    assert page.locator("h1").inner_text() == "Test wave 2026"
    _tab_to(page, "Start now")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    pages = journey_pages(instrument)
    for number, expected in enumerate(pages, start=1):
        assert f"Section {number} of {len(pages)}" in page.locator(".govuk-caption-l").inner_text()
        assert expected.slug in page.url
        _answer_page_with_keyboard(page)
    assert page.locator("h1").inner_text() == "Check your answers before submitting"
    assert "Shared budgets & <b>trust</b>" in page.locator("main").inner_text()
    _tab_to(page, "Submit your answers")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert "Answers submitted" in page.locator("h1").inner_text()
    _tab_to(page, "See your readiness profile")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert page.locator("h1").inner_text() == "Your readiness profile"
    assert (page.locator("svg.app-chart__svg title").text_content() or "").startswith(
        "Commitment and capacity"
    )
    assert page.locator(".app-profile-table tbody tr").count() == 6
    response = Response.objects.get(pk=invited_live.response.pk)
    assert response.submitted_at is not None
    # every rated statement answered "Agree" (4), except the profile choices
    assert set(bytes(response.answers)) == {4}


def _answer_page_with_mouse(page: Page, instrument: Instrument, slug: str) -> None:
    page_ = next(p for p in journey_pages(instrument) if p.slug == slug)
    for q in page_.questions:
        page.check(f"#f-{q.id}")
    for item in page_.items:
        page.check(f"#f-{item.id}-5")
    page.click("button:has-text('Save and continue')")


def test_leave_part_way_resume_from_the_link_and_submit(
    browser: Any, live_server: Any, invited_live: Invited, instrument: Instrument
) -> None:
    pages = journey_pages(instrument)
    first = browser.new_context(base_url=live_server.url)
    tab = first.new_page()
    tab.goto(f"/r/{invited_live.token}/")
    tab.click("text=Start now")
    for p in pages[:3]:
        _answer_page_with_mouse(tab, instrument, p.slug)
    assert pages[3].slug in tab.url
    first.close()  # the browser is closed part way

    second = browser.new_context(base_url=live_server.url)
    tab = second.new_page()
    tab.goto(f"/r/{invited_live.token}/")
    tab.click("text=Continue where you left off")
    assert pages[3].slug in tab.url
    tab.click("a.govuk-back-link")
    assert tab.locator("input[type=radio]:checked").count() == len(pages[2].items)
    tab.click("button:has-text('Save and continue')")
    for p in pages[3:]:
        if p.items:
            _answer_page_with_mouse(tab, instrument, p.slug)
        else:
            tab.click("button:has-text('Save and continue')")
    tab.click("button:has-text('Submit your answers')")
    assert "Answers submitted" in tab.locator("h1").inner_text()
    tab.go_back()  # the back button after submitting
    tab.reload()
    assert (
        "Answers submitted" in tab.locator("h1").inner_text()
        or "Check" not in tab.locator("h1").inner_text()
    )
    tab.goto("/survey/profile/")
    assert tab.locator("h1").inner_text() == "Your readiness profile"
    assert "Strongly agree" not in tab.locator("main").inner_text()
    assert tab.locator(".app-key-figure__value").first.inner_text().startswith("100")
    second.close()
