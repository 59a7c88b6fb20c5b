"""The disclosure gate: the only way a figure becomes publishable.

A figure about respondents (a mean, a proportion, a difference, a peer
median) is published only as an :class:`Estimate`, and an :class:`Estimate`
is made only by :func:`publish`. Every renderer (report tables and charts,
the readiness profile, exports, API aggregates) takes :class:`Estimate`, so
mypy rejects a renderer fed a raw number, and at run time an
:class:`Estimate` built anywhere else raises :class:`TypeError`.

:func:`publish` checks the one invariant itself, whatever rule decided the
cell's status: a figure shown as :attr:`CellStatus.PUBLISHED` rests on at
least ``k`` respondents. The rules that decide the statuses (threshold,
complementary suppression, linked tables) are
:func:`collabready.stats.apply_disclosure_control`, :func:`protect_counts`
and :mod:`collabready.analysis.pattern`.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from collabready.stats import apply_disclosure_control
from collabready.stats.disclosure import STATUS_COLUMN, CellStatus, DisclosureError

__all__ = [
    "CellStatus",
    "Estimate",
    "RawEstimate",
    "fmt_number",
    "protect_counts",
    "publish",
    "publish_threshold",
]

#: Proof that an Estimate came through :func:`publish`.
_GATE = object()


def fmt_number(value: float, *, digits: int = 1) -> str:
    """A number as printed: fixed decimals, a real minus sign, "–" for NaN."""
    if math.isnan(value):
        return "–"
    text = f"{value:.{digits}f}"
    if text.startswith("-"):
        # "-0.0" prints as "0.0"; other negatives get U+2212
        text = text[1:] if float(text) == 0 else "\u2212" + text[1:]
    return text


@dataclass(frozen=True, slots=True)
class RawEstimate:
    """A figure before the gate: not publishable, and accepted by no renderer."""

    value: float
    ci_low: float
    ci_high: float
    n: int
    se: float = math.nan
    #: degrees of freedom of the interval, and the weighted count behind the figure
    df: float = math.nan
    weighted_n: float = math.nan


@dataclass(frozen=True, slots=True)
class Estimate:
    """A published figure with its 95% confidence interval (NaN when it has none).

    ``n`` is the unweighted number of respondents (or organisations, for a
    peer figure) behind it; disclosure control looks at ``n``, never at a
    weighted total. Made only by :func:`publish`.
    """

    value: float
    ci_low: float
    ci_high: float
    n: int
    se: float
    k: int
    df: float = math.nan
    weighted_n: float = math.nan
    _gate: object = field(default=None, repr=False, compare=False)

    def __post_init__(self) -> None:
        if self._gate is not _GATE:
            raise TypeError(
                "an Estimate is made only by collabready.analysis.gate.publish (disclosure gate)"
            )

    def text(self, *, digits: int = 1, unit: str = "") -> str:
        """``62.1 (95% CI 60.3 to 63.9)``."""
        v, lo, hi = (fmt_number(x, digits=digits) for x in (self.value, self.ci_low, self.ci_high))
        return f"{v}{unit} (95% CI {lo}{unit} to {hi}{unit})"

    def negated(self) -> Estimate:
        """The same figure with the sign turned (``b - a`` for ``a - b``)."""
        return Estimate(
            -self.value,
            -self.ci_high,
            -self.ci_low,
            self.n,
            self.se,
            self.k,
            self.df,
            self.weighted_n,
            _GATE,
        )


def publish(
    raw: RawEstimate, *, k: int, status: CellStatus = CellStatus.PUBLISHED
) -> Estimate | None:
    """The published form of ``raw``, or ``None`` when its cell is withheld.

    ``status`` is what disclosure control decided for the cell (published
    unless a rule withheld it). Raises :class:`DisclosureError` when a cell
    marked published rests on fewer than ``k`` (a bug in the rule that set
    the status, never to be rendered).
    """
    if isinstance(k, bool) or not isinstance(k, int | np.integer) or k < 1:
        raise DisclosureError(f"k must be a whole number of at least 1, got {k!r}")
    if status is not CellStatus.PUBLISHED:
        return None
    if not raw.n >= k:
        raise DisclosureError(f"a figure on {raw.n} respondents was marked published with k = {k}")
    return Estimate(
        float(raw.value),
        float(raw.ci_low),
        float(raw.ci_high),
        int(raw.n),
        float(raw.se),
        int(k),
        float(raw.df),
        float(raw.weighted_n),
        _GATE,
    )


def publish_threshold(raw: RawEstimate, *, k: int) -> Estimate | None:
    """``raw`` published if it rests on at least ``k`` (a figure related to no total)."""
    status = CellStatus.PUBLISHED if raw.n >= k else CellStatus.SUPPRESSED_PRIMARY
    return publish(raw, k=k, status=status)


def protect_counts(
    counts: Sequence[int], *, k: int, keys: Sequence[str] | None = None
) -> list[CellStatus]:
    """Disclosure status of cells with these respondent counts.

    With ``keys`` (one level per cell) the cells are the levels of one
    breakdown, adding up to a known total, so secondary suppression applies;
    without, they are unrelated figures and only the threshold applies.
    """
    if not counts:
        return []
    frame = pd.DataFrame({"n": np.asarray(counts, dtype=np.int64)})
    by: list[str] = []
    if keys is not None:
        frame.insert(0, "level", list(keys))
        by = ["level"]
    protected = apply_disclosure_control(frame, by=by, count_column="n", value_columns=[], k=k)
    return [CellStatus(str(s)) for s in protected.frame[STATUS_COLUMN]]
