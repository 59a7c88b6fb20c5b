"""Reading responses: one respondent's state, and a whole wave as the core's code matrix."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from django.db.models import Q
from numpy.typing import NDArray

from collabready.analysis import codec as codes
from collabready.analysis.load import ResponseMatrix, from_rows
from collabready.instrument import Instrument
from collabready.web.surveys.instruments import instrument_get
from collabready.web.surveys.journey import (
    Page,
    PageKind,
    first_incomplete_page,
    journey_pages,
    page_complete,
)
from collabready.web.surveys.models import Response, Wave

#: Rows fetched per round trip when loading a wave.
CHUNK_ROWS = 20_000


@dataclass(frozen=True, slots=True)
class ResponseState:
    """One response decoded: its answers and where the respondent has got to."""

    response: Response
    instrument: Instrument
    answers: dict[str, int]
    profile: dict[str, int]
    open_answers: dict[str, str]

    @property
    def submitted(self) -> bool:
        return self.response.submitted_at is not None

    @property
    def open_seen(self) -> bool:
        return all(q.id in self.open_answers for q in self.instrument.open_questions)

    def is_complete(self, page: Page) -> bool:
        if page.kind is PageKind.OPEN:
            return self.open_seen
        return page_complete(page, answers=self.answers, profile=self.profile)

    @property
    def next_page(self) -> Page | None:
        """The first page still to answer (``None``: on to check your answers)."""
        return first_incomplete_page(
            self.instrument, answers=self.answers, profile=self.profile, open_seen=self.open_seen
        )

    @property
    def all_required_answered(self) -> bool:
        return all(
            page_complete(p, answers=self.answers, profile=self.profile)
            for p in journey_pages(self.instrument)
        )


def response_state(*, response_id: int) -> ResponseState:
    """The decoded state of response ``response_id``."""
    response = Response.objects.select_related("wave", "invitation").get(pk=response_id)
    instrument = instrument_get(response.wave.instrument_key)
    return ResponseState(
        response=response,
        instrument=instrument,
        answers=codes.answers_decode(bytes(response.answers), instrument),
        profile=codes.profile_decode(bytes(response.profile), instrument),
        open_answers={k: str(v) for k, v in response.open_answers.items()},
    )


#: The response columns the loader reads, in order.
_ROW_FIELDS = ("pk", "answers", "profile", "organisation_ref", "invitation__organisation")


def organisation_of(ref: str | None, invited: str | None) -> str:
    """Whom a response answers for: its ``organisation_ref`` (an import, a synthetic
    wave), else its invitation's organisation; '' when neither is known (the open link).

    The one place this is decided; :func:`response_organisation` and the wave loader
    use it.
    """
    return ref or invited or ""


def response_organisation(response: Response) -> str:
    """Whom ``response`` answers for (see :func:`organisation_of`)."""
    invitation = response.invitation if response.invitation_id is not None else None
    return organisation_of(response.organisation_ref, invitation.organisation if invitation else "")


def organisation_key(name: str) -> str:
    """An organisation's name as compared: ignoring case and spacing ('' when unknown)."""
    return " ".join(name.split()).casefold()


def organisation_numbers(organisations: Sequence[str]) -> NDArray[np.int64]:
    """A number per organisation (same name, ignoring case and spaces, same number;
    1, 2, ...); 0 where the organisation is not known."""
    keys = np.array([organisation_key(o) for o in organisations], dtype=object)
    known = keys != ""
    out = np.zeros(len(organisations), dtype=np.int64)
    if known.any():
        _, inverse = np.unique(keys[known].astype(str), return_inverse=True)
        out[known] = inverse + 1
    return out


def wave_responses(
    *,
    wave: Wave,
    submitted_only: bool = True,
    sector: str | None = None,
    verified_only: bool = False,
    submission_order: bool = False,
) -> ResponseMatrix:
    """Load a wave's responses into the core's matrix (the thin adapter of
    :mod:`collabready.analysis.load`): the stored answer bytes, streamed, no object
    per row.

    Test responses (``Response.is_test``) are always left out. ``sector`` keeps
    one sector; ``verified_only`` keeps responses whose
    organisation is known (never the open link); ``submission_order`` orders the
    rows by submission time (else by response id).
    """
    instrument = instrument_get(wave.instrument_key)
    # staff test responses (test mode) are never analysed
    rows = Response.objects.filter(wave=wave, is_test=False)
    if submitted_only:
        rows = rows.filter(submitted_at__isnull=False)
    if sector is not None:
        rows = rows.filter(sector=sector)
    if verified_only:
        rows = rows.filter(~Q(organisation_ref="") | Q(invitation__isnull=False))
    ordered = rows.order_by("submitted_at", "pk") if submission_order else rows.order_by("pk")
    ids: list[int] = []
    answers: list[bytes] = []
    profiles: list[bytes] = []
    organisations: list[str] = []
    for pk, answer_bytes, profile_bytes, ref, invited in ordered.values_list(*_ROW_FIELDS).iterator(
        chunk_size=CHUNK_ROWS
    ):
        ids.append(pk)
        answers.append(bytes(answer_bytes))
        profiles.append(bytes(profile_bytes))
        organisations.append(organisation_of(ref, invited))
    numbers = organisation_numbers(organisations)
    return from_rows(
        instrument=instrument,
        response_ids=ids,
        answers=answers,
        profiles=profiles,
        organisation=numbers,
        verified=numbers > 0,
    )
