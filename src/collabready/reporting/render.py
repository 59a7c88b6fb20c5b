"""Render a :class:`~collabready.reporting.model.Report` to HTML and PDF.

HTML comes from Jinja2 templates shipped in this package; the PDF is the same
HTML laid out by WeasyPrint with the print stylesheet (A4, running headers,
page numbers, a table of contents with page numbers). The PDF is tagged for
accessibility (WeasyPrint's ``pdf_tags``) and carries the title, author,
keywords and creation date as metadata.

Charts appear as static SVG images with alt text in both outputs; given
``assets_url`` (where vega, vega-lite, vega-embed and ``collabready-charts.js``
are served, never a CDN), the HTML also embeds each chart's Vega-Lite spec so
the page upgrades them to interactive charts.
"""

from __future__ import annotations

import base64
import json
import os
import tempfile
from dataclasses import dataclass
from enum import StrEnum
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

import jinja2
from markupsafe import Markup

from collabready.reporting.model import Chart, Report, ReportKind, Section, Table

AUTHOR = "collabready"
EYEBROWS = {
    ReportKind.NATIONAL: "Collaboration Readiness Index · national report",
    ReportKind.ORGANISATION: "Collaboration Readiness Index · organisation profile",
    ReportKind.SECTOR: "Collaboration Readiness Index · sector briefing",
}


class OutputFormat(StrEnum):
    HTML = "html"
    PDF = "pdf"


class OutputPathError(ValueError):
    """The output path does not name a format collabready can write."""


@dataclass(frozen=True, slots=True)
class TocEntry:
    id: str
    number: str
    title: str
    level: int


def _kind(obj: object) -> str:
    return type(obj).__name__


def _svg_data_uri(svg: str) -> str:
    return "data:image/svg+xml;base64," + base64.b64encode(svg.encode("utf-8")).decode("ascii")


def _data_uri(data: bytes, media_type: str) -> str:
    return f"data:{media_type};base64," + base64.b64encode(data).decode("ascii")


def _json_script(spec: Any) -> Markup:
    text = json.dumps(spec, separators=(",", ":"), ensure_ascii=True)
    # keep the JSON from closing the <script> element it sits in
    text = text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
    return Markup(text)  # noqa: S704 - JSON with <, >, & escaped above


@cache
def _environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("collabready.reporting", "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=False,
        lstrip_blocks=False,
    )
    env.filters["kind"] = _kind
    env.filters["svg_data_uri"] = _svg_data_uri
    env.filters["data_uri"] = _data_uri
    env.filters["json_script"] = _json_script
    return env


@cache
def _stylesheet(name: str) -> str:
    return resources.files("collabready.reporting").joinpath("templates", name).read_text("utf-8")


def _letters(i: int) -> str:
    return chr(ord("A") + i) if i < 26 else f"A{i - 25}"


def _numbering(report: Report) -> tuple[dict[str, str], list[TocEntry]]:
    numbers: dict[str, str] = {}
    toc: list[TocEntry] = []
    main_i = appendix_i = 0

    def visit(section: Section, number: str, level: int) -> None:
        numbers[section.id] = number
        if level <= (2 if section.appendix or number[0].isalpha() else 3):
            toc.append(TocEntry(section.id, number, section.title, level))
        for j, sub in enumerate(section.subsections, start=1):
            visit(sub, f"{number}.{j}", level + 1)

    for section in report.sections:
        if section.appendix:
            number = _letters(appendix_i)
            appendix_i += 1
        else:
            main_i += 1
            number = str(main_i)
        visit(section, number, 2)
    return numbers, toc


def _labels(report: Report) -> dict[str, str]:
    """ "Figure n" and "Table n" for every chart and table, in document order."""
    labels: dict[str, str] = {}
    figures = tables = 0
    for section in report.walk():
        for block in section.content:
            if isinstance(block, Chart):
                figures += 1
                tables += 1
                labels[block.id] = f"Figure {figures}."
                labels[block.table.id] = f"Table {tables}."
            elif isinstance(block, Table):
                tables += 1
                labels[block.id] = f"Table {tables}."
    return labels


def render_html(report: Report, *, assets_url: str | None = None, for_print: bool = False) -> str:
    """The report as one self-contained HTML document (styles inline, SVG charts inline).

    ``assets_url`` (ending in ``/``) is where the web layer serves the vega
    scripts; without it the page has no scripts at all.
    """
    numbers, toc = _numbering(report)
    css = _stylesheet("report.css")
    if for_print:
        css += "\n" + _stylesheet("print.css")
    template = _environment().get_template("report.html.j2")
    return template.render(
        report=report,
        numbers=numbers,
        toc=toc,
        labels=_labels(report),
        css=Markup(css),  # noqa: S704 - our own stylesheets, shipped in the package
        assets_url=None if for_print else assets_url,
        author=AUTHOR,
        eyebrow=EYEBROWS[report.kind],
    )


def render_pdf(report: Report) -> bytes:
    """The report as a tagged A4 PDF (WeasyPrint)."""
    import weasyprint
    from weasyprint.urls import URLFetcher

    html = render_html(report, for_print=True)
    # everything a report needs is embedded (data: URIs); a link in a user's
    # roundtable note must never make the generator fetch from the network or
    # read local files
    embedded_only = URLFetcher(allowed_protocols={"data"})
    document = weasyprint.HTML(string=html, base_url=".", url_fetcher=embedded_only).render()
    pdf: bytes = document.write_pdf(pdf_tags=True)
    return pdf


def output_format(path: Path) -> OutputFormat:
    """The format a path asks for, from its suffix (``.pdf``, ``.html``/``.htm``)."""
    suffix = path.suffix.lower()
    if suffix == ".pdf":
        return OutputFormat.PDF
    if suffix in (".html", ".htm"):
        return OutputFormat.HTML
    raise OutputPathError(
        f"{path}: cannot tell the output format from {suffix or 'a name without a suffix'}; "
        "end the file name in .pdf or .html"
    )


def write_report(report: Report, path: Path) -> OutputFormat:
    """Render ``report`` to ``path`` (format from the suffix), all or nothing.

    The document is written to a temporary file beside ``path`` and moved into
    place only once complete, so a failure never leaves half a report.
    """
    fmt = output_format(path)
    data = render_pdf(report) if fmt is OutputFormat.PDF else render_html(report).encode("utf-8")
    directory = path.parent if str(path.parent) else Path()
    fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", dir=directory)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        Path(tmp_name).replace(path)
    except BaseException:
        Path(tmp_name).unlink(missing_ok=True)
        raise
    return fmt


__all__ = [
    "OutputFormat",
    "OutputPathError",
    "output_format",
    "render_html",
    "render_pdf",
    "write_report",
]
