"""The enabler components: the share of respondents who agree with each, with its CI.

The instrument's enablers section (``SectionKind.ENABLERS``) tags each
statement with a *facet*, the component it measures (CRI: ``leaders``,
``incentives``, ``tools_skills``, ``time_resources``). The scoring step scores
each facet as a 0-100 subscale (``enablers_<facet>``, reverse-worded
statements flipped). A respondent *agrees* with a component when that score is
above the midpoint, 50: on average they agree with its statements. A
respondent who answered none of them (or only "don't know") is left out of
that component.

The share agreeing is a design-based proportion
(:func:`collabready.stats.estimate_proportions`, R ``svyciprop`` with the logit
interval), shown as a percentage, and published only through the gate: each
component is an unrelated figure, so the threshold alone applies
(:func:`~collabready.analysis.gate.protect_counts` without keys).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from collabready.analysis.data import AnalysisData
from collabready.analysis.gate import CellStatus, Estimate, RawEstimate, protect_counts, publish
from collabready.instrument.model import Instrument, SectionKind
from collabready.stats import SurveyDesign, estimate_proportions

__all__ = ["AGREE_ABOVE", "EnablerShare", "enabler_facets", "enabler_shares", "facet_title"]

#: A component score above this (the scale's midpoint, 0-100) counts as agreeing.
AGREE_ABOVE = 50.0


@dataclass(frozen=True, slots=True)
class EnablerShare:
    """One enabler component: the percentage agreeing, or ``None`` when withheld."""

    facet: str
    title: str
    #: the score column of the component (``enablers_<facet>``)
    column: str
    share: Estimate | None
    status: CellStatus
    #: respondents who answered the component (the count disclosure control looked at)
    n: int


def facet_title(facet: str) -> str:
    """A facet key as printed: ``tools_skills`` -> ``Tools and skills``.

    The instrument names the facets by key only; words joined by ``_`` in a
    key read as a pair (``time_resources``: time and resources).
    """
    words = [w for w in facet.split("_") if w]
    text = " and ".join(words) if words else facet
    return text[:1].upper() + text[1:]


def enabler_facets(instrument: Instrument) -> tuple[str, ...]:
    """The facets of the instrument's enablers section(s), in questionnaire order."""
    items = (
        i for s in instrument.sections if s.kind is SectionKind.ENABLERS for i in s.items if i.facet
    )
    return tuple(dict.fromkeys(i.facet for i in items if i.facet))


def enabler_shares(*, data: AnalysisData, design: SurveyDesign, k: int) -> tuple[EnablerShare, ...]:
    """The share agreeing with each enabler component, through the gate ((), without facets)."""
    facets = [f for f in enabler_facets(data.instrument) if f"enablers_{f}" in data.scores.columns]
    if not facets:
        return ()
    variables: dict[str, np.ndarray] = {}
    for facet in facets:
        score = data.col(f"enablers_{facet}")
        agree = np.where(np.isfinite(score), (score > AGREE_ABOVE).astype(np.float64), np.nan)
        variables[facet] = agree
    table = estimate_proportions(design=design, variables=variables, by=None, overall=True)
    counts = [int(table.n[table.index(f)]) for f in facets]
    status = protect_counts(counts, k=k)
    out = []
    for facet, n, st in zip(facets, counts, status, strict=True):
        i = table.index(facet)
        raw = RawEstimate(
            value=100 * float(table.estimate[i]),
            ci_low=100 * float(table.ci_low[i]),
            ci_high=100 * float(table.ci_high[i]),
            n=n,
            se=100 * float(table.se[i]),
            df=float(table.df[i]),
            weighted_n=float(table.weighted_n[i]),
        )
        out.append(
            EnablerShare(
                facet=facet,
                title=facet_title(facet),
                column=f"enablers_{facet}",
                share=publish(raw, k=k, status=st),
                status=st,
                n=n,
            )
        )
    return tuple(out)
