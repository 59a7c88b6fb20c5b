"""Reading and checking the answers posted from one question page.

The field name of a rated statement or profile question is its id; the value
is a code. Errors follow the GOV.UK pattern: one message per field, in page
order, each linking to the field's first input.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field

from django.utils.translation import gettext as _

from collabready.instrument import DONT_KNOW, Instrument, Item, ProfileQuestion
from collabready.web.surveys.journey import Page


@dataclass(frozen=True, slots=True)
class FieldError:
    field_id: str
    anchor: str
    message: str


@dataclass(frozen=True, slots=True)
class PageInput:
    """What was posted from a page: valid values, and errors for the rest."""

    answers: dict[str, int] = field(default_factory=dict)
    profile: dict[str, int] = field(default_factory=dict)
    open_answers: dict[str, str] = field(default_factory=dict)
    errors: tuple[FieldError, ...] = ()

    @property
    def is_valid(self) -> bool:
        return not self.errors


def field_anchor(field_id: str) -> str:
    """The HTML id of a field's first input (the error summary links to it)."""
    return f"f-{field_id}"


def item_codes(instrument: Instrument, item: Item) -> tuple[int, ...]:
    scale = instrument.scale(item.scale)
    codes = tuple(o.code for o in scale.options)
    return (*codes, DONT_KNOW) if scale.dont_know is not None else codes


#: A posted code or version: ASCII digits only (``str.isdigit`` also accepts "²" and
#: other Unicode digits, which ``int`` refuses), and short (``int`` refuses more
#: than 4,300 digits, and nothing here needs more than nine).
_NUMBER = re.compile(r"[0-9]{1,9}")


def _number(raw: str | None) -> int | None:
    if raw is None:
        return None
    text = raw.strip()
    return int(text) if _NUMBER.fullmatch(text) else None


def posted_version(raw: str | None) -> int | None:
    """The check page's ``version`` field, or None when it is missing or malformed."""
    return _number(raw)


def _code(raw: str | None, allowed: tuple[int, ...]) -> int | None:
    code = _number(raw)
    return code if code is not None and code in allowed else None


def page_read(
    page: Page, instrument: Instrument, data: Mapping[str, str], *, language: str
) -> PageInput:
    """Check the posted ``data`` for ``page``; every rated and profile question is required."""
    answers: dict[str, int] = {}
    profile: dict[str, int] = {}
    open_answers: dict[str, str] = {}
    errors: list[FieldError] = []
    for question in page.questions:
        allowed = tuple(c.code for c in question.choices)
        code = _code(data.get(question.id), allowed)
        if code is None:
            errors.append(_required(question, language))
        else:
            profile[question.id] = code
    for number, item in enumerate(page.items, start=1):
        code = _code(data.get(item.id), item_codes(instrument, item))
        if code is None:
            message = _("Select an answer for statement %(number)s: %(statement)s") % {
                "number": number,
                "statement": item.text.get(language),
            }
            errors.append(FieldError(item.id, field_anchor(item.id), message))
        else:
            answers[item.id] = code
    for oq in page.open_questions:
        text = (data.get(oq.id) or "").replace("\r\n", "\n").strip()
        if len(text) > oq.max_length:
            message = _("Your answer must be %(max)s characters or fewer") % {"max": oq.max_length}
            errors.append(FieldError(oq.id, field_anchor(oq.id), message))
        else:
            open_answers[oq.id] = text
    return PageInput(answers, profile, open_answers, tuple(errors))


def page_posted_text(page: Page, data: Mapping[str, str]) -> dict[str, str]:
    """The open answers as typed, to show again beside an error."""
    return {oq.id: data.get(oq.id) or "" for oq in page.open_questions}


def _required(question: ProfileQuestion, language: str) -> FieldError:
    message = _("Select an answer for: %(question)s") % {"question": question.text.get(language)}
    return FieldError(question.id, field_anchor(question.id), message)
