"""Key findings: sentences written from the numbers, each stated only when supported.

Each function returns a :class:`~collabready.reporting.model.Finding` whose
``supported`` flag is the outcome of the design-based test behind the claim
(at the 5% level, Holm-adjusted where several comparisons are made together)
*and* of disclosure control: every figure in the sentence must rest on at
least ``k`` respondents. The renderer prints only supported findings, so a
sentence the data do not bear out never reaches the reader.
"""

from __future__ import annotations

import math

from collabready.analysis.contrasts import ALPHA, Contrast
from collabready.analysis.gate import CellStatus, RawEstimate, protect_counts, publish
from collabready.analysis.wave import WaveAnalysis
from collabready.reporting.elements import p_text
from collabready.reporting.model import Estimate, Finding, fmt_number

__all__ = [
    "ALPHA",
    "count_words",
    "disclosed",
    "disclosed_counts",
    "key_findings",
    "sector_phrase",
]

_WORDS = ("no", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten")


def count_words(n: int) -> str:
    """A small count in words, as prose prints it (``6`` -> ``six``); digits from 11."""
    return _WORDS[n] if 0 <= n < len(_WORDS) else f"{n:,}"


def sector_phrase(label: str) -> str:
    """``Public sector`` -> ``public sector``; ``Public`` -> ``public sector``."""
    text = label.split(" (", maxsplit=1)[0]
    text = text[0].lower() + text[1:] if text else text
    return text if "sector" in text.lower() else f"{text} sector"


def disclosed_counts(counts: list[int], *, k: int) -> bool:
    """True when every count behind a sentence passes disclosure control (n ≥ k)."""
    return all(s is CellStatus.PUBLISHED for s in protect_counts(counts, k=k))


def disclosed(a: WaveAnalysis, *estimates: Estimate | None) -> bool:
    """True when every figure of a sentence passes disclosure control (n ≥ k)."""
    if any(e is None for e in estimates):
        return False
    return disclosed_counts([e.n for e in estimates if e is not None], k=a.k)


def significant(c: Contrast, *, sign: int) -> bool:
    """The difference has the expected sign and its (adjusted) p-value is below 5%."""
    p = c.p_adjusted
    return math.isfinite(p) and p < ALPHA and c.difference.value * sign > 0


def _diff_evidence(c: Contrast, what: str = "difference") -> str:
    adj = " (Holm-adjusted)" if c.adjustment == "holm" else ""
    return f"{what} {c.difference.text()}, {p_text(c.p_adjusted)}{adj}"


def _blocks(a: WaveAnalysis) -> str:
    """How many building blocks the instrument has, in words."""
    return count_words(len(a.data.instrument.blocks))


def _absent(finding_id: str) -> Finding:
    return Finding(finding_id, "", supported=False)


def index_level(a: WaveAnalysis) -> Finding:
    e = a.overall.get("index")
    if e is None:
        return _absent("index")
    return Finding(
        id="index",
        sentence=(
            f"The Collaboration Readiness Index stands at {e.text()} out of 100, "
            f"from {e.n:,} senior leaders."
        ),
        supported=disclosed(a, e),
        estimate=e,
    )


def lowest_block(a: WaveAnalysis) -> Finding:
    """ "X is the lowest-scoring block" only if it is significantly below the next block."""
    c = a.lowest_vs_next
    e = a.overall.get(a.block_order[0])
    if c is None or e is None:
        return _absent("lowest-block")
    return Finding(
        id="lowest-block",
        sentence=(
            f"{c.a} is the lowest-scoring of the {_blocks(a)} building blocks, at {e.text()}, "
            f"significantly below the next lowest, {c.b}."
        ),
        supported=significant(c, sign=-1) and disclosed(a, e, c.difference),
        estimate=e,
        evidence=_diff_evidence(c, f"{c.a} minus {c.b}"),
    )


def overall_gap(a: WaveAnalysis) -> Finding:
    c = a.overall_gap
    if c is None:
        return _absent("gap")
    e = c.difference
    if e.value < 0:
        sentence = (
            "Practice runs ahead of ambition: capacity exceeds commitment by "
            f"{e.negated().text()} points on average."
        )
    else:
        sentence = (
            f"Ambition outstrips practice: commitment exceeds capacity by "
            f"{e.text()} points on average."
        )
    sign = -1 if e.value < 0 else 1
    return Finding(
        id="gap",
        sentence=sentence,
        supported=significant(c, sign=sign) and disclosed(a, e),
        estimate=e,
        evidence=f"paired within respondents, {p_text(c.p_value)}",
    )


def gap_in_every_block(a: WaveAnalysis) -> Finding:
    if not a.block_gaps:
        return _absent("gap-every-block")
    ok = all(significant(c, sign=1) for c in a.block_gaps)
    smallest = min(a.block_gaps, key=lambda c: c.difference.value)
    return Finding(
        id="gap-every-block",
        sentence=(
            f"Commitment exceeds capacity in every one of the {_blocks(a)} building blocks; the "
            f"smallest gap is in {smallest.a}, {smallest.difference.text()}."
        ),
        supported=ok and disclosed(a, *(c.difference for c in a.block_gaps)),
        estimate=smallest.difference,
        evidence=f"each block's gap tested against zero, largest Holm-adjusted "
        f"{p_text(max(c.p_adjusted for c in a.block_gaps))}",
    )


def widest_sector_gap(a: WaveAnalysis) -> Finding:
    """ "The X sector shows the widest gap" only if significantly wider than every other."""
    c = a.widest_gap
    e = a.widest_gap_estimate
    if c is None or e is None:
        return _absent("widest-gap")
    family = a.widest_gap_family
    return Finding(
        id="widest-gap",
        sentence=(
            f"The {sector_phrase(c.a)} shows the widest gap between ambition and practice, "
            f"{e.text()} points, significantly wider than the {sector_phrase(c.b)}."
        ),
        supported=all(significant(f, sign=1) for f in family)
        and disclosed(a, e, *(f.difference for f in family)),
        estimate=e,
        evidence=_diff_evidence(c, "difference in gap"),
    )


def citizens_lag(a: WaveAnalysis) -> Finding:
    """ "The focus block (CRI: Citizens) scores below every other block", if significantly so.

    Absent when the instrument names no focus block (``Instrument.focus``).
    """
    focus = a.data.instrument.focus
    cs = a.citizens_vs_others
    e = a.overall.get(focus.block) if focus else None
    if focus is None or not cs or e is None:
        return _absent("focus-lag")
    ok = all(significant(c, sign=-1) for c in cs)
    closest = max(cs, key=lambda c: c.difference.value)
    lead = f"{focus.lag_finding.get()}: " if focus.lag_finding else ""
    return Finding(
        id=f"{focus.block}-lag",
        sentence=(
            f"{lead}{cs[0].a}, at {e.text()}, "
            f"scores below each of the other {count_words(len(cs))} blocks."
        ),
        supported=ok and disclosed(a, e, *(c.difference for c in cs)),
        estimate=e,
        evidence=_diff_evidence(closest, f"smallest difference, against {closest.b}"),
    )


def environment_hinders(a: WaveAnalysis) -> Finding:
    c = a.environment
    hinders = a.overall.get("environment_hinders")
    helps = a.overall.get("environment_helps")
    if c is None or hinders is None or helps is None:
        return _absent("environment")
    return Finding(
        id="environment",
        sentence=(
            "Leaders say their operating environment holds them back more than it helps: "
            f"they rate its hindrances at {hinders.text()} and its help at {helps.text()}."
        ),
        supported=significant(c, sign=1) and disclosed(a, hinders, helps, c.difference),
        estimate=c.difference,
        evidence=_diff_evidence(c, "hinders minus helps"),
    )


def staff_unsupported(a: WaveAnalysis) -> Finding:
    """ "Staff unsupported and unequipped": fewer than half agree with every enabler component.

    Stated only when every component's share agreeing is published and its 95%
    interval lies wholly below 50% (each component tested against one half; the
    claim is about all of them together, an intersection of the tests, so no
    adjustment for multiplicity is needed). Absent when the instrument's
    enablers have no components (facets).
    """
    shares = a.enablers
    if not shares:
        return _absent("enablers")
    published = [s.share for s in shares if s.share is not None]
    parts = "; ".join(
        f"{s.title.lower()} {s.share.text(unit='%')}" if s.share is not None else s.title.lower()
        for s in shares
    )
    lowest = min(published, key=lambda e: e.value) if published else None
    highest = max(published, key=lambda e: e.ci_high) if published else None
    below = len(published) == len(shares) and all(
        math.isfinite(e.ci_high) and e.ci_high < 50 for e in published
    )
    return Finding(
        id="enablers",
        sentence=(
            "Staff are unsupported and unequipped: fewer than half of leaders agree that their "
            "organisation supports, rewards and equips staff to work with partners, on each of "
            f"the {count_words(len(shares))} enablers ({parts})."
        ),
        supported=below and disclosed(a, *published),
        estimate=lowest,
        evidence=(
            "every share's 95% CI lies below 50%, the highest upper limit "
            f"{fmt_number(highest.ci_high)}%"
            if highest is not None
            else ""
        ),
    )


def index_predicts_outcomes(a: WaveAnalysis) -> Finding:
    r = a.validation.correlation
    if not a.validation.published:
        return _absent("validity")
    est = publish(RawEstimate(r.r, r.ci_lower, r.ci_upper, r.n), k=a.k)
    assert est is not None
    return Finding(
        id="validity",
        sentence=(
            "Readiness goes with results: organisations with higher index scores report "
            f"more from collaboration (correlation {est.text(digits=2)})."
        ),
        supported=math.isfinite(r.ci_lower) and r.ci_lower > 0,
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
        staff_unsupported(a),
        widest_sector_gap(a),
        environment_hinders(a),
        index_predicts_outcomes(a),
    )
