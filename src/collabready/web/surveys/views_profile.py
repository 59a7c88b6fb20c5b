"""The instant readiness profile."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import get_language

from collabready.web.surveys.access import respondent_required
from collabready.web.surveys.charts import profile_chart
from collabready.web.surveys.selectors.profile import readiness_profile
from collabready.web.surveys.selectors.responses import response_state


@respondent_required
def profile(request: HttpRequest, response_id: int) -> HttpResponse:
    state = response_state(response_id=response_id)
    if not state.submitted:
        return redirect("surveys:start")
    language = get_language() or "en"
    result = readiness_profile(response_id=response_id)
    return render(
        request,
        "surveys/profile.html",
        {
            "profile": result,
            "language": language,
            "chart": profile_chart(result, language=language),
            "wave": state.response.wave,
        },
    )
