"""Reading a wave for an export: the loader's matrix, plus open answers and last pages.

The matrix comes from the one wave loader
(:func:`collabready.web.surveys.selectors.responses.wave_responses`, streamed
in chunks); what the matrix does not hold (open answers, the page a partial
response was last saved on, whether it was submitted) is read beside it in a
second streamed query and matched to the matrix's rows by response id (both
are in id order), so that a response written between the two queries cannot
shift a value onto another row.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import numpy as np

from collabready.analysis.load import ResponseMatrix
from collabready.formats.export import ExportExtras
from collabready.web.surveys.models import Response, Wave
from collabready.web.surveys.selectors.responses import CHUNK_ROWS, wave_responses


@dataclass(frozen=True, slots=True)
class WaveExportData:
    matrix: ResponseMatrix
    extras: ExportExtras


def wave_export_data(*, wave: Wave, partial: bool, open_answers: bool) -> WaveExportData:
    """The wave's submitted responses (with ``partial``, every started one too: a
    response created with an invitation that was never opened is not one), and the
    extras the export asks for, row for row."""
    matrix = wave_responses(wave=wave, submitted_only=not partial)
    if not partial and not open_answers:
        return WaveExportData(matrix, ExportExtras())
    ids = matrix.respondent_id
    n = len(ids)
    questions = [q.id for q in matrix.instrument.open_questions] if open_answers else []
    opens: dict[str, list[str | None]] = {q: [None] * n for q in questions}
    pages: list[str | None] = [None] * n
    complete = np.ones(n, dtype=np.bool_)
    started = np.ones(n, dtype=np.bool_)
    rows = Response.objects.filter(wave=wave)
    if not partial:
        rows = rows.filter(submitted_at__isnull=False)
    fields = [
        "pk",
        "submitted_at",
        "last_page",
        "started_at",
        *(["open_answers"] if questions else []),
    ]
    at = 0
    for row in rows.order_by("pk").values_list(*fields).iterator(chunk_size=CHUNK_ROWS):
        pk = row[0]
        while at < n and ids[at] < pk:
            at += 1
        if at == n:
            break
        if ids[at] != pk:
            continue  # written after the matrix was read
        complete[at] = row[1] is not None
        pages[at] = row[2] or None
        started[at] = row[1] is not None or row[3] is not None or bool(row[2])
        if questions:
            stored = row[4] or {}
            for q in questions:
                value = stored.get(q)
                opens[q][at] = str(value) if value else None
    matrix = dataclasses.replace(matrix, complete=complete)
    extras = ExportExtras(opens, pages if partial else None)
    if not started.all():
        matrix, extras = matrix.subset(started), extras.subset(np.flatnonzero(started))
    return WaveExportData(matrix, extras)
