"""The report as typed data: what a renderer turns into HTML or PDF.

A :class:`Report` is a tree of :class:`Section` objects holding content
blocks (paragraphs, findings, tables, charts, raw HTML from a Markdown note).
Everything is frozen. Nothing here computes statistics or renders: the
builders (:mod:`collabready.reporting.national` and friends) fill the model
from the statistics engine, and :mod:`collabready.reporting.render` prints it.

Every number in a table is a :class:`Cell` whose ``status`` says whether it is
shown or suppressed by disclosure control, so that a suppressed figure is
marked as such and never appears as a zero or a blank.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import pandas as pd


class ReportKind(StrEnum):
    """The three documents collabready publishes."""

    NATIONAL = "national"
    ORGANISATION = "organisation"
    SECTOR = "sector"


class CellStatus(StrEnum):
    """Whether a table cell's figure may be shown."""

    SHOWN = "shown"
    #: fewer than k respondents behind the figure
    SUPPRESSED = "suppressed"
    #: suppressed so that a primary suppression cannot be recovered from totals
    SECONDARY = "secondary"
    #: a label or text cell, not a statistic
    TEXT = "text"


#: What a reader sees in place of a suppressed figure.
SUPPRESSED_MARK = "[c]"


def fmt_number(value: float, *, digits: int = 1) -> str:
    """A number as printed in reports: fixed decimals, a real minus sign."""
    if math.isnan(value):
        return "–"
    text = f"{value:.{digits}f}"
    if text.startswith("-"):
        # "-0.0" prints as "0.0"; other negatives get U+2212
        text = text[1:] if float(text) == 0 else "\u2212" + text[1:]
    return text


@dataclass(frozen=True, slots=True)
class Estimate:
    """A design-based estimate with its 95% confidence interval.

    ``n`` is the unweighted number of respondents behind it; disclosure
    control looks at ``n``, never at the weighted total.
    """

    value: float
    ci_low: float
    ci_high: float
    n: int
    se: float = math.nan

    def text(self, *, digits: int = 1, unit: str = "") -> str:
        """``62.1 (95% CI 60.3 to 63.9)``."""
        v, lo, hi = (fmt_number(x, digits=digits) for x in (self.value, self.ci_low, self.ci_high))
        return f"{v}{unit} (95% CI {lo}{unit} to {hi}{unit})"


@dataclass(frozen=True, slots=True)
class Cell:
    """One table cell: its printed text, the number behind it, and its status."""

    text: str
    value: float | None = None
    status: CellStatus = CellStatus.TEXT
    #: a second line under the figure, such as its confidence interval
    detail: str = ""
    #: the confidence interval behind the figure, at full precision (``data-ci``)
    ci: tuple[float, float] | None = None

    @property
    def suppressed(self) -> bool:
        return self.status in (CellStatus.SUPPRESSED, CellStatus.SECONDARY)

    @staticmethod
    def label(text: str) -> Cell:
        return Cell(text=text)

    @staticmethod
    def number(value: float, *, digits: int = 1) -> Cell:
        return Cell(text=fmt_number(value, digits=digits), value=value, status=CellStatus.SHOWN)

    @staticmethod
    def estimate(e: Estimate, *, digits: int = 1) -> Cell:
        """An estimate with its 95% CI on a second line."""
        lo, hi = fmt_number(e.ci_low, digits=digits), fmt_number(e.ci_high, digits=digits)
        return Cell(
            text=fmt_number(e.value, digits=digits),
            value=e.value,
            status=CellStatus.SHOWN,
            detail=f"{lo} to {hi}",
            ci=(e.ci_low, e.ci_high),
        )

    @staticmethod
    def count(value: int) -> Cell:
        return Cell(text=f"{value:,}", value=float(value), status=CellStatus.SHOWN)

    @staticmethod
    def hidden(status: CellStatus = CellStatus.SUPPRESSED) -> Cell:
        return Cell(text=SUPPRESSED_MARK, value=None, status=status)


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

    def to_frame(self) -> pd.DataFrame:
        """The table as printed (suppressed cells as ``None``), one row per table row."""
        import pandas as pd

        data: dict[str, list[Any]] = {c: [] for c in self.columns}
        for row in self.rows:
            for col, cell in zip(self.columns, row, strict=True):
                data[col].append(cell.text if cell.status is CellStatus.TEXT else cell.value)
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
