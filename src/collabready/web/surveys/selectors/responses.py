"""Reading responses: one respondent's state, and a whole wave as the core's code matrix."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

import numpy as np
import polars as pl
from django.db import connection
from django.db.models import F, Q, QuerySet
from numpy.typing import NDArray

from collabready.analysis import codec as codes
from collabready.analysis.load import ResponseMatrix, from_rows
from collabready.instrument import Instrument
from collabready.web.surveys.errors import ResponseGoneError
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
    """The decoded state of response ``response_id``
    (:class:`~collabready.web.surveys.errors.ResponseGoneError` when there is none)."""
    try:
        response = Response.objects.select_related("wave", "invitation").get(pk=response_id)
    except Response.DoesNotExist:
        raise ResponseGoneError("these answers no longer exist") from None
    return response_state_of(response)


def response_state_of(response: Response, instrument: Instrument | None = None) -> ResponseState:
    """The decoded state of ``response``, a row already read (with its wave)."""
    if instrument is None:
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


#: What ``str.split()`` treats as space among ASCII characters (Python's, not regex ``\\s``).
_ASCII_SPACE = r"[\t\n\x0b\x0c\r\x1c-\x1f ]+"


def organisation_numbers(organisations: Sequence[str] | pl.Series) -> NDArray[np.int64]:
    """A number per organisation (same name, ignoring case and spaces, same number;
    1, 2, ... in order of first appearance); 0 where the organisation is not known.

    Vectorised (polars) for ASCII names; any other name goes through
    :func:`organisation_key` itself, so names are compared exactly as
    ``organisation_key`` compares them.
    """
    names = pl.Series(organisations, dtype=pl.Utf8)
    key = names.str.replace_all(_ASCII_SPACE, " ").str.strip_chars(" ").str.to_lowercase()
    other = np.flatnonzero((names.str.len_bytes() != names.str.len_chars()).to_numpy())
    if other.size:  # not ASCII: Python's own split and casefold
        key = key.scatter(other, [organisation_key(organisations[int(i)]) for i in other])
    known = (key != "").to_numpy()
    out = np.zeros(len(organisations), dtype=np.int64)
    if known.any():
        out[known] = _first_appearance(key.filter(key != "")) + 1
    return out


def _first_appearance(key: pl.Series) -> NDArray[np.int64]:
    """0, 1, ... for each distinct value of ``key``, in order of first appearance.

    Grouped by 64-bit hash (polars finds each row's first row of the same hash, no
    sort), then checked: every value must equal the first value of its hash group,
    else (a collision) grouped by the values themselves.
    """
    import polars as pl

    first = (
        pl.DataFrame({"hash": key.hash(seed=0)})
        .with_row_index()
        .select(pl.col("index").first().over("hash"))
        .to_series()
        .to_numpy()
        .astype(np.int64)
    )
    if not (key.gather(first) == key).all():  # a hash collision
        levels = key.unique(maintain_order=True)
        return key.cast(pl.Enum(levels)).to_physical().to_numpy().astype(np.int64)
    rank = np.cumsum(first == np.arange(first.size)) - 1
    out: NDArray[np.int64] = rank[first]
    return out


def wave_responses(
    *,
    wave: Wave,
    submitted_only: bool = True,
    sector: str | None = None,
    verified_only: bool = False,
    submission_order: bool = False,
    submitted_until: datetime | None = None,
) -> ResponseMatrix:
    """Load a wave's responses into the core's matrix (the thin adapter of
    :mod:`collabready.analysis.load`): the stored answer bytes, streamed, no object
    per row.

    Test responses (``Response.is_test``) are always left out. ``sector`` keeps
    one sector; ``verified_only`` keeps responses whose organisation is known
    (never the open link); ``submission_order`` orders the rows by submission time
    (else by response id); ``submitted_until`` keeps the submissions up to that
    moment (a convenor's release, :mod:`~collabready.web.surveys.services.release`).
    """
    instrument = instrument_get(wave.instrument_key)
    # staff test responses (test mode) are never analysed
    rows = Response.objects.filter(wave=wave, is_test=False)
    if submitted_only:
        rows = rows.filter(submitted_at__isnull=False)
    if submitted_until is not None:
        rows = rows.filter(submitted_at__lte=submitted_until)
    if sector is not None:
        rows = rows.filter(sector=sector)
    if verified_only:
        rows = rows.filter(~Q(organisation_ref="") | Q(invitation__isnull=False))
    if _joins_rows_in_database():
        loaded = _rows_postgresql(rows, instrument, submission_order=submission_order)
        if loaded is not None:
            joined_ids, answers, profiles, organisations = loaded
            numbers = organisation_numbers(organisations)
            return from_rows(
                instrument=instrument,
                response_ids=joined_ids,
                answers=answers,
                profiles=profiles,
                organisation=numbers,
                verified=numbers > 0,
            )
    ordered = rows.order_by("submitted_at", "pk") if submission_order else rows.order_by("pk")
    ids: list[int] = []
    answer_rows: list[bytes] = []
    profile_rows: list[bytes] = []
    names: list[str] = []
    for pk, answer_bytes, profile_bytes, ref, invited in ordered.values_list(*_ROW_FIELDS).iterator(
        chunk_size=CHUNK_ROWS
    ):
        ids.append(pk)
        answer_rows.append(bytes(answer_bytes))
        profile_rows.append(bytes(profile_bytes))
        names.append(organisation_of(ref, invited))
    numbers = organisation_numbers(names)
    return from_rows(
        instrument=instrument,
        response_ids=ids,
        answers=answer_rows,
        profiles=profile_rows,
        organisation=numbers,
        verified=numbers > 0,
    )


def _joins_rows_in_database() -> bool:
    return connection.vendor == "postgresql"


def _rows_postgresql(
    rows: QuerySet[Response], instrument: Instrument, *, submission_order: bool
) -> tuple[NDArray[np.int64], bytes, bytes, pl.Series] | None:
    """The rows of ``rows`` in one round trip, in binary: PostgreSQL joins each row's
    id, submission time, answer and profile bytes into one record and all records into
    one value (``string_agg``), and each row's id and organisation name into a second
    one, so no Python object is made per row; the rows are put in order here (sorting
    them in the database spills to disk). ``None`` when some row's bytes do not have
    the instrument's width (then the row-by-row path reads them and the codec names
    the problem)."""
    import psycopg
    import pyarrow as pa

    selected = rows.order_by().values(
        r_id=F("pk"),
        r_answers=F("answers"),
        r_profile=F("profile"),
        r_ref=F("organisation_ref"),
        r_invited=F("invitation__organisation"),
        r_at=F("submitted_at"),
    )
    inner, params = selected.query.sql_with_params()
    width, profile_width = len(instrument.item_ids), len(instrument.profile)
    # the name in the client's encoding, UTF-8 (Django sets it on every connection)
    name = "textsend(coalesce(nullif(t.r_ref, ''), nullif(t.r_invited, ''), ''))"
    # only fixed text and the ORM's own compiled query go into the SQL; values are params
    sql = (
        "SELECT count(*),"  # noqa: S608
        " coalesce(bool_and(octet_length(t.r_answers) = %s AND octet_length(t.r_profile) = %s),"
        " true),"
        # the submission time as sent in binary (microseconds since 2000, big-endian;
        # none: 'infinity', the largest int8): exact, and no numeric arithmetic per row
        " string_agg(int8send(t.r_id)"
        " || timestamptz_send(coalesce(t.r_at, 'infinity'))"
        f" || int4send(octet_length({name}))"
        " || t.r_answers || t.r_profile, ''::bytea),"
        f" string_agg(int8send(t.r_id) || {name}, ''::bytea)"
        f" FROM ({inner}) t"
    )
    connection.ensure_connection()
    raw = connection.connection
    assert isinstance(raw, psycopg.Connection)
    with psycopg.Cursor(raw) as cursor:
        cursor.execute(sql, (width, profile_width, *params), binary=True)
        found = cursor.fetchone()
    assert found is not None
    count, fits, joined, joined_names = found
    if not fits:
        return None
    if not count:
        return np.zeros(0, dtype=np.int64), b"", b"", pl.Series([], dtype=pl.Utf8)
    record = np.dtype(
        [
            ("id", ">i8"),
            ("at", ">i8"),
            ("name_bytes", ">i4"),
            ("answers", "i1", (width,)),
            ("profile", "i1", (profile_width,)),
        ]
    )
    records = np.frombuffer(joined, dtype=record, count=count)
    record_ids = records["id"].astype(np.int64)
    # the names' value: each row's id (8 bytes) then its name (name_bytes bytes)
    lengths = records["name_bytes"].astype(np.int64)
    name_bytes = np.frombuffer(joined_names, dtype=np.uint8)
    ends = np.cumsum(lengths + 8)
    if name_bytes.size != ends[-1]:
        return None
    id_bytes = (ends - lengths - 8)[:, None] + np.arange(8)
    if not np.array_equal(name_bytes[id_bytes].view(">i8").ravel(), record_ids):
        return None  # the aggregates saw the rows in different orders: read row by row
    text = np.delete(name_bytes, id_bytes.ravel())
    offsets = np.concatenate([np.zeros(1, dtype=np.int64), np.cumsum(lengths)])
    names = pl.from_arrow(
        pa.Array.from_buffers(
            pa.large_string(), count, [None, pa.py_buffer(offsets), pa.py_buffer(text)]
        )
    )
    assert isinstance(names, pl.Series)
    if submission_order:
        order = np.lexsort((record_ids, records["at"]))
    elif np.all(record_ids[1:] > record_ids[:-1]):
        # already in id order (a table read in the order it was written): no copy
        return record_ids, records["answers"].tobytes(), records["profile"].tobytes(), names
    else:
        order = np.argsort(record_ids)
    return (
        record_ids[order],
        records["answers"][order].tobytes(),
        records["profile"][order].tobytes(),
        names.gather(order),
    )
