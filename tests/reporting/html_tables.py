"""Read the figures back out of a report's HTML (standard library only)."""

from __future__ import annotations

from dataclasses import dataclass, field
from html.parser import HTMLParser


@dataclass
class HtmlCell:
    text: str = ""
    ci_text: str = ""
    value: float | None = None
    ci: tuple[float, float] | None = None
    status: str | None = None
    header: bool = False


@dataclass
class HtmlTable:
    id: str
    columns: list[str] = field(default_factory=list)
    rows: list[list[HtmlCell]] = field(default_factory=list)

    def row(self, label: str) -> list[HtmlCell]:
        for r in self.rows:
            if r[0].text == label:
                return r
        raise KeyError(f"{self.id}: no row {label!r}; rows are {[r[0].text for r in self.rows]}")

    def cell(self, label: str, column: str) -> HtmlCell:
        return self.row(label)[self.columns.index(column)]


class _Parser(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tables: dict[str, HtmlTable] = {}
        self.findings: dict[str, HtmlCell] = {}
        self._table: HtmlTable | None = None
        self._row: list[HtmlCell] | None = None
        self._cell: HtmlCell | None = None
        self._in_head = False
        self._in_ci = False
        self._finding: HtmlCell | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag == "table":
            self._table = HtmlTable(a.get("id") or "")
            self.tables[self._table.id] = self._table
        elif tag == "thead":
            self._in_head = True
        elif tag == "tr" and self._table is not None and not self._in_head:
            self._row = []
            self._table.rows.append(self._row)
        elif tag in ("td", "th") and self._table is not None:
            self._cell = HtmlCell(header=tag == "th", status=a.get("data-status"))
            if a.get("data-value") not in (None, "None"):
                self._cell.value = float(a["data-value"] or "nan")
            if a.get("data-ci"):
                lo, hi = (a["data-ci"] or "").split()
                self._cell.ci = (float(lo), float(hi))
        elif tag == "span" and "ci" in (a.get("class") or "").split():
            self._in_ci = True
        elif tag == "li" and a.get("data-finding"):
            self._finding = HtmlCell()
            if a.get("data-value"):
                self._finding.value = float(a["data-value"] or "nan")
            if a.get("data-ci"):
                lo, hi = (a["data-ci"] or "").split()
                self._finding.ci = (float(lo), float(hi))
            self.findings[a["data-finding"] or ""] = self._finding

    def handle_endtag(self, tag: str) -> None:
        if tag == "table":
            self._table = None
        elif tag == "thead":
            self._in_head = False
        elif tag == "tr":
            self._row = None
        elif tag in ("td", "th") and self._cell is not None and self._table is not None:
            cell, self._cell = self._cell, None
            cell.text, cell.ci_text = cell.text.strip(), cell.ci_text.strip()
            if self._in_head:
                self._table.columns.append(cell.text)
            elif self._row is not None:
                self._row.append(cell)
        elif tag == "span":
            self._in_ci = False
        elif tag == "li":
            if self._finding is not None:
                self._finding.text = " ".join(self._finding.text.split())
            self._finding = None

    def handle_data(self, data: str) -> None:
        if self._cell is not None:
            if self._in_ci:
                self._cell.ci_text += data
            else:
                self._cell.text += data
        if self._finding is not None:
            self._finding.text += data


def parse(html: str) -> tuple[dict[str, HtmlTable], dict[str, HtmlCell]]:
    """Every table (by id) and every printed finding (by id) in ``html``."""
    p = _Parser()
    p.feed(html)
    return p.tables, p.findings
