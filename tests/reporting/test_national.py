"""The national report: every section, the roundtable note, the reproducibility stamp.

Figures: test_figures.py; findings: test_findings.py; disclosure: test_disclosure.py.
"""

from __future__ import annotations

import re

from .conftest import Built

SECTIONS = {
    "summary": "Executive summary",
    "methodology": "Methodology",
    "index": "The index",
    "by-sector": "By sector",
    "by-subsector": "By sub-sector",
    "by-role": "By role",
    "by-size": "By organisation size",
    "by-region": "By region or nation",
    "gap": "Commitment, capacity and the gap",
    "environment": "Enablers and the operating environment",
    "citizens": "Citizens compared with the other blocks",
    "value": "Assessing the value of the index",
    "taking-action": "Taking action to improve readiness",
    "sample-profile": "The survey sample",
    "item-statistics": "Statement reliability",
    "questionnaire": "The questionnaire",
    "roundtable": "Roundtable note",
    "reproducibility": "Reproducibility",
}


def test_every_section_is_present_in_html_and_pdf(built: Built):
    text = built.pdf_text
    for sid, title in SECTIONS.items():
        assert f'id="{sid}"' in built.html, sid
        assert title in text, title
    assert "Contents" in text
    # the value of the index: validation and the reliability tables
    assert {"validation-regression", "reliability", "item-rest"} <= set(built.tables)
    for table in ("Reliability of each block and subscale", "Design-based regression"):
        assert table in built.pdf_flat


def test_roundtable_note_is_escaped(built: Built):
    assert "<script>alert(1)</script>" not in built.html
    assert "&lt;script&gt;" in built.html
    assert "What we agreed" in built.pdf_text


def test_reproducibility_stamp(built: Built):
    stamp = built.report.stamp
    assert re.fullmatch(r"[0-9a-f]{64}", stamp.data_sha256)
    assert stamp.instrument_key in built.pdf_text
    assert stamp.data_sha256 in built.html
    assert "2026-03-01T12:00:00+00:00" in built.html
    assert ("sector", "public", 620002.0) in stamp.margins
    assert "620,002" in built.pdf_flat


def test_element_ids_are_unique(built: Built):
    # a finding appears in the summary and again in its chapter: ids must not repeat
    # (anchors and aria references would point at the wrong element)
    ids = re.findall(r'\sid="([^"]+)"', built.html)
    repeated = sorted({i for i in ids if ids.count(i) > 1})
    assert ids
    assert not repeated, repeated
