"""Tested differences: within respondents (paired) and between domains, with Holm's adjustment.

Every difference is published through the gate; both sides of a domain
difference are published domains.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from scipy import stats as sps

from collabready.analysis.data import AnalysisData
from collabready.analysis.gate import CellStatus, Estimate, RawEstimate, protect_counts, publish
from collabready.stats import (
    Factor,
    PAdjust,
    SurveyDesign,
    adjust_p_values,
    compare_domains,
    estimate_means,
    paired_difference,
)

__all__ = ["ALPHA", "Contrast", "domain_contrasts", "holm", "paired_contrast", "t_test_p"]

#: Significance level of every test behind a finding.
ALPHA = 0.05


@dataclass(frozen=True, slots=True)
class Contrast:
    """A tested difference: ``a`` minus ``b``."""

    a: str
    b: str
    difference: Estimate
    p_value: float
    p_adjusted: float
    adjustment: str = "none"

    @property
    def significant(self) -> bool:
        return self.p_adjusted < ALPHA


def t_test_p(estimate: float, se: float, df: float) -> float:
    """Two-sided p-value of ``estimate / se`` on Student's t with ``df`` degrees of freedom."""
    if not (math.isfinite(estimate) and math.isfinite(se)) or se <= 0 or df < 1:
        return math.nan
    return float(2 * sps.t.sf(abs(estimate / se), df))


def paired_contrast(
    *,
    data: AnalysisData,
    design: SurveyDesign,
    first: str,
    second: str,
    a: str,
    b: str,
    k: int,
) -> Contrast | None:
    """Mean within-respondent difference ``first - second`` (``paired_difference``), t test.

    ``None`` when fewer than ``k`` respondents answered both.
    """
    table = paired_difference(design=design, first=data.col(first), second=data.col(second))
    raw = RawEstimate(
        float(table.estimate[0]),
        float(table.ci_low[0]),
        float(table.ci_high[0]),
        int(table.n[0]),
        float(table.se[0]),
    )
    (status,) = protect_counts([raw.n], k=k)
    e = publish(raw, k=k, status=status)
    if e is None:
        return None
    p = t_test_p(e.value, e.se, float(table.df[0]))
    return Contrast(a, b, e, p, p)


def holm(contrasts: Sequence[Contrast]) -> tuple[Contrast, ...]:
    """The contrasts with Holm-adjusted p-values (``adjust_p_values``) as one family."""
    adjusted = adjust_p_values([c.p_value for c in contrasts], method=PAdjust.HOLM)
    return tuple(
        Contrast(c.a, c.b, c.difference, c.p_value, float(p), "holm")
        for c, p in zip(contrasts, adjusted, strict=True)
    )


def domain_contrasts(
    *,
    data: AnalysisData,
    design: SurveyDesign,
    column: str,
    factor: Factor,
    pairs: Sequence[tuple[str, str]],
    labels: Mapping[str, str],
    adjust: PAdjust,
    k: int,
) -> tuple[Contrast, ...]:
    """Differences between domain means (``compare_domains``), adjusted as one family.

    ``n`` of each difference is the respondents behind the two domain means;
    a pair with a domain of fewer than ``k`` is left out (its difference
    would describe them).
    """
    if not pairs:
        return ()
    variables = {column: data.col(column)}
    cmp = compare_domains(
        design=design, variables=variables, by={"group": factor}, pairs=pairs, adjust=adjust
    )
    means = estimate_means(design=design, variables=variables, by={"group": factor}, overall=False)
    n = {lv: int(means.n[i]) for i, lv in enumerate(means.domain)}
    out = []
    for i in range(len(cmp)):
        first, second = cmp.first[i], cmp.second[i]
        raw = RawEstimate(
            float(cmp.difference[i]),
            float(cmp.ci_low[i]),
            float(cmp.ci_high[i]),
            n[first] + n[second],
            float(cmp.se[i]),
        )
        small = min(n[first], n[second]) < k
        status = CellStatus.SUPPRESSED_PRIMARY if small else CellStatus.PUBLISHED
        e = publish(raw, k=k, status=status)
        if e is None:
            continue
        out.append(
            Contrast(
                labels.get(first, first),
                labels.get(second, second),
                e,
                float(cmp.p_value[i]),
                float(cmp.p_adjusted[i]),
                str(adjust),
            )
        )
    return tuple(out)
