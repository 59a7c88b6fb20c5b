"""Writing responses: start, save a page, submit exactly once.

Every write runs in one transaction holding the response row's lock, so a page
saved twice, from two tabs or after a timeout, is never half-written. On
PostgreSQL the row is read and locked by one statement (:func:`_locked`):
``FOR NO KEY UPDATE`` of the response (one writer of a response at a time) and
``FOR SHARE`` of its wave (the wave cannot be closed, reopened, released or
changed while the save runs, yet the saves of a wave's many respondents never
wait for each other); SQLite serialises writers. The final submission is a
conditional ``UPDATE ... WHERE submitted_at IS NULL``: it succeeds for exactly
one request, whatever races it.

A page save is four statements on PostgreSQL (``BEGIN``, the locked read,
``UPDATE``, ``COMMIT``); :func:`response_save_posted` returns the saved state,
so the view derives the next page from it without reading the response again.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from django.db import connection, transaction
from django.db.models import F, Field
from django.utils import timezone

from collabready.analysis import codec as codes
from collabready.instrument import Instrument
from collabready.web.surveys.errors import (
    PageNotFoundError,
    ResponseChangedError,
    ResponseGoneError,
    ResponseIncompleteError,
    ResponseSubmittedError,
    WaveClosedError,
)
from collabready.web.surveys.instruments import instrument_get
from collabready.web.surveys.journey import (
    Page,
    PageKind,
    journey_page,
    journey_pages,
    page_complete,
)
from collabready.web.surveys.models import Invitation, Response, Wave
from collabready.web.surveys.pageforms import PageInput
from collabready.web.surveys.selectors.responses import ResponseState, response_state_of
from collabready.web.surveys.selectors.waves import wave_accepts_answers
from collabready.web.surveys.services.peers import peer_snapshot_schedule


class SubmitOutcome(StrEnum):
    SUBMITTED = "submitted"
    ALREADY_SUBMITTED = "already_submitted"


@dataclass(frozen=True, slots=True)
class SavedPage:
    version: int


@dataclass(frozen=True, slots=True)
class PostedPage:
    """A page save's outcome: the page, what was read from the post (valid values
    saved, errors for the rest), and the response's state once saved."""

    page: Page
    page_input: PageInput
    state: ResponseState

    @property
    def version(self) -> int:
        return int(self.state.response.version)


#: Reads the posted answers for a page of an instrument (the view's form reading).
PageReader = Callable[[Page, Instrument], PageInput]


def response_new(
    *, wave: Wave, instrument: Instrument, invitation: Invitation | None = None
) -> Response:
    """An unsaved response row for ``wave``: no answers; the profile questions the
    invitation answers (sector, size, region, ...) prefilled, for the respondent to
    check and correct."""
    profile = codes.profile_empty(instrument)
    if invitation is not None:
        profile = codes.profile_update(
            profile, instrument, _invited_profile(instrument, invitation)
        )
    return Response(
        wave=wave,
        invitation=invitation,
        answers=codes.answers_empty(instrument),
        profile=profile,
        sector=invitation.sector if invitation is not None else "",
    )


def _invited_profile(instrument: Instrument, invitation: Invitation) -> dict[str, int]:
    known = {"sector": invitation.sector, **{k: str(v) for k, v in invitation.details.items()}}
    codes_: dict[str, int] = {}
    for question in instrument.profile:
        value = known.get(question.id)
        if not value:
            continue
        try:
            codes_[question.id] = question.choice_by_value(value).code
        except KeyError:
            continue
    return codes_


def response_create(*, wave: Wave, language: str = "en") -> Response:
    """A new anonymous response through the wave's open link."""
    if not wave.open_link_enabled:
        raise WaveClosedError(f"wave {wave.slug} has no open link")
    _check_open(wave)
    response = response_new(wave=wave, instrument=instrument_get(wave.instrument_key))
    response.language = language
    response.started_at = timezone.now()
    response.save()
    return response


def response_save_page(
    *, response_id: int, page: Page, page_input: PageInput, language: str
) -> SavedPage:
    """Save the valid answers posted from ``page`` (all or nothing)."""
    saved = response_save_posted(
        response_id=response_id,
        slug=page.slug,
        read=lambda _page, _instrument: page_input,
        language=language,
    )
    return SavedPage(version=saved.version)


def response_save_posted(
    *, response_id: int, slug: str, read: PageReader, language: str
) -> PostedPage:
    """Save the valid answers posted from page ``slug`` (all or nothing), in one
    transaction holding the response's lock; ``read`` reads the post against the
    page and the response's instrument.

    Raises :class:`PageNotFoundError` (no such page), :class:`ResponseGoneError`,
    :class:`ResponseSubmittedError` and :class:`WaveClosedError`, writing nothing.
    """
    with transaction.atomic():
        response = _locked(response_id)
        instrument = instrument_get(response.wave.instrument_key)
        page = journey_page(instrument, slug)
        if page is None:
            raise PageNotFoundError(f"there is no question page {slug!r}")
        if response.submitted_at is not None:
            raise ResponseSubmittedError("these answers have been submitted and cannot be changed")
        _check_open(response.wave, test=response.is_test)
        page_input = read(page, instrument)
        fields = [
            "answers",
            "profile",
            "open_answers",
            "language",
            "last_page",
            "version",
            "updated_at",
        ]
        if page_input.answers:
            response.answers = codes.answers_update(
                bytes(response.answers), instrument, page_input.answers
            )
        if page_input.profile:
            response.profile = codes.profile_update(
                bytes(response.profile), instrument, page_input.profile
            )
            sector = _sector_value(instrument, page_input.profile)
            if sector is not None:
                response.sector = sector
                fields.append("sector")
        if page.kind is PageKind.OPEN:
            response.open_answers = {**response.open_answers, **page_input.open_answers}
        if response.started_at is None:
            response.started_at = timezone.now()
            fields.append("started_at")
        response.language = language
        response.last_page = page.slug
        response.version += 1
        _update(response, fields)
        return PostedPage(page, page_input, response_state_of(response, instrument))


def response_submit(*, response_id: int, expected_version: int | None) -> SubmitOutcome:
    """Record the final submission exactly once; later calls report it was already done."""
    with transaction.atomic():
        response = _locked(response_id)
        if response.submitted_at is not None:
            return SubmitOutcome.ALREADY_SUBMITTED
        _check_open(response.wave, test=response.is_test)
        if expected_version is not None and response.version != expected_version:
            raise ResponseChangedError(
                "your answers changed in another window after this page was shown: check them again"
            )
        instrument = instrument_get(response.wave.instrument_key)
        answers = codes.answers_decode(bytes(response.answers), instrument)
        profile = codes.profile_decode(bytes(response.profile), instrument)
        missing = tuple(
            p.slug
            for p in journey_pages(instrument)
            if not page_complete(p, answers=answers, profile=profile)
        )
        if missing:
            raise ResponseIncompleteError("some questions are not answered yet", page_slugs=missing)
        updated = Response.objects.filter(pk=response_id, submitted_at__isnull=True).update(
            submitted_at=timezone.now(), version=F("version") + 1
        )
        verified = (
            bool(response.organisation_ref) or response.invitation_id is not None
        ) and not response.is_test
        if updated == 1 and verified and response.sector:
            # the sector's peer benchmark may have gained an organisation (open-link
            # responses never count towards it)
            wave_id, sector = response.wave_id, response.sector
            # robust: a failure to schedule is logged and never fails the submission
            transaction.on_commit(
                lambda: peer_snapshot_schedule(wave_id=wave_id, sector=sector), robust=True
            )
    return SubmitOutcome.SUBMITTED if updated == 1 else SubmitOutcome.ALREADY_SUBMITTED


def _locked(response_id: int) -> Response:
    """Response ``response_id`` with its wave, read and locked until the transaction ends.

    On PostgreSQL one statement: ``FOR NO KEY UPDATE`` of the response (it
    conflicts with every other writer of the row, and with erasing it) and
    ``FOR SHARE`` of the wave (it conflicts with every change to the wave, which all
    lock it ``FOR UPDATE``, but not with the other saves of the wave). Elsewhere
    the ORM's ``select_for_update`` (SQLite serialises writers).
    """
    if connection.vendor != "postgresql":
        try:
            locked: Response = (
                Response.objects.select_for_update().select_related("wave").get(pk=response_id)
            )
        except Response.DoesNotExist:
            raise ResponseGoneError("these answers no longer exist") from None
        return locked
    sql, response_columns, wave_columns = _locked_sql()
    with connection.cursor() as cursor:
        cursor.execute(sql, [response_id])
        row = cursor.fetchone()
    if row is None:
        raise ResponseGoneError("these answers no longer exist")
    n = len(response_columns)
    response: Response = _from_db(Response, response_columns, row[:n])
    response.wave = _from_db(Wave, wave_columns, row[n:])
    return response


#: Per column: the attribute, the column's name, the expression (a column) and its
#: converters.
_Columns = tuple[tuple[str, str, Any, tuple[Callable[..., Any], ...]], ...]
_LOCKED_SQL: tuple[str, _Columns, _Columns] | None = None


def _locked_sql() -> tuple[str, _Columns, _Columns]:
    """The locked read's SQL, and each column's attribute, field and converters
    (those the ORM's compiler applies: a JSON column is decoded, for example)."""
    global _LOCKED_SQL  # noqa: PLW0603 (built once per process)
    if _LOCKED_SQL is None:
        quote = connection.ops.quote_name

        def columns(model: type[Response] | type[Wave], alias: str) -> _Columns:
            out = []
            for f in model._meta.concrete_fields:
                col = f.get_col(alias)
                converters = connection.ops.get_db_converters(col) + col.get_db_converters(
                    connection
                )
                out.append((f.attname, str(f.column), col, tuple(converters)))
            return tuple(out)

        response_columns = columns(Response, "r")
        wave_columns = columns(Wave, "w")
        selected = ", ".join(
            [f"r.{quote(name)}" for _, name, _, _ in response_columns]
            + [f"w.{quote(name)}" for _, name, _, _ in wave_columns]
        )
        sql = (
            f"SELECT {selected} FROM {quote(Response._meta.db_table)} r"  # noqa: S608
            f" JOIN {quote(Wave._meta.db_table)} w ON w.id = r.wave_id"
            " WHERE r.id = %s"
            " FOR NO KEY UPDATE OF r FOR SHARE OF w"
        )
        _LOCKED_SQL = (sql, response_columns, wave_columns)
    return _LOCKED_SQL


def _from_db(model: Any, columns: _Columns, values: Any) -> Any:
    converted = []
    for (_, _, col, converters), raw in zip(columns, values, strict=True):
        value = raw
        for convert in converters:
            value = convert(value, col, connection)
        converted.append(value)
    return model.from_db(connection.alias, [attname for attname, _, _, _ in columns], converted)


def _update(response: Response, fields: list[str]) -> None:
    """``response.save(update_fields=fields)`` as one plain ``UPDATE``: the same
    values, prepared by each field as the ORM prepares them (``auto_now`` included),
    without building the query each time. No signal handlers listen to responses."""
    quote = connection.ops.quote_name
    assignments = []
    params: list[Any] = []
    for name in fields:
        field = Response._meta.get_field(name)
        assert isinstance(field, Field)
        assignments.append(f"{quote(str(field.column))} = %s")
        params.append(field.get_db_prep_save(field.pre_save(response, False), connection))
    sql = (
        f"UPDATE {quote(Response._meta.db_table)} SET {', '.join(assignments)}"  # noqa: S608
        " WHERE id = %s"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [*params, response.pk])
        updated = cursor.rowcount
    if updated != 1:  # the row is locked: it cannot have gone
        raise ResponseGoneError("these answers no longer exist")


def _check_open(wave: Wave, *, test: bool = False) -> None:
    if not wave_accepts_answers(wave=wave, test=test):
        raise WaveClosedError(f"the survey {wave.name} is not open for answers")


def _sector_value(instrument: Instrument, profile: dict[str, int]) -> str | None:
    if "sector" not in profile:
        return None
    try:
        return instrument.profile_question("sector").choice_by_code(profile["sector"]).value
    except KeyError:
        return None
