"""Turning pages, answers and errors into the plain values the templates show."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.utils.translation import gettext as _

from collabready.instrument import DONT_KNOW, Dimension, Instrument, Item, ProfileQuestion
from collabready.web.surveys.journey import Page, PageKind, journey_pages
from collabready.web.surveys.pageforms import FieldError, field_anchor
from collabready.web.surveys.selectors.responses import ResponseState


@dataclass(frozen=True, slots=True)
class Option:
    value: int
    label: str
    input_id: str
    checked: bool


@dataclass(frozen=True, slots=True)
class RadioField:
    name: str
    number: int
    legend: str
    hint: str
    options: tuple[Option, ...]
    error: str | None

    @property
    def anchor(self) -> str:
        return field_anchor(self.name)


@dataclass(frozen=True, slots=True)
class TextField:
    name: str
    label: str
    hint: str
    value: str
    max_length: int
    error: str | None

    @property
    def anchor(self) -> str:
        return field_anchor(self.name)


@dataclass(frozen=True, slots=True)
class FieldGroup:
    heading: str
    fields: tuple[RadioField, ...]


@dataclass(frozen=True, slots=True)
class PageView:
    slug: str
    number: int
    total: int
    title: str
    description: str
    groups: tuple[FieldGroup, ...] = ()
    text_fields: tuple[TextField, ...] = ()
    errors: tuple[FieldError, ...] = ()


def page_title(page: Page, language: str) -> str:
    if page.kind is PageKind.PROFILE:
        return str(_("About you and your organisation"))
    if page.kind is PageKind.OPEN:
        return str(_("Your views in your own words"))
    return page.title.get(language) if page.title is not None else page.slug


def _item_options(
    instrument: Instrument, item: Item, chosen: int | None, language: str
) -> tuple[Option, ...]:
    scale = instrument.scale(item.scale)
    pairs = [(o.code, o.label.get(language)) for o in scale.options]
    if scale.dont_know is not None:
        pairs.append((DONT_KNOW, scale.dont_know.label.get(language)))
    anchor = field_anchor(item.id)
    return tuple(
        Option(code, label, anchor if n == 0 else f"{anchor}-{code}", chosen == code)
        for n, (code, label) in enumerate(pairs)
    )


def _question_options(
    question: ProfileQuestion, chosen: int | None, language: str
) -> tuple[Option, ...]:
    anchor = field_anchor(question.id)
    return tuple(
        Option(
            c.code,
            c.label.get(language),
            anchor if n == 0 else f"{anchor}-{c.code}",
            chosen == c.code,
        )
        for n, c in enumerate(question.choices)
    )


def page_view(
    page: Page,
    state: ResponseState,
    *,
    language: str,
    posted: dict[str, int] | None = None,
    posted_text: dict[str, str] | None = None,
    errors: tuple[FieldError, ...] = (),
) -> PageView:
    """The page as the respondent sees it: saved answers, or what they just posted."""
    instrument = state.instrument
    error_for = {e.field_id: e.message for e in errors}
    values = {**state.answers, **state.profile, **(posted or {})}
    groups: list[FieldGroup] = []
    if page.questions:
        fields = tuple(
            RadioField(
                name=q.id,
                number=n,
                legend=q.text.get(language),
                hint=q.hint.get(language) if q.hint else "",
                options=_question_options(q, values.get(q.id), language),
                error=error_for.get(q.id),
            )
            for n, q in enumerate(page.questions, start=1)
        )
        groups.append(FieldGroup(heading="", fields=fields))
    if page.items:
        numbered = {item.id: n for n, item in enumerate(page.items, start=1)}

        def radio(item: Item) -> RadioField:
            return RadioField(
                name=item.id,
                number=numbered[item.id],
                legend=item.text.get(language),
                hint="",
                options=_item_options(instrument, item, values.get(item.id), language),
                error=error_for.get(item.id),
            )

        if page.kind is PageKind.BLOCK:
            headings = {
                Dimension.COMMITMENT: _(
                    "Commitment: what your organisation intends and prioritises"
                ),
                Dimension.CAPACITY: _("Capacity: what your organisation has and does in practice"),
            }
            for dimension, heading in headings.items():
                items = tuple(radio(i) for i in page.items if i.dimension is dimension)
                if items:
                    groups.append(FieldGroup(heading=heading, fields=items))
        else:
            groups.append(FieldGroup(heading="", fields=tuple(radio(i) for i in page.items)))
    texts = {**state.open_answers, **(posted_text or {})}
    text_fields = tuple(
        TextField(
            name=oq.id,
            label=oq.text.get(language),
            hint=oq.hint.get(language) if oq.hint else "",
            value=texts.get(oq.id, ""),
            max_length=oq.max_length,
            error=error_for.get(oq.id),
        )
        for oq in page.open_questions
    )
    return PageView(
        slug=page.slug,
        number=page.number,
        total=len(journey_pages(instrument)),
        title=page_title(page, language),
        description=page.description.get(language) if page.description else "",
        groups=tuple(groups),
        text_fields=text_fields,
        errors=errors,
    )


@dataclass(frozen=True, slots=True)
class SummaryRow:
    key: str
    value: str
    anchor: str


@dataclass(frozen=True, slots=True)
class SummarySection:
    slug: str
    title: str
    rows: tuple[SummaryRow, ...] = field(default_factory=tuple)
    complete: bool = True


def check_answers_view(state: ResponseState, *, language: str) -> tuple[SummarySection, ...]:
    """Every page's questions and answers, for "check your answers"."""
    instrument = state.instrument
    not_answered = _("Not answered")
    sections = []
    for page in journey_pages(instrument):
        rows: list[SummaryRow] = []
        for q in page.questions:
            code = state.profile.get(q.id)
            value = q.choice_by_code(code).label.get(language) if code is not None else not_answered
            rows.append(SummaryRow(q.text.get(language), value, field_anchor(q.id)))
        for item in page.items:
            rows.append(
                SummaryRow(
                    item.text.get(language),
                    answer_label(instrument, item, state.answers.get(item.id), language)
                    or not_answered,
                    field_anchor(item.id),
                )
            )
        for oq in page.open_questions:
            text = state.open_answers.get(oq.id, "")
            rows.append(
                SummaryRow(oq.text.get(language), text or _("No answer given"), field_anchor(oq.id))
            )
        sections.append(
            SummarySection(
                page.slug, page_title(page, language), tuple(rows), state.is_complete(page)
            )
        )
    return tuple(sections)


def answer_label(instrument: Instrument, item: Item, code: int | None, language: str) -> str | None:
    if code is None:
        return None
    scale = instrument.scale(item.scale)
    if code == DONT_KNOW and scale.dont_know is not None:
        return scale.dont_know.label.get(language)
    for option in scale.options:
        if option.code == code:
            return option.label.get(language)
    return None
