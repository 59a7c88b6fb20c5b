"""A finding is printed when, and only when, the data support it.

Each test builds data in which a claim holds or fails, checks *with the
statistics engine directly* that the test behind the claim does or does not
pass, and then looks for the sentence in the HTML and the PDF text.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import polars as pl
import pytest
from pypdf import PdfReader
from scipy import stats as sps

from collabready.instrument import Instrument
from collabready.reporting.findings import count_words
from collabready.reporting.national import national_report
from collabready.reporting.render import render_html, render_pdf
from collabready.stats import PAdjust, compare_domains, estimate_means, paired_difference

from .conftest import Built, Engine, engine_for
from .html_tables import parse

LOWEST = "is the lowest-scoring of the six building blocks"  # cri has six blocks
CITIZENS = "Engaging citizens lags behind"
WIDEST = "shows the widest gap between ambition and practice"


@dataclass(frozen=True)
class Printed:
    html: str
    pdf: str
    findings: set[str]


def build(responses: pl.DataFrame, margins: pl.DataFrame, cri: Instrument) -> Printed:
    report = national_report(responses=responses, instrument=cri, margins=margins)
    html = render_html(report)
    pdf = PdfReader(io.BytesIO(render_pdf(report)))
    text = " ".join(" ".join(p.extract_text() for p in pdf.pages).split())
    return Printed(html, text, set(parse(html)[1]))


def paired_p(engine: Engine, a: str, b: str) -> tuple[float, float]:
    d = paired_difference(design=engine.design, first=engine.col(a), second=engine.col(b))
    return float(d.estimate[0]), float(2 * sps.t.sf(abs(d.estimate[0] / d.se[0]), d.df[0]))


def ranked_blocks(engine: Engine, cri: Instrument) -> list[str]:
    res = estimate_means(design=engine.design, variables={b: engine.col(b) for b in cri.block_ids})
    return sorted(cri.block_ids, key=lambda b: res.estimate[res.index(b)])


def widest_gap_tests(engine: Engine) -> tuple[str, np.ndarray, np.ndarray]:
    """The widest-gap sector; its differences from the others and Holm-adjusted p-values."""
    sector = engine.profile("sector")
    gap = {"gap": engine.col("gap")}
    means = estimate_means(
        design=engine.design, variables=gap, by={"sector": sector}, overall=False
    )
    ranked = sorted(set(sector), key=lambda s: -means.estimate[means.index("gap", "sector", s)])
    cmp = compare_domains(
        design=engine.design,
        variables=gap,
        by={"sector": sector},
        pairs=[(ranked[0], other) for other in ranked[1:]],
        adjust=PAdjust.HOLM,
    )
    return ranked[0], cmp.difference, cmp.p_adjusted


def test_supported_findings_are_printed(built: Built, engine: Engine, cri: Instrument):
    # the synthetic wave is built so that these hold; check that the engine agrees
    low, nxt = ranked_blocks(engine, cri)[:2]
    assert low == "citizens"
    diff, p = paired_p(engine, low, nxt)
    assert diff < 0
    assert p < 0.05
    top, diffs, p_holm = widest_gap_tests(engine)
    assert top == "public"
    assert np.all(diffs > 0)
    assert np.all(p_holm < 0.05)
    for fid in ("index", "gap", "gap-every-block", "lowest-block", "citizens-lag", "widest-gap"):
        assert fid in built.findings, fid
    for text in (f"Citizens {LOWEST}", CITIZENS, f"public sector {WIDEST}"):
        assert text in built.html
        assert text in built.pdf_flat


def test_citizens_not_significantly_lowest_is_not_said(cri: Instrument, wave, tmp_path: Path):
    responses, margins = wave
    # Citizens answers taken from another respondent's Markets answers: the two
    # blocks now have the same distribution and differ only by chance
    rng = np.random.default_rng(5)
    donor = rng.permutation(responses.height)
    markets = responses.select([i.id for i in cri.block("markets").items])[donor]
    citizens_ids = [i.id for i in cri.block("citizens").items]
    swapped = responses.with_columns(
        [markets.get_column(m).alias(c) for c, m in zip(citizens_ids, markets.columns, strict=True)]
    )
    engine = engine_for(swapped, margins, cri, tmp_path)
    low, nxt = ranked_blocks(engine, cri)[:2]
    _diff, p = paired_p(engine, low, nxt)
    assert {low, nxt} == {"citizens", "markets"}
    assert p >= 0.05  # the engine says: not significantly lower than the next block
    printed = build(swapped, margins, cri)
    assert "lowest-block" not in printed.findings
    assert "citizens-lag" not in printed.findings
    for text in (LOWEST, CITIZENS):
        assert text not in printed.html
        assert text not in printed.pdf
    # the tables are still there, with the non-significant difference in them
    assert "Citizens − Markets" in printed.pdf


def test_public_gap_not_significantly_widest_is_not_said(cri: Instrument, wave, tmp_path: Path):
    responses, margins = wave
    # sectors shuffled across respondents: every sector has the same gap but for chance
    rng = np.random.default_rng(7)
    shuffled = responses.with_columns(
        pl.Series(
            "sector", responses.get_column("sector").to_numpy()[rng.permutation(responses.height)]
        )
    )
    engine = engine_for(shuffled, margins, cri, tmp_path)
    _, _diffs, p_holm = widest_gap_tests(engine)
    assert np.any(p_holm >= 0.05)  # the engine says: not significantly the widest
    printed = build(shuffled, margins, cri)
    assert "widest-gap" not in printed.findings
    assert WIDEST not in printed.html
    assert WIDEST not in printed.pdf
    # findings the shuffle does not touch are still stated
    assert "index" in printed.findings


@pytest.mark.parametrize("widen", [True, False])
def test_widest_gap_follows_the_data(cri: Instrument, wave, tmp_path: Path, widen: bool):
    """The third sector made to have the widest gap (or not): the sentence follows."""
    responses, margins = wave
    cap_ids = [
        i.id
        for b in cri.blocks
        for i in b.items
        if str(i.dimension) == "capacity" and not i.reverse
    ]
    third = pl.col("sector") == "third"
    if widen:
        # capacity answers one point lower (floored at 1) in the third sector
        changed = responses.with_columns(
            [
                pl.when(third & (pl.col(c) <= 5) & (pl.col(c) > 1))
                .then(pl.col(c) - 1)
                .otherwise(pl.col(c))
                .alias(c)
                for c in cap_ids
            ]
        )
    else:
        changed = responses
    engine = engine_for(changed, margins, cri, tmp_path)
    top, diffs, p_holm = widest_gap_tests(engine)
    printed = build(changed, margins, cri)
    supported = bool(np.all(diffs > 0) and np.all(p_holm < 0.05))
    assert supported  # both versions have a significantly widest sector...
    name = {"public": "public sector", "third": "third sector", "private": "private sector"}[top]
    assert top == ("third" if widen else "public")  # ...but a different one
    assert f"The {name} {WIDEST}" in printed.pdf
    other = "public sector" if widen else "third sector"
    assert f"The {other} {WIDEST}" not in printed.html


def test_block_counts_come_from_the_instrument(built: Built, cri: Instrument):
    """The prose counts the instrument's blocks rather than assuming six."""
    assert count_words(len(cri.blocks)) == "six"
    assert [count_words(n) for n in (0, 1, 5, 10, 11, 1200)] == [
        "no",
        "one",
        "five",
        "ten",
        "11",
        "1,200",
    ]
    texts = {fid: f.text for fid, f in built.findings.items()}
    words = count_words(len(cri.blocks))
    if "lowest-block" in texts:
        assert f"of the {words} building blocks" in texts["lowest-block"]
    if "gap-every-block" in texts:
        assert f"every one of the {words} building blocks" in texts["gap-every-block"]
    if "citizens-lag" in texts:
        assert (
            f"each of the other {count_words(len(cri.blocks) - 1)} blocks" in texts["citizens-lag"]
        )
    assert any(k in texts for k in ("lowest-block", "gap-every-block", "citizens-lag"))
