"""The respondent's own data: see their answers, and delete them (thin views)."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from collabready.web.privacy.services.erasure import response_erase
from collabready.web.surveys.access import SESSION_KEY, respondent_loading, respondent_required
from collabready.web.surveys.presenters import check_answers_view
from collabready.web.surveys.selectors.responses import response_state


@respondent_loading
@require_http_methods(["GET"])
def your_answers(request: HttpRequest, response_id: int) -> HttpResponse:
    state = response_state(response_id=response_id)
    sections = check_answers_view(state, language=get_language() or "en")
    return render(request, "privacy/your_answers.html", {"sections": sections})


@respondent_required
@require_http_methods(["GET", "POST"])
def delete(request: HttpRequest, response_id: int) -> HttpResponse:
    if request.method == "GET":
        return render(request, "privacy/delete.html", {})
    if request.POST.get("confirm") != "yes":
        error = _("Select 'Yes, delete my answers' to delete them")
        return render(request, "privacy/delete.html", {"error": error}, status=400)
    response_erase(
        response_id=response_id, by="respondent", actor_label=f"respondent:{response_id}"
    )
    request.session.pop(SESSION_KEY, None)
    request.session.cycle_key()
    return render(request, "privacy/deleted.html", {})
