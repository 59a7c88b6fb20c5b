"""Reading what a report needs from the database: a wave's responses as the table
the core reads, its margins, and what is known about its fieldwork.

:func:`wave_responses_frame` returns the same columns as a response file
(``collabready synth``'s output, read by ``collabready report --data``):
``respondent_id`` (the response id), ``organisation_id`` (a number per
organisation, for clustering), the profile columns as choice values, one Int8
column per item (null = not answered) and ``complete``. It streams the compact
answer bytes (docs/adr/0001-response-storage.md) and builds the columns with
numpy: no model instance per row.
"""

from __future__ import annotations

import hashlib
import io
from dataclasses import dataclass
from datetime import date

import numpy as np
import polars as pl
from django.db.models import Count, Max
from django.utils import timezone

from collabready.instrument import MISSING, Instrument
from collabready.web.reports.errors import UnknownWaveError
from collabready.web.reports.models import ReportJob, WaveMargins
from collabready.web.surveys import codes
from collabready.web.surveys.instruments import instrument_get
from collabready.web.surveys.models import Invitation, Response, Wave
from collabready.web.surveys.selectors.responses import organisation_numbers

#: Rows fetched per round trip.
CHUNK_ROWS = 20_000


def wave_by_name(*, name: str) -> Wave:
    """The wave whose short name (slug) or full name is ``name``."""
    wave = Wave.objects.filter(slug=name).first() or Wave.objects.filter(name=name).first()
    if wave is None:
        known = list(Wave.objects.order_by("slug").values_list("slug", flat=True)[:20])
        listed = ", ".join(known) if known else "there are no waves"
        raise UnknownWaveError(f"--wave {name}: no wave with that name in the database ({listed})")
    return wave


def wave_responses_frame(*, wave: Wave) -> pl.DataFrame:
    """The wave's submitted responses, one row each, as the report core reads them."""
    instrument = instrument_get(wave.instrument_key)
    rows = (
        Response.objects.filter(wave=wave, submitted_at__isnull=False)
        .order_by("pk")
        .values_list("pk", "answers", "profile", "organisation_ref", "invitation__organisation")
    )
    ids: list[int] = []
    answers: list[bytes] = []
    profiles: list[bytes] = []
    organisations: list[str] = []
    for pk, answer_bytes, profile_bytes, ref, invited_org in rows.iterator(chunk_size=CHUNK_ROWS):
        ids.append(pk)
        answers.append(answer_bytes)
        profiles.append(profile_bytes)
        organisations.append(ref or invited_org or "")
    item_codes = codes.matrix_from_rows(answers, len(instrument.item_ids))
    profile_codes = codes.matrix_from_rows(profiles, len(instrument.profile))
    return responses_frame(
        instrument=instrument,
        response_ids=np.asarray(ids, dtype=np.int64),
        organisations=organisations,
        item_codes=item_codes,
        profile_codes=profile_codes,
    )


def responses_frame(
    *,
    instrument: Instrument,
    response_ids: np.ndarray,
    organisations: list[str],
    item_codes: np.ndarray,
    profile_codes: np.ndarray,
) -> pl.DataFrame:
    """Assemble the report table from the code matrices (column by column, vectorised)."""
    n = int(response_ids.shape[0])
    columns: list[pl.Series] = [
        pl.Series("respondent_id", response_ids, dtype=pl.Int64),
        pl.Series("organisation_id", organisation_numbers(organisations), dtype=pl.Int64),
    ]
    for j, question in enumerate(instrument.profile):
        lookup = np.full(256, None, dtype=object)
        for choice in question.choices:
            lookup[choice.code] = choice.value
        values = lookup[profile_codes[:, j].astype(np.uint8)] if n else np.array([], dtype=object)
        columns.append(pl.Series(question.id, values, dtype=pl.Utf8))
    for j, item_id in enumerate(instrument.item_ids):
        column = np.ascontiguousarray(item_codes[:, j])
        columns.append(
            pl.Series(item_id, column, dtype=pl.Int8).set(pl.Series(column == MISSING), None)
            if n
            else pl.Series(item_id, [], dtype=pl.Int8)
        )
    columns.append(pl.Series("complete", np.ones(n, dtype=bool), dtype=pl.Boolean))
    return pl.DataFrame(columns)


@dataclass(frozen=True, slots=True)
class StoredMargins:
    frame: pl.DataFrame
    sha256: str
    filename: str


def wave_margins(*, wave: Wave) -> StoredMargins | None:
    """The margins uploaded for the wave (variable, level, population_total), if any."""
    stored = WaveMargins.objects.filter(wave=wave).first()
    if stored is None:
        return None
    frame = pl.read_csv(
        io.StringIO(stored.content),
        schema_overrides={"variable": pl.Utf8, "level": pl.Utf8, "population_total": pl.Float64},
    ).select("variable", "level", "population_total")
    return StoredMargins(frame, stored.sha256, stored.filename)


def content_sha256(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


@dataclass(frozen=True, slots=True)
class FieldworkFacts:
    start: date | None
    end: date | None
    #: sector -> invited, only when every submitted response came through an invitation
    invited: tuple[tuple[str, int], ...]


def wave_fieldwork(*, wave: Wave) -> FieldworkFacts:
    """Fieldwork dates (opening to closing, or to the last submission while open) and
    the number invited per sector (for response rates)."""
    local = timezone.localtime
    start = local(wave.opens_at).date()
    now = timezone.now()
    if wave.closed_at is not None:
        end: date | None = local(wave.closed_at).date()
    elif wave.closes_at <= now:
        end = local(wave.closes_at).date()
    else:
        last = Response.objects.filter(wave=wave, submitted_at__isnull=False).aggregate(
            last=Max("submitted_at")
        )["last"]
        end = local(last).date() if last else None
    submitted = Response.objects.filter(wave=wave, submitted_at__isnull=False)
    invited: tuple[tuple[str, int], ...] = ()
    if submitted.exists() and not submitted.filter(invitation__isnull=True).exists():
        invited = tuple(
            (row["sector"], row["n"])
            for row in Invitation.objects.filter(wave=wave)
            .exclude(sector="")
            .values("sector")
            .annotate(n=Count("pk"))
            .order_by("sector")
        )
    return FieldworkFacts(start, end if end and end >= start else None, invited)


def wave_sector_choices(*, wave: Wave) -> list[tuple[str, str]]:
    """The sectors of the wave's instrument, as (value, label)."""
    instrument = instrument_get(wave.instrument_key)
    question = instrument.profile_question("sector")
    return [(c.value, c.label.get()) for c in question.choices]


def report_jobs_for_wave(*, wave: Wave, limit: int = 50) -> list[ReportJob]:
    return list(ReportJob.objects.filter(wave=wave).select_related("created_by")[:limit])
