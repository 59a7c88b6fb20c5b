"""Back office: a wave's data protection terms (controller, lawful basis, retention)."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from collabready.web.access.policy import Action
from collabready.web.backoffice.forms import PrivacyForm
from collabready.web.backoffice.permissions import object_for, staff_required
from collabready.web.privacy.models import LawfulBasis
from collabready.web.privacy.selectors import purge_due_at, wave_privacy
from collabready.web.privacy.services.settings import PrivacySettingsError, wave_privacy_set
from collabready.web.surveys.models import Wave


@staff_required
@require_http_methods(["GET", "POST"])
def privacy(request: HttpRequest, wave_id: int) -> HttpResponse:
    wave = object_for(request, Wave.objects.all(), wave_id, Action.WAVE_CHANGE)
    terms = wave_privacy(wave=wave)
    initial = {
        "controller": terms.controller,
        "controller_contact": terms.controller_contact,
        "lawful_basis": terms.lawful_basis,
        "retention_days": terms.retention_days,
        "purge_open_answers": terms.purge_open_answers,
        "notice_cy": terms.notice_cy,
    }
    bases = [(value, str(label)) for value, label in LawfulBasis.choices]
    form = PrivacyForm(request.POST or None, bases=bases, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            wave_privacy_set(wave_id=wave.pk, actor=request.user, **form.cleaned_data)
        except PrivacySettingsError as exc:
            for problem in exc.problems:
                form.add_error(None, problem)
        else:
            messages.success(request, "Data protection settings saved.")
            return redirect("backoffice:wave_detail", wave_id=wave.pk)
    return render(
        request,
        "backoffice/privacy.html",
        {"wave": wave, "form": form, "purge_at": purge_due_at(wave=wave)},
        status=400 if form.errors else 200,
    )
