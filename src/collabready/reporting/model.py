"""The report as typed data: what a renderer turns into HTML or PDF.

A :class:`Report` is a tree of :class:`Section` objects holding content
blocks (paragraphs, findings, tables, charts, raw HTML from a Markdown note).
Everything is frozen. Nothing here computes statistics or renders: the
builders (:mod:`collabready.reporting.national` and friends) fill the model
from the statistics engine, and :mod:`collabready.reporting.render` prints it.

Every number in a table is a :class:`Cell` whose ``status`` (the one
:class:`~collabready.stats.disclosure.CellStatus`; ``None`` for a label) says
whether it is published or withheld by disclosure control, so that a
suppressed figure is marked as such and never appears as a zero or a blank.
Figures about respondents enter the model only as gated
:class:`~collabready.analysis.gate.Estimate` objects (:meth:`Cell.estimate`,
chart points, findings).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from collabready.analysis.gate import CellStatus, Estimate, fmt_number
from collabready.reporting.logo import Logo

if TYPE_CHECKING:
    import pandas as pd

__all__ = [
    "SUPPRESSED_MARK",
    "Cell",
    "CellStatus",
    "Chart",
    "Content",
    "DefinitionList",
    "Estimate",
    "Finding",
    "FindingList",
    "Paragraph",
    "RawHtml",
    "Report",
    "ReportKind",
    "Section",
    "Stamp",
    "Table",
    "fmt_number",
    "withheld_notes",
]


class ReportKind(StrEnum):
    """The three documents collabready publishes."""

    NATIONAL = "national"
    ORGANISATION = "organisation"
    SECTOR = "sector"


#: What a reader sees in place of a suppressed figure.
SUPPRESSED_MARK = "[c]"


@dataclass(frozen=True, slots=True)
class Cell:
    """One table cell: its printed text, the number behind it, and its status."""

    text: str
    value: float | None = None
    #: None for a label or text cell, not a statistic
    status: CellStatus | None = None
    #: a second line under the figure, such as its confidence interval
    detail: str = ""
    #: the confidence interval behind the figure, at full precision (``data-ci``)
    ci: tuple[float, float] | None = None

    @property
    def suppressed(self) -> bool:
        return self.status in (CellStatus.SUPPRESSED_PRIMARY, CellStatus.SUPPRESSED_SECONDARY)

    @staticmethod
    def label(text: str) -> Cell:
        return Cell(text=text)

    @staticmethod
    def number(value: float, *, digits: int = 1) -> Cell:
        return Cell(text=fmt_number(value, digits=digits), value=value, status=CellStatus.PUBLISHED)

    @staticmethod
    def estimate(e: Estimate, *, digits: int = 1) -> Cell:
        """An estimate with its 95% CI on a second line."""
        lo, hi = fmt_number(e.ci_low, digits=digits), fmt_number(e.ci_high, digits=digits)
        return Cell(
            text=fmt_number(e.value, digits=digits),
            value=e.value,
            status=CellStatus.PUBLISHED,
            detail=f"{lo} to {hi}",
            ci=(e.ci_low, e.ci_high),
        )

    @staticmethod
    def count(value: int) -> Cell:
        return Cell(text=f"{value:,}", value=float(value), status=CellStatus.PUBLISHED)

    @staticmethod
    def hidden(status: CellStatus = CellStatus.SUPPRESSED_PRIMARY) -> Cell:
        return Cell(text=SUPPRESSED_MARK, value=None, status=status)


def withheld_notes(*, primary: list[str], secondary: list[str], k: int) -> tuple[str, ...]:
    """The notes that say why figures are withheld (``[c]``), one per reason."""
    notes = []
    if primary:
        notes.append(
            f"{SUPPRESSED_MARK} withheld because fewer than {k} respondents are behind the "
            f"figures: {'; '.join(primary)}."
        )
    if secondary:
        notes.append(
            f"{SUPPRESSED_MARK} withheld so that a figure on fewer than {k} respondents cannot "
            f"be worked out from the total and the other figures: {'; '.join(secondary)}."
        )
    return tuple(notes)


@dataclass(frozen=True, slots=True)
class Table:
    """A table whose first column labels the rows.

    ``k`` is the disclosure threshold the table passed through (``None`` for
    tables that hold no statistics, such as the questionnaire).
    """

    id: str
    caption: str
    columns: tuple[str, ...]
    rows: tuple[tuple[Cell, ...], ...]
    notes: tuple[str, ...] = ()
    k: int | None = None

    @property
    def n_suppressed(self) -> int:
        return sum(c.suppressed for row in self.rows for c in row)

    @property
    def withheld_notes(self) -> tuple[str, ...]:
        """Why figures are withheld, naming the rows: below k, or so that another cannot
        be worked out (complementary suppression), from each cell's status."""
        if self.k is None:
            return ()
        # (row label, second label) of each withheld row, by reason; a label whose rows
        # are all withheld for one reason is named once
        why: dict[CellStatus, dict[str, list[str]]] = {
            CellStatus.SUPPRESSED_PRIMARY: {},
            CellStatus.SUPPRESSED_SECONDARY: {},
        }
        per_label: dict[str, int] = {}
        for row in self.rows:
            labels = [c.text for c in row[:2] if c.status is None and c.text]
            head = labels[0] if labels else "a row"
            per_label[head] = per_label.get(head, 0) + 1
            statuses = {c.status for c in row if c.suppressed}
            for status in (CellStatus.SUPPRESSED_PRIMARY, CellStatus.SUPPRESSED_SECONDARY):
                if status in statuses:
                    why[status].setdefault(head, []).append(", ".join(labels[1:]))
                    break
        rows: dict[CellStatus, list[str]] = {}
        for status, by_label in why.items():
            rows[status] = [
                head
                if len(parts) == per_label[head] or not any(parts)
                else f"{head} ({', '.join(p for p in parts if p)})"
                for head, parts in by_label.items()
            ]
        return withheld_notes(
            primary=rows[CellStatus.SUPPRESSED_PRIMARY],
            secondary=rows[CellStatus.SUPPRESSED_SECONDARY],
            k=self.k,
        )

    def to_frame(self) -> pd.DataFrame:
        """The table as printed (suppressed cells as ``None``), one row per table row."""
        import pandas as pd

        data: dict[str, list[Any]] = {c: [] for c in self.columns}
        for row in self.rows:
            for col, cell in zip(self.columns, row, strict=True):
                data[col].append(cell.text if cell.status is None else cell.value)
        return pd.DataFrame(data)


@dataclass(frozen=True, slots=True)
class Chart:
    """A chart: a Vega-Lite spec, its static SVG, alt text and the data table beside it."""

    id: str
    title: str
    alt_text: str
    spec: Mapping[str, Any]
    svg: str
    table: Table
    #: what the chart leaves out and why (withheld figures), printed under it
    note: str = ""


@dataclass(frozen=True, slots=True)
class Finding:
    """A sentence written from the numbers.

    ``supported`` is False when the test behind the claim did not pass; such a
    finding is kept in the model (so a reader of the code can see it was
    considered) but is never printed.
    """

    id: str
    sentence: str
    supported: bool
    estimate: Estimate | None = None
    evidence: str = ""


@dataclass(frozen=True, slots=True)
class Paragraph:
    text: str


@dataclass(frozen=True, slots=True)
class FindingList:
    findings: tuple[Finding, ...]

    @property
    def supported(self) -> tuple[Finding, ...]:
        return tuple(f for f in self.findings if f.supported)


@dataclass(frozen=True, slots=True)
class DefinitionList:
    items: tuple[tuple[str, str], ...]


@dataclass(frozen=True, slots=True)
class RawHtml:
    """HTML produced by collabready itself (for example from a Markdown note)."""

    html: str


Content = Paragraph | FindingList | Table | Chart | DefinitionList | RawHtml


@dataclass(frozen=True, slots=True)
class Section:
    id: str
    title: str
    content: tuple[Content, ...] = ()
    subsections: tuple[Section, ...] = ()
    appendix: bool = False

    def walk(self) -> tuple[Section, ...]:
        """This section and every section below it, in document order."""
        out: list[Section] = [self]
        for sub in self.subsections:
            out.extend(sub.walk())
        return tuple(out)


@dataclass(frozen=True, slots=True)
class Stamp:
    """What is needed to reproduce a report."""

    software_version: str
    instrument_key: str
    data_sha256: str
    generated_at: datetime
    k: int
    margins_sha256: str | None = None
    margins: tuple[tuple[str, str, float], ...] = ()
    extra: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True, slots=True)
class Report:
    kind: ReportKind
    title: str
    subtitle: str
    sections: tuple[Section, ...]
    stamp: Stamp
    language: str = "en"
    keywords: tuple[str, ...] = field(default=())
    #: a checked logo for the cover (:func:`collabready.reporting.logo.read_logo`)
    logo: Logo | None = None
    #: a draft (during fieldwork): labelled as such on the cover and on every page
    draft: bool = False
    #: the survey as the public knows it (a wave's public title), on the cover; never
    #: an internal name or provenance (that is the reproducibility appendix's)
    survey_title: str = ""
    #: when the survey was in the field, on the cover (e.g. "Fieldwork 1 March to 31 May 2026")
    period: str = ""

    def walk(self) -> tuple[Section, ...]:
        out: list[Section] = []
        for s in self.sections:
            out.extend(s.walk())
        return tuple(out)

    def section(self, section_id: str) -> Section:
        for s in self.walk():
            if s.id == section_id:
                return s
        raise KeyError(f"no section {section_id!r}")

    def tables(self) -> tuple[Table, ...]:
        """Every table, including those beside charts."""
        out: list[Table] = []
        for s in self.walk():
            for c in s.content:
                if isinstance(c, Table):
                    out.append(c)
                elif isinstance(c, Chart):
                    out.append(c.table)
        return tuple(out)

    def findings(self) -> tuple[Finding, ...]:
        lists = (c for s in self.walk() for c in s.content if isinstance(c, FindingList))
        return tuple(f for fl in lists for f in fl.findings)
