"""The instant readiness profile."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import get_language

from collabready.analysis.peers import PEER_SCORE_STEP, PEER_SHARE_STEP
from collabready.web.surveys.access import respondent_loading
from collabready.web.surveys.charts import profile_chart
from collabready.web.surveys.selectors.readiness import response_readiness
from collabready.web.surveys.selectors.responses import ResponseState, response_state


@respondent_loading
def profile(request: HttpRequest, response_id: int) -> HttpResponse:
    state = response_state(response_id=response_id)
    if not state.submitted:
        return redirect("surveys:start")
    language = get_language() or "en"
    result = response_readiness(state=state)
    return render(
        request,
        "surveys/profile.html",
        {
            "profile": result,
            "language": language,
            "chart": profile_chart(result, language=language),
            "wave": state.response.wave,
            "peer_score_step": f"{PEER_SCORE_STEP:.0f}",
            "peer_share_step": f"{PEER_SHARE_STEP:.0f}",
        },
    )


@respondent_loading
def profile_pdf(request: HttpRequest, response_id: int) -> HttpResponse:
    """The respondent's own organisation profile as a PDF (only once submitted)."""
    from collabready.web.reports.readiness_pdf import readiness_pdf
    from collabready.web.surveys.journey import journey_pages
    from collabready.web.surveys.presenters import page_title

    state = response_state(response_id=response_id)
    if not state.submitted:
        missing = [p for p in journey_pages(state.instrument) if not state.is_complete(p)]
        return render(
            request,
            "surveys/profile_pdf_unavailable.html",
            {
                "wave": state.response.wave,
                "missing": [page_title(p, get_language() or "en") for p in missing],
                "continue_url": _continue_url(state),
            },
            status=409,
        )
    data = readiness_pdf(state=state)
    response = HttpResponse(data, content_type="application/pdf")
    response.headers["Content-Disposition"] = (
        f'attachment; filename="readiness-profile-{state.response.wave.slug}.pdf"'
    )
    response.headers["Cache-Control"] = "private, no-store"
    return response


def _continue_url(state: ResponseState) -> str:
    from django.urls import reverse

    page = state.next_page
    if page is None:
        return str(reverse("surveys:check"))
    return str(reverse("surveys:page", kwargs={"slug": page.slug}))
