"""Key findings: sentences written from the numbers, each stated only when supported.

Each function returns a :class:`~collabready.reporting.model.Finding` whose
``supported`` flag is the outcome of the design-based test behind the claim
(at the 5% level, Holm-adjusted where several comparisons are made). The
renderer prints only supported findings, so a sentence the data do not bear
out never reaches the reader.
"""

from __future__ import annotations

from collabready.reporting.analysis import Contrast
from collabready.reporting.blocks import p_text
from collabready.reporting.model import Estimate, Finding, fmt_number
from collabready.reporting.wave import WaveAnalysis

ALPHA = 0.05


def sector_phrase(label: str) -> str:
    """``Public sector`` -> ``public sector``; ``Public`` -> ``public sector``."""
    text = label.split(" (", maxsplit=1)[0]
    text = text[0].lower() + text[1:] if text else text
    return text if "sector" in text.lower() else f"{text} sector"


def _diff_evidence(c: Contrast, what: str = "difference") -> str:
    adj = " (Holm-adjusted)" if c.adjustment == "holm" else ""
    return f"{what} {c.difference.text()}, {p_text(c.p_adjusted)}{adj}"


def index_level(a: WaveAnalysis) -> Finding:
    e = a.overall["index"]
    return Finding(
        id="index",
        sentence=(
            f"The Collaboration Readiness Index stands at {e.text()} out of 100, "
            f"from {a.n:,} senior leaders."
        ),
        supported=e.n >= a.k,
        estimate=e,
    )


def lowest_block(a: WaveAnalysis) -> Finding:
    """ "X is the lowest-scoring block" only if it is significantly below the next block."""
    c = a.lowest_vs_next
    e = a.overall[a.block_order[0]]
    supported = c.difference.value < 0 and c.p_adjusted < ALPHA and c.difference.n >= a.k
    return Finding(
        id="lowest-block",
        sentence=(
            f"{c.a} is the lowest-scoring of the six building blocks, at {e.text()}, "
            f"significantly below the next lowest, {c.b}."
        ),
        supported=supported,
        estimate=e,
        evidence=_diff_evidence(c, f"{c.a} minus {c.b}"),
    )


def overall_gap(a: WaveAnalysis) -> Finding:
    e = a.overall["gap"]
    positive = e.ci_low > 0
    negative = e.ci_high < 0
    if negative:
        sentence = (
            f"Practice runs ahead of ambition: capacity exceeds commitment by "
            f"{fmt_number(-e.value)} points on average (gap {e.text()})."
        )
    else:
        sentence = (
            f"Ambition outstrips practice: commitment exceeds capacity by "
            f"{fmt_number(e.value)} points on average (gap {e.text()})."
        )
    return Finding(
        id="gap",
        sentence=sentence,
        supported=(positive or negative) and e.n >= a.k,
        estimate=e,
    )


def gap_in_every_block(a: WaveAnalysis) -> Finding:
    ok = all(c.difference.value > 0 and c.p_adjusted < ALPHA for c in a.block_gaps)
    smallest = min(a.block_gaps, key=lambda c: c.difference.value)
    return Finding(
        id="gap-every-block",
        sentence=(
            "Commitment exceeds capacity in every one of the six building blocks; the "
            f"smallest gap is in {smallest.a}, {smallest.difference.text()}."
        ),
        supported=ok,
        estimate=smallest.difference,
        evidence="each block's gap tested against zero, Holm-adjusted",
    )


def widest_sector_gap(a: WaveAnalysis) -> Finding:
    """ "The X sector shows the widest gap" only if significantly wider than the next."""
    c = a.widest_gap
    e = a.widest_gap_estimate
    if c is None or e is None:
        return Finding("widest-gap", "", supported=False)
    return Finding(
        id="widest-gap",
        sentence=(
            f"The {sector_phrase(c.a)} shows the widest gap between ambition and practice, "
            f"{e.text()} points, significantly wider than the {sector_phrase(c.b)}."
        ),
        supported=c.difference.value > 0 and c.p_adjusted < ALPHA,
        estimate=e,
        evidence=_diff_evidence(c, "difference in gap"),
    )


def citizens_lag(a: WaveAnalysis) -> Finding:
    cs = a.citizens_vs_others
    if not cs:
        return Finding("citizens-lag", "", supported=False)
    ok = all(c.difference.value < 0 and c.p_adjusted < ALPHA for c in cs)
    closest = max(cs, key=lambda c: c.difference.value)
    e: Estimate = a.overall.get("citizens", closest.difference)
    return Finding(
        id="citizens-lag",
        sentence=(
            f"Engaging citizens lags behind collaboration between organisations: {cs[0].a}, "
            f"at {e.text()}, scores below each of the other five blocks."
        ),
        supported=ok,
        estimate=e,
        evidence=_diff_evidence(closest, f"smallest difference, against {closest.b}"),
    )


def environment_hinders(a: WaveAnalysis) -> Finding:
    c = a.environment
    hinders = a.overall.get("environment_hinders")
    helps = a.overall.get("environment_helps")
    if hinders is None or helps is None:
        return Finding("environment", "", supported=False)
    return Finding(
        id="environment",
        sentence=(
            "Leaders say their operating environment holds them back more than it helps: "
            f"they rate its hindrances at {hinders.text()} and its help at {helps.text()}."
        ),
        supported=c.difference.value > 0 and c.p_adjusted < ALPHA,
        estimate=c.difference,
        evidence=_diff_evidence(c, "hinders minus helps"),
    )


def index_predicts_outcomes(a: WaveAnalysis) -> Finding:
    r = a.validation.correlation
    est = Estimate(r.r, r.low, r.high, r.n)
    return Finding(
        id="validity",
        sentence=(
            "Readiness goes with results: organisations with higher index scores report "
            f"more from collaboration (correlation {est.text(digits=2)})."
        ),
        supported=r.low > 0,
        estimate=est,
    )


def key_findings(a: WaveAnalysis) -> tuple[Finding, ...]:
    """Every candidate finding, in the order the summary prints them."""
    return (
        index_level(a),
        overall_gap(a),
        gap_in_every_block(a),
        lowest_block(a),
        citizens_lag(a),
        widest_sector_gap(a),
        environment_hinders(a),
        index_predicts_outcomes(a),
    )
