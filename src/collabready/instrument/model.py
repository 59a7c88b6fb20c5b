"""The instrument: a versioned questionnaire, as immutable typed data.

An :class:`Instrument` is what a loaded questionnaire file becomes once it has
passed both validation stages (see :mod:`collabready.instrument.loader`).
Nothing here does I/O; everything is frozen.

Texts are :class:`Text` mappings from a language code (``"en"``, ``"cy"``) to
the string in that language.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Final

#: Response-matrix code for "not answered" (also what a null becomes).
MISSING: Final = 9
#: Response-matrix code for "Don't know".
DONT_KNOW: Final = 8


class Dimension(StrEnum):
    """What a building-block statement measures."""

    COMMITMENT = "commitment"
    CAPACITY = "capacity"


class SectionKind(StrEnum):
    """The kinds of rated-item section outside the building blocks."""

    ENABLERS = "enablers"
    ENVIRONMENT = "environment"
    OUTCOMES = "outcomes"


class QuestionType(StrEnum):
    """How a profile question is answered."""

    SINGLE_CHOICE = "single_choice"


@dataclass(frozen=True, slots=True)
class Text:
    """A text keyed by language code."""

    by_language: Mapping[str, str]

    def get(self, language: str = "en", *, fallback: str = "en") -> str:
        """The text in ``language``, or in ``fallback`` when it has none."""
        if language in self.by_language:
            return self.by_language[language]
        return self.by_language[fallback]

    def __str__(self) -> str:
        return self.get()


@dataclass(frozen=True, slots=True)
class ScaleOption:
    code: int
    label: Text


@dataclass(frozen=True, slots=True)
class Scale:
    """An ordered rating scale; ``options`` run from lowest (code 1) up."""

    id: str
    options: tuple[ScaleOption, ...]
    dont_know: ScaleOption | None

    @property
    def points(self) -> int:
        return len(self.options)


@dataclass(frozen=True, slots=True)
class Item:
    """One rated statement.

    ``dimension`` is set for building-block items; ``facet`` names the part of
    a section an item belongs to (for enablers: ``leaders``, ``incentives``,
    ``tools_skills``, ``time_resources``; for the operating environment:
    ``helps`` or ``hinders``).
    """

    id: str
    text: Text
    scale: str
    reverse: bool = False
    dimension: Dimension | None = None
    facet: str | None = None
    block: str | None = None
    section: str | None = None


@dataclass(frozen=True, slots=True)
class Block:
    """One of the building blocks of the index.

    ``short_label`` is the block's heading in narrow tables (``cit`` for
    Citizens); the loader checks that no two blocks share one.
    """

    id: str
    title: Text
    description: Text
    items: tuple[Item, ...]
    guidance: tuple[Text, ...]
    short_label: Text

    def items_for(self, dimension: Dimension) -> tuple[Item, ...]:
        return tuple(i for i in self.items if i.dimension is dimension)


@dataclass(frozen=True, slots=True)
class Section:
    """A group of rated items outside the blocks (enablers, environment, outcomes)."""

    id: str
    kind: SectionKind
    title: Text
    description: Text
    items: tuple[Item, ...]


@dataclass(frozen=True, slots=True)
class Choice:
    code: int
    value: str
    label: Text


@dataclass(frozen=True, slots=True)
class ProfileQuestion:
    """A profile question (sector, role, ...) answered by choosing one option."""

    id: str
    text: Text
    type: QuestionType
    choices: tuple[Choice, ...]
    hint: Text | None = None

    def choice_by_code(self, code: int) -> Choice:
        for c in self.choices:
            if c.code == code:
                return c
        raise KeyError(f"{self.id}: no choice with code {code}")

    def choice_by_value(self, value: str) -> Choice:
        for c in self.choices:
            if c.value == value:
                return c
        raise KeyError(f"{self.id}: no choice with value {value!r}")


@dataclass(frozen=True, slots=True)
class OpenQuestion:
    id: str
    text: Text
    hint: Text | None = None
    max_length: int = 2000


@dataclass(frozen=True, slots=True)
class Focus:
    """The block the national report singles out (CRI: Citizens).

    The report compares it with each other block and states a finding when it
    scores below all of them. ``rationale`` opens the report's comparison
    section (the block's description when ``None``); ``lag_finding`` is the
    finding's opening clause (none when ``None``).
    """

    block: str
    rationale: Text | None = None
    lag_finding: Text | None = None


@dataclass(frozen=True, slots=True)
class Level:
    """A named readiness band: scores in ``[lower, upper)`` (the top band includes 100)."""

    id: str
    lower: float
    upper: float
    label: Text
    description: Text


@dataclass(frozen=True, slots=True)
class Instrument:
    """A validated, immutable questionnaire definition."""

    id: str
    version: str
    title: Text
    introduction: Text
    languages: tuple[str, ...]
    estimated_minutes: int
    scales: tuple[Scale, ...]
    profile: tuple[ProfileQuestion, ...]
    blocks: tuple[Block, ...]
    sections: tuple[Section, ...]
    open_questions: tuple[OpenQuestion, ...]
    levels: tuple[Level, ...]
    min_blocks_for_index: int = 4
    #: The question asked of every rated statement ("how far do you agree ...").
    item_prompt: Text | None = None
    #: The block the national report singles out, if any (see :class:`Focus`).
    focus: Focus | None = None

    # -- lookups -----------------------------------------------------------
    def scale(self, scale_id: str) -> Scale:
        for s in self.scales:
            if s.id == scale_id:
                return s
        raise KeyError(f"unknown scale {scale_id!r}")

    def block(self, block_id: str) -> Block:
        for b in self.blocks:
            if b.id == block_id:
                return b
        raise KeyError(f"unknown block {block_id!r}")

    def section(self, section_id: str) -> Section:
        for s in self.sections:
            if s.id == section_id:
                return s
        raise KeyError(f"unknown section {section_id!r}")

    def profile_question(self, question_id: str) -> ProfileQuestion:
        for q in self.profile:
            if q.id == question_id:
                return q
        raise KeyError(f"unknown profile question {question_id!r}")

    @property
    def block_ids(self) -> tuple[str, ...]:
        return tuple(b.id for b in self.blocks)

    def iter_items(self) -> Iterator[Item]:
        """Every rated item, blocks first, in questionnaire order."""
        for b in self.blocks:
            yield from b.items
        for s in self.sections:
            yield from s.items

    @property
    def items(self) -> tuple[Item, ...]:
        return tuple(self.iter_items())

    @property
    def item_ids(self) -> tuple[str, ...]:
        """Column order of the response matrix."""
        return tuple(i.id for i in self.iter_items())

    def item(self, item_id: str) -> Item:
        for i in self.iter_items():
            if i.id == item_id:
                return i
        raise KeyError(f"unknown item {item_id!r}")

    def level_for(self, score: float) -> Level | None:
        """The readiness level of a 0-100 score (``None`` for NaN)."""
        if math.isnan(score):
            return None
        for lv in self.levels:
            if lv.lower <= score < lv.upper:
                return lv
        return self.levels[-1] if score >= self.levels[-1].lower else None

    @property
    def key(self) -> str:
        """``id@version``, the instrument's unique name."""
        return f"{self.id}@{self.version}"
