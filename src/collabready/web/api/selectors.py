"""What the API reads: instruments as data, pages of invitations and responses, one
response's scores, a wave's aggregates (through the analysis pipeline and its gate).

No figure is computed here: scores come from :func:`collabready.scoring.score_matrix`
(as the readiness profile's do), aggregates from
:func:`collabready.analysis.tables.analyse_responses`, which publishes every cell
through :func:`collabready.analysis.gate.publish`.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.db.models import QuerySet

from collabready.analysis import codec
from collabready.errors import UserError
from collabready.instrument import MISSING, Instrument, Text
from collabready.web.api.common import ApiError, finite
from collabready.web.surveys.instruments import instrument_get
from collabready.web.surveys.models import Invitation, Response, Wave


def _text(text: Text | None) -> dict[str, str]:
    return dict(text.by_language) if text is not None else {}


def instrument_summary(instrument: Instrument) -> dict[str, Any]:
    return {
        "key": instrument.key,
        "id": instrument.id,
        "version": instrument.version,
        "title": _text(instrument.title),
        "languages": list(instrument.languages),
        "items": len(instrument.item_ids),
    }


def instrument_detail(instrument: Instrument) -> dict[str, Any]:
    """The questionnaire as data: items in answer order, scales, profile, open questions."""
    scales = {item.scale for item in instrument.items}

    def option(o: Any) -> dict[str, Any]:
        return {"code": o.code, "label": _text(o.label)}

    return {
        **instrument_summary(instrument),
        "blocks": list(instrument.block_ids),
        "item_order": list(instrument.item_ids),
        "items": [
            {
                "id": i.id,
                "block": i.block,
                "text": _text(i.text),
                "scale": i.scale,
                "reverse": i.reverse,
            }
            for i in instrument.items
        ],
        "scales": [
            {
                "id": s.id,
                "options": [option(o) for o in s.options],
                "dont_know": option(s.dont_know) if s.dont_know is not None else None,
            }
            for s in (instrument.scale(sid) for sid in sorted(scales))
        ],
        "profile": [
            {
                "id": q.id,
                "text": _text(q.text),
                "choices": [
                    {"code": c.code, "value": c.value, "label": _text(c.label)} for c in q.choices
                ],
            }
            for q in instrument.profile
        ],
        "open_questions": [
            {"id": q.id, "text": _text(q.text), "max_length": q.max_length}
            for q in instrument.open_questions
        ],
    }


def invitation_rows(*, wave: Wave) -> QuerySet[Invitation]:
    return Invitation.objects.filter(wave=wave).select_related("response")


def invitation_status(invitation: Invitation, *, personal: bool) -> dict[str, Any]:
    response = getattr(invitation, "response", None)
    return {
        "id": invitation.pk,
        "email": invitation.email if personal else None,
        "name": invitation.name if personal else None,
        "organisation": invitation.organisation,
        "sector": invitation.sector,
        "invited_at": invitation.invited_at,
        "reminded_at": invitation.reminded_at,
        "reminders_sent": invitation.reminders_sent,
        "started": response is not None and response.started_at is not None,
        "submitted": response is not None and response.submitted_at is not None,
    }


def response_rows(*, wave: Wave) -> QuerySet[Response]:
    """The wave's submitted responses (what the API lists)."""
    return Response.objects.filter(wave=wave, submitted_at__isnull=False).only(
        "pk",
        "wave_id",
        "submitted_at",
        "sector",
        "language",
        "answers",
        "profile",
        "open_answers",
    )


_PROFILE_TABLES: dict[tuple[str, int], tuple[tuple[str, dict[int, str]], ...]] = {}


def _profile_table(instrument: Instrument) -> tuple[tuple[str, dict[int, str]], ...]:
    """Per profile question, in stored order: its id and code -> choice value (built once)."""
    key = (instrument.key, id(instrument))
    table = _PROFILE_TABLES.get(key)
    if table is None:
        table = tuple((q.id, {c.code: c.value for c in q.choices}) for q in instrument.profile)
        _PROFILE_TABLES[key] = table
    return table


def response_data(response: Response, instrument: Instrument, *, personal: bool) -> dict[str, Any]:
    """One response as the API shows it: codes in item order, profile as choice values
    (the codec's layout: one byte per item, one per profile question, 0 not answered)."""
    stored = bytes(response.answers)
    if len(stored) != len(instrument.item_ids):
        codec.answers_decode(stored, instrument)  # raises, naming what is wrong
    answers = [None if c == MISSING else c for c in stored]
    table = _profile_table(instrument)
    profile = {
        qid: values[code]
        for (qid, values), code in zip(table, bytes(response.profile), strict=True)
        if code in values
    }
    return {
        "id": response.pk,
        "wave_id": response.wave_id,
        "submitted_at": response.submitted_at,
        "sector": response.sector,
        "language": response.language,
        "answers": answers,
        "profile": profile,
        "open_answers": dict(response.open_answers) if personal else None,
    }


def response_scores(response: Response) -> dict[str, Any]:
    """The response's scores, by the core's scoring (as its readiness profile)."""
    from collabready.scoring import score_matrix

    instrument = instrument_get(response.wave.instrument_key)
    row = codec.matrix_from_rows([bytes(response.answers)], len(instrument.item_ids))
    result = score_matrix(row, instrument)
    labels = result.level_labels()
    return {
        "response_id": response.pk,
        "instrument_key": instrument.key,
        "scores": {c: finite(float(result.values[0, j])) for j, c in enumerate(result.columns)},
        "level": labels[0] if labels[0] is not None else None,
    }


def wave_aggregates(
    *, wave: Wave, by: list[str], submitted_until: datetime | None = None
) -> dict[str, Any]:
    """The wave's weighted estimates, every cell through the disclosure gate;
    ``submitted_until``: of the submissions up to then (a convenor's release)."""
    from collabready.analysis.policy import DEFAULT_K
    from collabready.analysis.tables import analyse_responses
    from collabready.analysis.weighting import as_margins
    from collabready.web.reports.selectors import wave_margins
    from collabready.web.surveys.selectors.responses import wave_responses

    stored = wave_margins(wave=wave)
    if stored is None:
        raise ApiError(
            409,
            f"wave {wave.slug} has no population margins: upload them in the back office "
            "(Reports, Weighting margins) before asking for aggregates",
        )
    matrix = wave_responses(wave=wave, submitted_until=submitted_until)
    if len(matrix) == 0:
        raise ApiError(409, f"wave {wave.slug}: no submitted responses yet")
    try:
        analysis = analyse_responses(
            matrix, margins=as_margins(stored.frame), by=by, k=DEFAULT_K, source=f"wave {wave.slug}"
        )
    except UserError as exc:
        raise ApiError(422, str(exc)) from None
    cells = []
    for cell in analysis.cells:
        e = cell.estimate
        cells.append(
            {
                "variable": cell.variable,
                "grouping": cell.grouping,
                "domain": cell.domain,
                "status": str(cell.status.value),
                "estimate": None
                if e is None
                else {
                    "value": e.value,
                    "se": finite(e.se),
                    "ci_low": finite(e.ci_low),
                    "ci_high": finite(e.ci_high),
                    "df": finite(e.df),
                    "n": e.n,
                },
            }
        )
    return {
        "wave_id": wave.pk,
        "k": analysis.k,
        "n_respondents": analysis.n_respondents,
        "submitted_until": submitted_until,
        "by": list(analysis.by),
        "cells": cells,
    }
