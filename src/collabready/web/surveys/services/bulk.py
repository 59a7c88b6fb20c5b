"""Loading many responses at once (synthetic waves, imports) into the compact layout."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
from django.db import transaction
from django.utils import timezone

from collabready.analysis.codec import PROFILE_MISSING
from collabready.instrument import MISSING
from collabready.web.surveys.instruments import instrument_get
from collabready.web.surveys.models import Response, Wave
from collabready.web.surveys.selectors.counts import monitoring_forget

if TYPE_CHECKING:
    import polars as pl

BATCH_ROWS = 5_000


def responses_bulk_load(*, wave: Wave, responses: pl.DataFrame, synthetic: bool = True) -> int:
    """Insert one response per row of a synthetic-wave frame; complete rows count as submitted.

    The frame has one Int8 column per item id (null = missing), the profile
    columns as choice values, optional ``open_*`` text columns and a ``complete``
    flag (see :func:`collabready.synth.generate_wave`); an ``organisation_id``
    column is kept as ``organisation_ref`` (the cluster in analysis). One transaction.
    """
    instrument = instrument_get(wave.instrument_key)
    n = responses.height
    items = (
        responses.select(list(instrument.item_ids))
        .fill_null(MISSING)
        .to_numpy()
        .astype(np.int8, copy=False)
    )
    answers = np.ascontiguousarray(items)
    profile = np.full((n, len(instrument.profile)), PROFILE_MISSING, dtype=np.int8)
    for j, question in enumerate(instrument.profile):
        if question.id not in responses.columns:
            continue
        lookup = {c.value: c.code for c in question.choices}
        values = responses.get_column(question.id).to_list()
        profile[:, j] = [
            lookup.get(v, PROFILE_MISSING) if v is not None else PROFILE_MISSING for v in values
        ]
    sectors = (
        responses.get_column("sector").fill_null("").to_list()
        if "sector" in responses.columns
        else [""] * n
    )
    organisations = (
        [str(v) if v is not None else "" for v in responses.get_column("organisation_id").to_list()]
        if "organisation_id" in responses.columns
        else [""] * n
    )
    complete = (
        responses.get_column("complete").to_list()
        if "complete" in responses.columns
        else [True] * n
    )
    open_ids = [q.id for q in instrument.open_questions if q.id in responses.columns]
    open_columns = {q: responses.get_column(q).to_list() for q in open_ids}
    now = timezone.now()
    rows = (
        Response(
            wave=wave,
            answers=answers[i].tobytes(),
            profile=profile[i].tobytes(),
            open_answers={q: open_columns[q][i] or "" for q in open_ids},
            sector=sectors[i],
            organisation_ref=organisations[i],
            language="en",
            last_page="open" if complete[i] else "",
            version=1,
            synthetic=synthetic,
            started_at=now,
            submitted_at=now if complete[i] else None,
        )
        for i in range(n)
    )
    with transaction.atomic():
        created = Response.objects.bulk_create(rows, batch_size=BATCH_ROWS)
        monitoring_forget(wave_id=wave.pk)  # stored with their own submission time
    return len(created)
