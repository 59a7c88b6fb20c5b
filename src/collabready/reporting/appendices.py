"""Appendices and the reproducibility stamp, shared by the report builders."""

from __future__ import annotations

import html as htmllib
import re
import xml.etree.ElementTree as ET
from datetime import UTC, datetime

import markdown as md
import numpy as np
from markdown.treeprocessors import Treeprocessor
from markdown.util import AMP_SUBSTITUTE

import collabready
from collabready.analysis.data import GROUPS, AnalysisData, factor_of, label_for, variable_title
from collabready.analysis.enablers import facet_title
from collabready.analysis.pattern import DisclosurePattern, pattern_statuses
from collabready.instrument.model import Instrument
from collabready.reporting.model import (
    Cell,
    CellStatus,
    DefinitionList,
    Paragraph,
    RawHtml,
    Section,
    Stamp,
    Table,
)


def taking_action(instrument: Instrument, *, blocks: tuple[str, ...] | None = None) -> Section:
    """Suggested actions for each block, from the guidance in the instrument."""
    subs = []
    for b in instrument.blocks:
        if blocks is not None and b.id not in blocks:
            continue
        items = tuple((f"{i}.", g.get()) for i, g in enumerate(b.guidance, start=1))
        subs.append(
            Section(
                id=f"action-{b.id}",
                title=b.title.get(),
                content=(Paragraph(b.description.get()), DefinitionList(items)),
            )
        )
    return Section(
        id="taking-action",
        title="Taking action to improve readiness",
        content=(
            Paragraph(
                "Suggested first steps for each building block, from the guidance that "
                f"accompanies the questionnaire ({instrument.key})."
            ),
        ),
        subsections=tuple(subs),
        appendix=True,
    )


def sample_profile(
    *,
    data: AnalysisData,
    weights: np.ndarray | None,
    k: int,
    section_id: str = "sample-profile",
    pattern: DisclosurePattern | None = None,
) -> Section:
    """Respondents by each profile variable: count, share, and weighted share.

    With ``pattern`` the levels are withheld as the documents' shared
    disclosure pattern has them (:func:`~collabready.reporting.analysis.disclosure_pattern`).
    """
    tables = []
    for var in GROUPS:
        if var not in data.profile:
            continue
        factor = factor_of(data, var)
        levels = factor.levels
        answered = factor.codes >= 0
        counts = np.bincount(factor.codes[answered], minlength=len(levels))
        w = np.ones(len(data)) if weights is None else weights
        wsum = np.bincount(factor.codes[answered], weights=w[answered], minlength=len(levels))
        status = pattern_statuses(pattern, var, list(levels), counts.tolist(), k=k)
        total, wtotal = counts.sum(), wsum.sum()
        rows = []
        for i, lv in enumerate(levels):
            label = Cell.label(label_for(data.instrument, var, lv))
            if status[i] is not CellStatus.PUBLISHED:
                st = status[i]
                rows.append((label, *([Cell.hidden(st)] * 3)))
                continue
            rows.append(
                (
                    label,
                    Cell.count(int(counts[i])),
                    Cell.number(100 * counts[i] / total),
                    Cell.number(100 * wsum[i] / wtotal),
                )
            )
        title = variable_title(var)
        notes: list[str] = []
        tables.append(
            Table(
                id=f"profile-{var}",
                caption=f"Respondents by {title.lower()}",
                columns=(title, "Respondents", "% of sample", "% weighted"),
                rows=tuple(rows),
                notes=tuple(notes),
                k=k,
            )
        )
    intro = Paragraph(
        f"{len(data):,} respondents from {np.unique(data.organisation_id).size:,} organisations; "
        f"{int(data.complete.sum()):,} completed the whole questionnaire. "
        + (
            "The weighted share is the share of the population each group represents."
            if weights is not None
            else "No weighting was applied."
        )
    )
    return Section(section_id, "The survey sample", content=(intro, *tables), appendix=True)


def questionnaire(instrument: Instrument) -> Section:
    """The questionnaire, generated from the instrument file."""
    subs = []
    profile_items = tuple(
        (q.text.get(), "; ".join(c.label.get() for c in q.choices)) for q in instrument.profile
    )
    subs.append(
        Section(
            "questionnaire-profile",
            "About you and your organisation",
            (DefinitionList(profile_items),),
        )
    )
    for b in instrument.blocks:
        rows = tuple(
            (
                Cell.label(i.id),
                Cell.label(i.text.get()),
                Cell.label(str(i.dimension) if i.dimension else ""),
                Cell.label("yes" if i.reverse else ""),
            )
            for i in b.items
        )
        subs.append(
            Section(
                f"questionnaire-{b.id}",
                b.title.get(),
                (
                    Paragraph(b.description.get()),
                    Table(
                        f"questionnaire-table-{b.id}",
                        f"{b.title.get()} statements",
                        ("Item", "Statement", "Measures", "Reverse-scored"),
                        rows,
                    ),
                ),
            )
        )
    for s in instrument.sections:
        rows = tuple(
            (
                Cell.label(i.id),
                Cell.label(i.text.get()),
                Cell.label(facet_title(i.facet) if i.facet else ""),
                Cell.label("yes" if i.reverse else ""),
            )
            for i in s.items
        )
        subs.append(
            Section(
                f"questionnaire-{s.id}",
                s.title.get(),
                (
                    Table(
                        f"questionnaire-table-{s.id}",
                        f"{s.title.get()} statements",
                        ("Item", "Statement", "Facet", "Reverse-scored"),
                        rows,
                    ),
                ),
            )
        )
    if instrument.open_questions:
        subs.append(
            Section(
                "questionnaire-open",
                "Open questions",
                (DefinitionList(tuple((q.id, q.text.get()) for q in instrument.open_questions)),),
            )
        )
    scales = "; ".join(
        f"{s.id}: "
        + ", ".join(f"{o.code} {o.label.get()}" for o in s.options)
        + (f", {s.dont_know.code} {s.dont_know.label.get()}" if s.dont_know else "")
        for s in instrument.scales
    )
    return Section(
        "questionnaire",
        "The questionnaire",
        (
            Paragraph(
                f"{instrument.title.get()}, version {instrument.version}; about "
                f"{instrument.estimated_minutes} minutes. Answer scales: {scales}."
            ),
        ),
        subsections=tuple(subs),
        appendix=True,
    )


#: Link schemes a note may use; relative and fragment links have none.
SAFE_LINK_SCHEMES = frozenset({"http", "https", "mailto"})
_SCHEME = re.compile(r"([A-Za-z][A-Za-z0-9+.-]*):")
_TAB_OR_NEWLINE = re.compile(r"[\t\n\r]")


def safe_link(url: str) -> bool:
    """True for an http, https or mailto link, or a relative or fragment link.

    The URL is read as a browser would (WHATWG URL parsing): character
    references decoded, tabs and newlines removed anywhere, leading and
    trailing control characters and spaces ignored, the scheme
    case-insensitive. A scheme is the part before a ``:`` that comes before
    any ``/``, ``?`` or ``#``.
    """
    value = htmllib.unescape(url.replace(AMP_SUBSTITUTE, "&"))
    value = _TAB_OR_NEWLINE.sub("", value).strip("".join(map(chr, range(0x21))))
    scheme = _SCHEME.match(value)
    if scheme is None:
        # no scheme: relative, unless a ":" comes before any "/", "?" or "#"
        head = re.split(r"[/?#]", value, maxsplit=1)[0]
        return ":" not in head
    return scheme.group(1).lower() in SAFE_LINK_SCHEMES


class _SafeLinks(Treeprocessor):
    """Drop the target of any link (or image) whose scheme is not safe."""

    def run(self, root: ET.Element) -> None:
        for el in root.iter():
            for attr in ("href", "src"):
                value = el.get(attr)
                if value is not None and not safe_link(value):
                    del el.attrib[attr]


class _NoteHeadings(Treeprocessor):
    """Put a note's headings under its section's: ``#`` is ``h3``, ``##`` ``h4``, ...

    The note sits in a section whose title is an ``h2`` and the report's own title is
    the one ``h1``; a note's ``# Title`` would otherwise print larger than the
    section holding it and break the outline screen readers navigate by.
    """

    SHIFT = 2

    def run(self, root: ET.Element) -> None:
        for el in root.iter():
            if re.fullmatch(r"h[1-6]", el.tag):
                el.tag = f"h{min(int(el.tag[1]) + self.SHIFT, 6)}"


def markdown_note(
    text: str,
    *,
    title: str = "Roundtable note",
    section_id: str = "roundtable",
    appendix: bool = True,
) -> Section:
    """A user's Markdown note as an appendix; raw HTML in it is shown as text.

    Links keep their target only when it is http, https, mailto, or relative
    (a ``javascript:`` or ``data:`` link prints as plain text).
    """
    converter = md.Markdown(extensions=["tables", "sane_lists"], output_format="html")
    # the note is user input: do not pass HTML through, escape it
    converter.preprocessors.deregister("html_block")
    converter.inlinePatterns.deregister("html")
    # after "unescape" (priority 0), so escaped characters are back in the URLs
    converter.treeprocessors.register(_SafeLinks(converter), "safe_links", -10)
    converter.treeprocessors.register(_NoteHeadings(converter), "note_headings", -20)
    html = converter.convert(text)
    return Section(section_id, title, (RawHtml(html),), appendix=appendix)


def make_stamp(
    *,
    instrument: Instrument,
    data_sha256: str,
    k: int,
    margins: tuple[tuple[str, str, float], ...] = (),
    margins_sha256: str | None = None,
    generated_at: datetime | None = None,
    extra: tuple[tuple[str, str], ...] = (),
) -> Stamp:
    return Stamp(
        software_version=collabready.__version__,
        instrument_key=instrument.key,
        data_sha256=data_sha256,
        generated_at=generated_at or datetime.now(UTC),
        k=k,
        margins_sha256=margins_sha256,
        margins=margins,
        extra=extra,
    )


def stamp_section(stamp: Stamp) -> Section:
    items: list[tuple[str, str]] = [
        ("Software", f"collabready {stamp.software_version}"),
        ("Instrument", stamp.instrument_key),
        ("Input data (SHA-256)", stamp.data_sha256),
    ]
    if stamp.margins_sha256:
        items.append(("Margins file (SHA-256)", stamp.margins_sha256))
    items += [
        ("Disclosure threshold", f"k = {stamp.k}"),
        ("Generated", stamp.generated_at.isoformat(timespec="seconds")),
        *stamp.extra,
    ]
    content: list[DefinitionList | Table | Paragraph] = [DefinitionList(tuple(items))]
    if stamp.margins:
        content.append(
            Table(
                "stamp-margins",
                "Population margins used for weighting",
                ("Variable", "Level", "Population total"),
                tuple(
                    (Cell.label(v), Cell.label(lv), Cell(f"{t:,.0f}", t, CellStatus.PUBLISHED))
                    for v, lv, t in stamp.margins
                ),
            )
        )
    content.append(
        Paragraph(
            "Running the same collabready version on the same data and margins reproduces "
            "every figure in this report."
        )
    )
    return Section("reproducibility", "Reproducibility", tuple(content), appendix=True)
