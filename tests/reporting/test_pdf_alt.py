"""The PDF stays tagged: every chart (and the cover's logo) is a Figure with its alt text."""

from __future__ import annotations

import io
from typing import Any

from PIL import Image
from pypdf import PdfReader
from pypdf.generic import ArrayObject, DictionaryObject

from collabready.instrument import Instrument
from collabready.reporting.logo import read_logo
from collabready.reporting.model import Chart
from collabready.reporting.national import national_report
from collabready.reporting.render import render_pdf

from .conftest import FIXED_TIME, Built


def figures(pdf: bytes) -> list[str]:
    """The /Alt of every /Figure element of the PDF's structure tree, in order."""
    root = PdfReader(io.BytesIO(pdf)).trailer["/Root"]
    out: list[str] = []

    def walk(node: Any) -> None:
        node = node.get_object()
        if isinstance(node, ArrayObject):
            for kid in node:
                walk(kid)
            return
        if not isinstance(node, DictionaryObject):
            return
        if node.get("/S") == "/Figure":
            out.append(str(node.get("/Alt", "")))
        if "/K" in node:
            walk(node["/K"])

    walk(root["/StructTreeRoot"])
    return out


def test_every_chart_in_the_pdf_has_its_alt_text(built: Built) -> None:
    charts = [c for s in built.report.walk() for c in s.content if isinstance(c, Chart)]
    assert len(charts) >= 10
    alts = figures(built.pdf)
    assert alts == [c.alt_text for c in charts]
    assert all(a.strip() for a in alts)


def test_the_logo_is_a_figure_with_its_alt_text(cri: Instrument, wave) -> None:
    responses, _margins = wave
    buf = io.BytesIO()
    Image.new("RGB", (120, 40), (0, 90, 160)).save(buf, "PNG")
    logo = read_logo(buf.getvalue(), filename="logo.png", alt_text="Foundation logo")
    report = national_report(
        responses=responses.head(400),
        instrument=cri,
        margins=None,
        draft=True,
        logo=logo,
        generated_at=FIXED_TIME,
    )
    alts = figures(render_pdf(report))
    assert alts[0] == "Foundation logo"
    assert len(alts) == 1 + sum(isinstance(c, Chart) for s in report.walk() for c in s.content)
