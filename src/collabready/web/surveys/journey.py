"""The respondent's journey through an instrument: its question pages, in order.

One page for the profile questions, one per building block, one per other
section (enablers, operating environment, outcomes) and one for the open
questions; then "check your answers". Pure functions of the instrument.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum

from collabready.instrument import Instrument, Item, OpenQuestion, ProfileQuestion, Text


class PageKind(StrEnum):
    PROFILE = "profile"
    BLOCK = "block"
    SECTION = "section"
    OPEN = "open"


@dataclass(frozen=True, slots=True)
class Page:
    """One question page. ``number`` counts from 1 for "Section 3 of 11"."""

    slug: str
    kind: PageKind
    number: int
    title: Text | None
    description: Text | None
    items: tuple[Item, ...] = ()
    questions: tuple[ProfileQuestion, ...] = ()
    open_questions: tuple[OpenQuestion, ...] = ()

    @property
    def required_ids(self) -> tuple[str, ...]:
        return tuple(i.id for i in self.items) + tuple(q.id for q in self.questions)


_PAGES: dict[str, tuple[Page, ...]] = {}


def journey_pages(instrument: Instrument) -> tuple[Page, ...]:
    """The question pages of ``instrument`` in the order a respondent meets them."""
    cached = _PAGES.get(instrument.key)
    if cached is not None:
        return cached
    built: list[Page] = []

    def add(
        slug: str,
        kind: PageKind,
        title: Text | None = None,
        description: Text | None = None,
        *,
        items: tuple[Item, ...] = (),
        questions: tuple[ProfileQuestion, ...] = (),
        open_questions: tuple[OpenQuestion, ...] = (),
    ) -> None:
        built.append(
            Page(
                slug=slug,
                kind=kind,
                number=len(built) + 1,
                title=title,
                description=description,
                items=items,
                questions=questions,
                open_questions=open_questions,
            )
        )

    if instrument.profile:
        add("profile", PageKind.PROFILE, questions=instrument.profile)
    for b in instrument.blocks:
        add(b.id, PageKind.BLOCK, b.title, b.description, items=b.items)
    for s in instrument.sections:
        add(s.id, PageKind.SECTION, s.title, s.description, items=s.items)
    if instrument.open_questions:
        add("open", PageKind.OPEN, open_questions=instrument.open_questions)
    pages = tuple(built)
    slugs = [p.slug for p in pages]
    if len(set(slugs)) != len(slugs):
        raise ValueError(f"{instrument.key}: block and section ids must differ: {slugs}")
    _PAGES[instrument.key] = pages
    return pages


def journey_page(instrument: Instrument, slug: str) -> Page | None:
    for page in journey_pages(instrument):
        if page.slug == slug:
            return page
    return None


def page_complete(page: Page, *, answers: Mapping[str, int], profile: Mapping[str, int]) -> bool:
    """Whether every required question on ``page`` has an answer."""
    return all(i.id in answers for i in page.items) and all(q.id in profile for q in page.questions)


def page_visited(page: Page, *, answers: Mapping[str, int], profile: Mapping[str, int]) -> bool:
    return any(i.id in answers for i in page.items) or any(q.id in profile for q in page.questions)


def first_incomplete_page(
    instrument: Instrument,
    *,
    answers: Mapping[str, int],
    profile: Mapping[str, int],
    open_seen: bool,
) -> Page | None:
    """Where a returning respondent continues: the first page still to answer."""
    for page in journey_pages(instrument):
        if page.kind is PageKind.OPEN:
            if not open_seen:
                return page
        elif not page_complete(page, answers=answers, profile=profile):
            return page
    return None


def page_after(instrument: Instrument, page: Page) -> Page | None:
    pages = journey_pages(instrument)
    return pages[page.number] if page.number < len(pages) else None


def page_before(instrument: Instrument, page: Page) -> Page | None:
    pages = journey_pages(instrument)
    return pages[page.number - 2] if page.number > 1 else None
