"""Back office: a wave's e-mail settings and wording (English and Welsh), previews, tests."""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from collabready.web.access.policy import Action
from collabready.web.backoffice.forms import EmailSettingsForm, EmailTemplateForm
from collabready.web.backoffice.permissions import object_for, staff_required
from collabready.web.surveys.models import EmailKind, Wave
from collabready.web.surveys.services.emails import (
    LANGUAGES,
    PLACEHOLDERS,
    EmailTemplateError,
    email_backend_is_console,
    email_preview,
    email_template_save,
    email_test_send,
    email_text,
)
from collabready.web.surveys.services.waves import WaveError, wave_set_email_settings

LANGUAGE_NAMES = {"en": "English", "cy": "Welsh (Cymraeg)"}


@staff_required
@require_http_methods(["GET", "POST"])
def email_settings(request: HttpRequest, wave_id: int) -> HttpResponse:
    wave = object_for(request, Wave.objects.all(), wave_id, Action.WAVE_CHANGE)
    initial = {
        "sender_name": wave.sender_name,
        "reply_to": wave.reply_to,
        "contact": wave.contact,
        "reminder_days": ", ".join(str(d) for d in wave.reminder_days),
        "reminder_interval_days": wave.reminder_interval_days,
    }
    form = EmailSettingsForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            wave_set_email_settings(wave_id=wave.pk, actor=request.user, **form.cleaned_data)
        except WaveError as exc:
            for problem in exc.problems:
                form.add_error(None, problem)
        else:
            messages.success(request, "E-mail settings saved.")
            return redirect("backoffice:email_settings", wave_id=wave.pk)
    templates = [
        (
            kind.value,
            language,
            LANGUAGE_NAMES[language],
            email_text(wave=wave, kind=kind.value, language=language).custom,
        )
        for kind in EmailKind
        for language in LANGUAGES
    ]
    return render(
        request,
        "backoffice/email_settings.html",
        {
            "wave": wave,
            "form": form,
            "templates": templates,
            "console_email": email_backend_is_console(),
        },
        status=400 if form.errors else 200,
    )


@staff_required
@require_http_methods(["GET", "POST"])
def email_template(request: HttpRequest, wave_id: int, kind: str, language: str) -> HttpResponse:
    """Edit one e-mail's wording; the page shows it as an invitee would receive it."""
    wave = object_for(request, Wave.objects.all(), wave_id, Action.WAVE_CHANGE)
    if kind not in {k.value for k in EmailKind} or language not in LANGUAGES:
        raise Http404("no such e-mail")
    current = email_text(wave=wave, kind=kind, language=language)
    form = EmailTemplateForm(
        request.POST or None, initial={"subject": current.subject, "body": current.body}
    )
    if request.method == "POST" and form.is_valid():
        try:
            email_template_save(wave=wave, kind=kind, language=language, **form.cleaned_data)
        except EmailTemplateError as exc:
            for problem in exc.problems:
                form.add_error(None, problem)
        else:
            messages.success(request, "E-mail wording saved.")
            return redirect(
                "backoffice:email_template", wave_id=wave.pk, kind=kind, language=language
            )
    return render(
        request,
        "backoffice/email_template.html",
        {
            "wave": wave,
            "kind": kind,
            "language": language,
            "language_name": LANGUAGE_NAMES[language],
            "form": form,
            "preview": email_preview(wave=wave, kind=kind, language=language),
            "placeholders": PLACEHOLDERS.items(),
            "custom": current.custom,
            "console_email": email_backend_is_console(),
            "own_address": getattr(request.user, "email", ""),
        },
        status=400 if form.errors else 200,
    )


@staff_required
@require_POST
def email_test(request: HttpRequest, wave_id: int, kind: str, language: str) -> HttpResponse:
    """Send the e-mail, with example values and a dead link, to the staff member's address."""
    wave = object_for(request, Wave.objects.all(), wave_id, Action.WAVE_CHANGE)
    if kind not in {k.value for k in EmailKind} or language not in LANGUAGES:
        raise Http404("no such e-mail")
    address = getattr(request.user, "email", "")
    if not address:
        messages.error(request, "Your account has no e-mail address: add one to send a test.")
    else:
        email_test_send(wave=wave, kind=kind, language=language, to=address, actor=request.user)
        where = (
            " (to the server console: no SMTP server is set up)"
            if (email_backend_is_console())
            else ""
        )
        messages.success(request, f"Test e-mail sent to {address}{where}.")
    return redirect("backoffice:email_template", wave_id=wave.pk, kind=kind, language=language)
