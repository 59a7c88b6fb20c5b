"""Back office: invitation lists (upload, template, invitee list and export) and sending."""

from __future__ import annotations

from django.contrib import messages
from django.core.paginator import Paginator
from django.db import transaction
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from collabready.web.access.policy import Action
from collabready.web.audit.services import audit_record
from collabready.web.backoffice.forms import InvitationUploadForm
from collabready.web.backoffice.permissions import object_for, staff_required
from collabready.web.surveys.errors import EmailServerError, InvitationImportError, WaveClosedError
from collabready.web.surveys.instruments import instrument_get
from collabready.web.surveys.models import Wave
from collabready.web.surveys.selectors.invitees import (
    STATUS_LABELS,
    invitees_csv,
    invitees_search,
)
from collabready.web.surveys.selectors.monitoring import invitee_status_counts
from collabready.web.surveys.selectors.waves import wave_accepts_emails
from collabready.web.surveys.services.emails import email_backend_is_console
from collabready.web.surveys.services.invitation_files import accepted_values
from collabready.web.surveys.services.invitations import (
    PROFILE_COLUMNS,
    invitation_template_csv,
    invitations_due,
    invitations_import_csv,
    invitations_send,
)

MAX_UPLOAD_BYTES = 20 * 1024 * 1024
PAGE_SIZE = 100


def _accepted(wave: Wave) -> list[tuple[str, list[tuple[str, int, str]]]]:
    instrument = instrument_get(wave.instrument_key)
    return [
        (q.id, accepted_values(q))
        for q in instrument.profile
        if q.id in ("sector", *PROFILE_COLUMNS)
    ]


@staff_required
def invitations_upload(request: HttpRequest, wave_id: int) -> HttpResponse:
    wave = object_for(request, Wave.objects.all(), wave_id, Action.INVITATION_CREATE)
    form = InvitationUploadForm(request.POST or None, request.FILES or None)
    problems: list[str] = []
    already = 0
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        if upload.size > MAX_UPLOAD_BYTES:
            problems = [f"the file is larger than {MAX_UPLOAD_BYTES // (1024 * 1024)} MB"]
        else:
            try:
                result = invitations_import_csv(
                    wave=wave,
                    data=upload.read(),
                    filename=upload.name or "",
                    skip_existing=form.cleaned_data["skip_existing"],
                )
            except InvitationImportError as exc:
                problems = exc.problems
                already = len(getattr(exc, "already", []))
            else:
                note = f" Skipped {result.skipped} already invited." if result.skipped else ""
                extra = (
                    f" Kept the other column(s) {', '.join(result.extra_columns)} as details."
                    if result.extra_columns
                    else ""
                )
                messages.success(
                    request,
                    f"Imported {result.created} invitations (read as {result.described}).{note}"
                    f"{extra}",
                )
                return redirect("backoffice:wave_detail", wave_id=wave.pk)
    return render(
        request,
        "backoffice/invitations_upload.html",
        {
            "wave": wave,
            "form": form,
            "problems": problems,
            "already": already,
            "accepted": _accepted(wave),
        },
        status=400 if problems else 200,
    )


@staff_required
def invitations_template(request: HttpRequest, wave_id: int) -> HttpResponse:
    wave = object_for(request, Wave.objects.all(), wave_id, Action.INVITATION_VIEW)
    response = HttpResponse(invitation_template_csv(wave=wave), content_type="text/csv")
    response["Content-Disposition"] = f'attachment; filename="invitations-{wave.slug}.csv"'
    return response


@staff_required
def invitees(request: HttpRequest, wave_id: int) -> HttpResponse:
    """The invitee list with each person's status; filter by status and search."""
    wave = object_for(request, Wave.objects.all(), wave_id, Action.PERSONAL_DATA_VIEW)
    status = request.GET.get("status", "")
    query = request.GET.get("q", "")[:200]
    rows = invitees_search(wave=wave, status=status, query=query)
    page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    with transaction.atomic():
        audit_record("invitees.view", actor=request.user, obj=wave, status=status, page=page.number)
    return render(
        request,
        "backoffice/invitees.html",
        {
            "wave": wave,
            "page": page,
            "status": status,
            "query": query,
            "labels": STATUS_LABELS,
            "counts": invitee_status_counts(wave=wave),
        },
    )


@staff_required
def invitees_export(request: HttpRequest, wave_id: int) -> StreamingHttpResponse:
    wave = object_for(request, Wave.objects.all(), wave_id, Action.PERSONAL_DATA_VIEW)
    status = request.GET.get("status", "")
    with transaction.atomic():
        audit_record("invitees.export", actor=request.user, obj=wave, status=status)
    response = StreamingHttpResponse(
        invitees_csv(wave=wave, status=status), content_type="text/csv"
    )
    suffix = f"-{status}" if status in STATUS_LABELS else ""
    response["Content-Disposition"] = f'attachment; filename="invitees-{wave.slug}{suffix}.csv"'
    response["Cache-Control"] = "private, no-store"
    return response


@staff_required
@require_http_methods(["GET", "POST"])
def invitations_send_view(request: HttpRequest, wave_id: int) -> HttpResponse:
    """GET: how many would be e-mailed (and whether e-mail goes to the console); POST: send."""
    wave = object_for(request, Wave.objects.all(), wave_id, Action.INVITATION_CREATE)
    reminder = (request.POST.get("kind") or request.GET.get("kind")) == "reminder"
    what = "reminders" if reminder else "invitations"
    if request.method == "POST":
        try:
            result = invitations_send(wave=wave, reminder=reminder, actor=request.user)
        except (WaveClosedError, EmailServerError) as exc:
            messages.error(request, f"Not sent: {exc}")
        else:
            messages.success(request, f"Sent {result.sent} {what}.")
            if result.undeliverable:
                messages.warning(
                    request,
                    f"{len(result.undeliverable)} could not be delivered and are marked "
                    "undeliverable (see the invitee list).",
                )
        return redirect("backoffice:wave_detail", wave_id=wave.pk)
    return render(
        request,
        "backoffice/send_confirm.html",
        {
            "wave": wave,
            "kind": "reminder" if reminder else "invitation",
            "what": what,
            "due": invitations_due(wave=wave, reminder=reminder),
            "accepts": wave_accepts_emails(wave=wave),
            "console_email": email_backend_is_console(),
        },
    )
