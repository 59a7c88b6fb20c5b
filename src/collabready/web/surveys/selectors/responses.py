"""Reading responses: one respondent's state, and a whole wave as a code matrix."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
from numpy.typing import NDArray

from collabready.instrument import Instrument
from collabready.web.surveys import codes
from collabready.web.surveys.instruments import instrument_get
from collabready.web.surveys.journey import (
    Page,
    PageKind,
    first_incomplete_page,
    journey_pages,
    page_complete,
)
from collabready.web.surveys.models import Response, Wave

if TYPE_CHECKING:
    import pandas as pd

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


@dataclass(frozen=True, slots=True)
class WaveMatrix:
    """A wave's responses as column-major int8 matrices.

    ``codes`` has one row per response and one column per ``item_ids`` entry;
    ``profile_codes`` one column per ``profile_ids`` entry (0 = not answered).
    """

    instrument_key: str
    response_ids: NDArray[np.int64]
    item_ids: tuple[str, ...]
    codes: NDArray[np.int8]
    profile_ids: tuple[str, ...]
    profile_codes: NDArray[np.int8]

    def __len__(self) -> int:
        return int(self.response_ids.shape[0])

    def profile_values(self, question_id: str, instrument: Instrument) -> NDArray[np.object_]:
        """A profile column as choice values (``None`` where not answered)."""
        question = instrument.profile_question(question_id)
        lookup = np.full(128, None, dtype=object)
        for choice in question.choices:
            lookup[choice.code] = choice.value
        return lookup[self.profile_codes[:, self.profile_ids.index(question_id)].astype(np.int64)]

    def to_frame(self, instrument: Instrument) -> pd.DataFrame:
        """``response_id``, the profile values, then one Int8 column per item."""
        import pandas as pd

        data: dict[str, object] = {"response_id": self.response_ids}
        for question_id in self.profile_ids:
            data[question_id] = pd.Categorical(
                self.profile_values(question_id, instrument),
                categories=[c.value for c in instrument.profile_question(question_id).choices],
            )
        frame = pd.DataFrame(data)
        items = pd.DataFrame(self.codes, columns=list(self.item_ids), copy=False)
        return pd.concat([frame, items], axis=1)


def wave_matrix(
    *, wave: Wave, submitted_only: bool = True, sector: str | None = None
) -> WaveMatrix:
    """Load a wave's responses into the column-major code matrix the core uses."""
    instrument = instrument_get(wave.instrument_key)
    rows = Response.objects.filter(wave=wave)
    if submitted_only:
        rows = rows.filter(submitted_at__isnull=False)
    if sector is not None:
        rows = rows.filter(sector=sector)
    ids: list[int] = []
    answers: list[bytes] = []
    profiles: list[bytes] = []
    for pk, answer_bytes, profile_bytes in (
        rows.order_by("pk").values_list("pk", "answers", "profile").iterator(chunk_size=CHUNK_ROWS)
    ):
        ids.append(pk)
        answers.append(answer_bytes)
        profiles.append(profile_bytes)
    return WaveMatrix(
        instrument_key=instrument.key,
        response_ids=np.asarray(ids, dtype=np.int64),
        item_ids=instrument.item_ids,
        codes=codes.matrix_from_rows(answers, len(instrument.item_ids)),
        profile_ids=tuple(q.id for q in instrument.profile),
        profile_codes=codes.matrix_from_rows(profiles, len(instrument.profile)),
    )


def organisation_key(name: str) -> str:
    """An organisation's name as compared: ignoring case and spacing ('' when unknown)."""
    return " ".join(name.split()).casefold()


def response_organisation(response: Response) -> str:
    """Whom a response answers for: its ``organisation_ref``, else its invitation's
    organisation ('' when neither is known, as for an open-link response)."""
    if response.organisation_ref:
        return response.organisation_ref
    return response.invitation.organisation if response.invitation_id is not None else ""


def organisation_numbers(organisations: list[str]) -> NDArray[np.int64]:
    """A number per organisation (same name, ignoring case and spaces, same number);
    a response with no organisation is its own cluster."""
    keys = np.array([organisation_key(o) for o in organisations], dtype=object)
    known = keys != ""
    out = np.empty(len(organisations), dtype=np.int64)
    if known.any():
        _, inverse = np.unique(keys[known].astype(str), return_inverse=True)
        out[known] = inverse + 1
    start = int(out[known].max()) + 1 if known.any() else 1
    out[~known] = np.arange(start, start + int((~known).sum()), dtype=np.int64)
    return out
