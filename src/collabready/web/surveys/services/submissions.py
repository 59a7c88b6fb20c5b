"""Submitting a complete response from an integration (the API), in one step.

The answers are checked as the survey pages check them — every rated item and
every profile question answered with one of its codes or choices, open answers
within their length — and every problem is named at once. A response that
passes is stored already submitted, in one transaction; the sector's peer
snapshot is scheduled after commit as for a submission on the web.
"""

from __future__ import annotations

from collections.abc import Mapping

from django.db import transaction
from django.utils import timezone

from collabready.analysis import codec as codes
from collabready.errors import UserError
from collabready.instrument import Instrument
from collabready.web.surveys.errors import WaveClosedError
from collabready.web.surveys.instruments import instrument_get
from collabready.web.surveys.models import Response, Wave
from collabready.web.surveys.pageforms import item_codes
from collabready.web.surveys.selectors.waves import wave_is_open
from collabready.web.surveys.services.peers import peer_snapshot_schedule
from collabready.web.surveys.services.responses import response_new


class SubmissionError(UserError):
    """A submitted response has problems; ``problems`` lists each with where it is."""

    def __init__(self, problems: list[tuple[str, str]]) -> None:
        super().__init__(f"{len(problems)} problem(s) in the response; nothing was stored")
        self.problems = problems


def _checked(
    instrument: Instrument,
    answers: Mapping[str, int],
    profile: Mapping[str, str],
    open_answers: Mapping[str, str],
) -> tuple[dict[str, int], dict[str, int], list[tuple[str, str]]]:
    problems: list[tuple[str, str]] = []
    known_items = {item.id: item for item in instrument.items}
    for item_id in answers:
        if item_id not in known_items:
            problems.append((f"answers.{item_id}", f"{instrument.key} has no item {item_id!r}"))
    coded: dict[str, int] = {}
    for item_id, item in known_items.items():
        allowed = item_codes(instrument, item)
        code = answers.get(item_id)
        if code is None:
            problems.append((f"answers.{item_id}", "not answered: every item needs an answer"))
        elif code not in allowed:
            problems.append(
                (f"answers.{item_id}", f"{code} is not one of {', '.join(map(str, allowed))}")
            )
        else:
            coded[item_id] = code
    questions = {q.id: q for q in instrument.profile}
    for question_id in profile:
        if question_id not in questions:
            problems.append((f"profile.{question_id}", f"no profile question {question_id!r}"))
    profile_codes: dict[str, int] = {}
    for question_id, question in questions.items():
        value = profile.get(question_id)
        values = [c.value for c in question.choices]
        if value is None:
            problems.append((f"profile.{question_id}", "not answered: choose " + ", ".join(values)))
        elif value not in values:
            problems.append(
                (f"profile.{question_id}", f"{value!r} is not one of {', '.join(values)}")
            )
        else:
            profile_codes[question_id] = question.choice_by_value(value).code
    open_ids = {q.id: q for q in instrument.open_questions}
    for question_id, text in open_answers.items():
        oq = open_ids.get(question_id)
        if oq is None:
            problems.append((f"open_answers.{question_id}", f"no open question {question_id!r}"))
        elif len(text) > oq.max_length:
            problems.append(
                (f"open_answers.{question_id}", f"longer than {oq.max_length} characters")
            )
    return coded, profile_codes, problems


def response_submit_complete(
    *,
    wave: Wave,
    answers: Mapping[str, int],
    profile: Mapping[str, str],
    open_answers: Mapping[str, str] | None = None,
    organisation_ref: str = "",
    language: str = "en",
) -> Response:
    """Store a complete response to ``wave`` as submitted (all or nothing)."""
    if not wave_is_open(wave=wave):
        raise WaveClosedError(f"the survey {wave.name} is not open for answers")
    instrument = instrument_get(wave.instrument_key)
    texts = {k: v.replace("\r\n", "\n").strip() for k, v in (open_answers or {}).items()}
    coded, profile_codes, problems = _checked(instrument, answers, profile, texts)
    if len(organisation_ref) > 300:
        problems.append(("organisation_ref", "longer than 300 characters"))
    if language not in instrument.languages:
        problems.append(
            ("language", f"{language!r} is not one of {', '.join(instrument.languages)}")
        )
    if problems:
        raise SubmissionError(problems)
    now = timezone.now()
    response = response_new(wave=wave, instrument=instrument)
    response.answers = codes.answers_update(bytes(response.answers), instrument, coded)
    response.profile = codes.profile_update(bytes(response.profile), instrument, profile_codes)
    response.open_answers = texts
    response.sector = profile.get("sector", "")
    response.organisation_ref = organisation_ref.strip()
    response.language = language
    response.started_at = now
    response.submitted_at = now
    response.version = 1
    with transaction.atomic():
        response.save()
        if response.organisation_ref and response.sector:
            wave_id, sector = wave.pk, response.sector
            transaction.on_commit(
                lambda: peer_snapshot_schedule(wave_id=wave_id, sector=sector), robust=True
            )
    return response
