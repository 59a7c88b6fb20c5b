"""The respondent journey: thin views over the survey services and selectors."""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import get_language, ngettext
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from collabready.web.surveys.access import (
    client_address,
    respondent_loading,
    session_open_response,
)
from collabready.web.surveys.errors import (
    PageNotFoundError,
    ResponseChangedError,
    ResponseIncompleteError,
    ResponseSubmittedError,
    TokenExpiredError,
    TokenInvalidError,
    TooManyAttemptsError,
    WaveClosedError,
)
from collabready.web.surveys.journey import Page, journey_page, page_before
from collabready.web.surveys.pageforms import (
    FieldError,
    field_anchor,
    page_posted_text,
    page_read,
    posted_version,
)
from collabready.web.surveys.presenters import check_answers_view, page_view
from collabready.web.surveys.selectors.responses import ResponseState, response_state
from collabready.web.surveys.selectors.waves import wave_accepts_answers
from collabready.web.surveys.services.responses import (
    response_save_posted,
    response_submit,
)
from collabready.web.surveys.services.tokens import token_expires_at, token_resolve


def _language() -> str:
    return get_language() or "en"


def _next_url(state: ResponseState) -> str:
    page = state.next_page
    if page is None:
        return _url("surveys:check")
    return _url("surveys:page", slug=page.slug)


def _url(name: str, **kwargs: str) -> str:
    from django.urls import reverse

    return str(reverse(name, kwargs=kwargs or None))


@require_http_methods(["GET"])
def token_enter(request: HttpRequest, token: str) -> HttpResponse:
    """A personal link or resume link: open its response in this session."""
    try:
        response = token_resolve(token=token, client=client_address(request))
    except TooManyAttemptsError as exc:
        return render(
            request,
            "surveys/problem.html",
            {"problem": "throttled", "message": str(exc)},
            status=429,
        )
    except TokenExpiredError:
        return render(request, "surveys/problem.html", {"problem": "expired"}, status=410)
    except TokenInvalidError:
        return render(request, "surveys/problem.html", {"problem": "bad_link"}, status=404)
    session_open_response(request, response.pk)
    if response.submitted_at is not None:
        return redirect("surveys:profile")
    return redirect("surveys:start")


@respondent_loading
def start(request: HttpRequest, response_id: int) -> HttpResponse:
    """The start page: purpose, time needed, privacy; start or continue."""
    state = response_state(response_id=response_id)
    if state.submitted:
        return redirect("surveys:confirmation")
    return render(
        request,
        "surveys/start.html",
        {
            "wave": state.response.wave,
            "instrument": state.instrument,
            "introduction": state.instrument.introduction.get(_language()),
            "started": state.response.version > 0,
            "is_open": wave_accepts_answers(wave=state.response.wave, test=state.response.is_test),
            "is_test": state.response.is_test,
            "token_expires_at": token_expires_at(state.response.wave),
            "continue_url": _next_url(state),
        },
    )


@respondent_loading
@require_http_methods(["GET", "POST"])
def question_page(request: HttpRequest, response_id: int, slug: str) -> HttpResponse:
    """One page of questions: show it, or save what was posted and move on."""
    if request.method == "POST":
        return _question_page_post(request, response_id, slug)
    state = response_state(response_id=response_id)
    page = journey_page(state.instrument, slug)
    if page is None:
        raise Http404("no such page")
    if state.submitted:
        return _already_submitted(request)
    if not wave_accepts_answers(wave=state.response.wave, test=state.response.is_test):
        return render(request, "surveys/problem.html", {"problem": "closed"}, status=403)
    context = _page_context(request, state, page)
    context["page"] = page_view(page, state, language=_language())
    return render(request, "surveys/page.html", context)


def _question_page_post(request: HttpRequest, response_id: int, slug: str) -> HttpResponse:
    """Save a posted page: one locked read and one write (the response's saved state,
    returned by the save, gives the next page: nothing is read again)."""
    language = _language()
    try:
        saved = response_save_posted(
            response_id=response_id,
            slug=slug,
            read=lambda page, instrument: page_read(
                page, instrument, request.POST, language=language
            ),
            language=language,
        )
    except PageNotFoundError:
        raise Http404("no such page") from None
    except ResponseSubmittedError:
        return _already_submitted(request)
    except WaveClosedError:
        return render(request, "surveys/problem.html", {"problem": "closed"}, status=403)
    if request.POST.get("action") == "later":
        return redirect("surveys:saved")
    posted = saved.page_input
    if posted.is_valid:
        return redirect(_url("surveys:check") if _returning(request) else _next_url(saved.state))
    context = _page_context(request, saved.state, saved.page)
    context["page"] = page_view(
        saved.page,
        saved.state,
        language=language,
        posted={**posted.answers, **posted.profile},
        posted_text=page_posted_text(saved.page, request.POST),
        errors=posted.errors,
    )
    return render(request, "surveys/page.html", context, status=200)


def _already_submitted(request: HttpRequest) -> HttpResponse:
    messages.info(
        request, _("You have already submitted your answers. They can no longer be changed.")
    )
    return redirect("surveys:confirmation")


def _returning(request: HttpRequest) -> bool:
    return request.GET.get("return") == "check" or request.POST.get("return") == "check"


def _page_context(request: HttpRequest, state: ResponseState, page: Page) -> dict[str, object]:
    returning = _returning(request)
    previous = page_before(state.instrument, page)
    back_url = (
        _url("surveys:check")
        if returning
        else _url("surveys:page", slug=previous.slug)
        if previous
        else _url("surveys:start")
    )
    return {"back_url": back_url, "returning": returning}


@respondent_loading
@require_http_methods(["GET", "POST"])
def check_answers(request: HttpRequest, response_id: int) -> HttpResponse:
    """Check your answers; posting it submits them (exactly once)."""
    state = response_state(response_id=response_id)
    if state.submitted:
        return redirect("surveys:confirmation")
    changed = False
    errors: tuple[FieldError, ...] = ()
    if request.method == "POST":
        version_raw = request.POST.get("version", "").strip()
        version = posted_version(version_raw)
        try:
            if version_raw and version is None:
                # a malformed version cannot show which answers were checked: show them again
                raise ResponseChangedError("the page did not say which answers were checked")
            response_submit(response_id=response_id, expected_version=version)
        except ResponseChangedError:
            changed = True
        except ResponseIncompleteError as exc:
            errors = tuple(
                FieldError(
                    slug,
                    f"section-{slug}",
                    _("Answer every question in this section: %(section)s") % {"section": s.title},
                )
                for slug in exc.page_slugs
                for s in check_answers_view(state, language=_language())
                if s.slug == slug
            )
        except WaveClosedError:
            return render(request, "surveys/problem.html", {"problem": "closed"}, status=403)
        else:
            return redirect("surveys:confirmation")
        state = response_state(response_id=response_id)
    pages = list(check_answers_view(state, language=_language()))
    last = pages[-1].slug if pages else None
    return render(
        request,
        "surveys/check.html",
        {
            "sections": pages,
            "version": state.response.version,
            "changed": changed,
            "errors": errors,
            "complete": state.all_required_answered,
            "back_url": _url("surveys:page", slug=last) if last else _url("surveys:start"),
            "field_anchor": field_anchor,
        },
        status=409 if changed else 200,
    )


@respondent_loading
def confirmation(request: HttpRequest, response_id: int) -> HttpResponse:
    state = response_state(response_id=response_id)
    if not state.submitted:
        return redirect(_next_url(state))
    return render(
        request,
        "surveys/confirmation.html",
        {"wave": state.response.wave, "invited": state.response.invitation_id is not None},
    )


@respondent_loading
def saved(request: HttpRequest, response_id: int) -> HttpResponse:
    """Answers saved: how to come back (personal link, or a resume code by e-mail)."""
    from collabready.web.surveys.errors import TooManyEmailsError
    from collabready.web.surveys.forms import ResumeEmailForm
    from collabready.web.surveys.services.invitations import resume_code_send

    state = response_state(response_id=response_id)
    invited = state.response.invitation_id is not None
    form = ResumeEmailForm(request.POST or None)
    sent = False
    status = 200
    if request.method == "POST" and not invited and form.is_valid():
        try:
            resume_code_send(
                response=state.response,
                email=form.cleaned_data["email"],
                client=client_address(request),
            )
        except TooManyEmailsError as exc:
            minutes = max(1, exc.window_seconds // 60)
            form.add_error(
                "email",
                ngettext(
                    "You have asked for too many resume codes. Wait %(minutes)s minute "
                    "and try again, or carry on answering now",
                    "You have asked for too many resume codes. Wait %(minutes)s minutes "
                    "and try again, or carry on answering now",
                    minutes,
                )
                % {"minutes": minutes},
            )
            status = 429
        else:
            sent = True
    return render(
        request,
        "surveys/saved.html",
        {
            "invited": invited,
            "form": form,
            "sent": sent,
            "wave": state.response.wave,
            "continue_url": _next_url(state),
        },
        status=status,
    )


@require_http_methods(["GET", "POST"])
def sign_out(request: HttpRequest) -> HttpResponse:
    """Sign out: the session forgets its response (posted from the "Sign out" button;
    a GET only shows the page, so a link cannot sign anyone out)."""
    if request.method == "POST":
        request.session.flush()
    return render(request, "surveys/signed_out.html")
