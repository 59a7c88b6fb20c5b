"""The *estimate* and *protect* steps for report tables: whole-sample figures and breakdowns.

One ``estimate_means(by=...)`` call gives every domain; each table then goes
through disclosure control and every figure through the gate
(:func:`collabready.analysis.gate.publish`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from collabready.analysis.data import AnalysisData, factor_of, label_for, variable_title
from collabready.analysis.gate import Estimate, RawEstimate, publish
from collabready.analysis.pattern import DisclosurePattern
from collabready.stats import (
    EstimateTable,
    ProtectedTable,
    SurveyDesign,
    apply_disclosure_control,
    apply_pattern,
    estimate_means,
)
from collabready.stats.disclosure import STATUS_COLUMN, CellStatus

__all__ = ["Breakdown", "GroupRow", "breakdown", "breakdowns", "overall", "table_positions"]


def _estimates_frame(
    table: EstimateTable, rows: Mapping[str, Mapping[str, int]]
) -> tuple[pd.DataFrame, list[str]]:
    """One row per key of ``rows``; for each column its estimate, CI, se and n."""
    records = []
    columns: list[str] = []
    for key, positions in rows.items():
        rec: dict[str, object] = {"key": key}
        for col, i in positions.items():
            if col not in columns:
                columns.append(col)
            rec[f"{col}:estimate"] = float(table.estimate[i])
            rec[f"{col}:ci_low"] = float(table.ci_low[i])
            rec[f"{col}:ci_high"] = float(table.ci_high[i])
            rec[f"{col}:se"] = float(table.se[i])
            rec[f"{col}:n"] = int(table.n[i])
        records.append(rec)
    return pd.DataFrame.from_records(records), columns


def _publish_row(row: pd.Series, col: str, *, k: int) -> Estimate | None:
    """The figure of ``col`` in a protected row, through the gate (None when withheld)."""
    status = CellStatus(str(row[STATUS_COLUMN]))
    if status is not CellStatus.PUBLISHED:
        return None
    raw = RawEstimate(
        value=float(row[f"{col}:estimate"]),
        ci_low=float(row[f"{col}:ci_low"]),
        ci_high=float(row[f"{col}:ci_high"]),
        n=int(row[f"{col}:n"]),
        se=float(row[f"{col}:se"]),
    )
    return publish(raw, k=k, status=status)


# --------------------------------------------------------------------------- estimates


def table_positions(table: EstimateTable) -> dict[tuple[str, str, str], int]:
    """Row of each (variable, grouping, domain) in an estimate table."""
    return {
        key: i
        for i, key in enumerate(zip(table.variable, table.grouping, table.domain, strict=True))
    }


def overall(
    *, data: AnalysisData, design: SurveyDesign, columns: Sequence[str], k: int
) -> dict[str, Estimate]:
    """Whole-sample means of ``columns``; a column answered by fewer than ``k`` is left out."""
    table = estimate_means(design=design, variables={c: data.col(c) for c in columns})
    pos = table_positions(table)
    rows = {c: {"value": pos[(c, "all", "all")]} for c in columns}
    frame, _ = _estimates_frame(table, rows)
    values = [c for c in frame.columns if c not in ("key", "value:n")]
    protected = apply_disclosure_control(
        frame, by=[], count_column="value:n", value_columns=values, k=k
    )
    out: dict[str, Estimate] = {}
    for i, c in enumerate(columns):
        e = _publish_row(protected.frame.iloc[i], "value", k=k)
        if e is not None:
            out[c] = e
    return out


@dataclass(frozen=True, slots=True)
class GroupRow:
    """One level of a breakdown; ``estimates`` is None when suppressed."""

    level: str
    label: str
    estimates: Mapping[str, Estimate] | None
    status: CellStatus = CellStatus.PUBLISHED
    respondents: int | None = None


@dataclass(frozen=True, slots=True)
class Breakdown:
    variable: str
    title: str
    columns: tuple[str, ...]
    rows: tuple[GroupRow, ...]
    protected: ProtectedTable | None = None

    def row(self, level: str) -> GroupRow:
        for r in self.rows:
            if r.level == level:
                return r
        raise KeyError(level)


def breakdowns(
    *,
    data: AnalysisData,
    design: SurveyDesign,
    variables: Sequence[str],
    columns: tuple[str, ...],
    k: int,
    within: NDArray[np.bool_] | None = None,
    pattern: DisclosurePattern | None = None,
    sector: str | None = None,
) -> dict[str, Breakdown]:
    """Domain means of ``columns`` for each level of each of ``variables``, protected.

    One ``estimate_means(by=...)`` call gives the domain estimates of every
    grouping; each grouping's table of levels then goes through
    ``apply_disclosure_control``: the count behind a row is the smallest number
    of respondents behind any of its figures, so a level is withheld if any
    figure in it rests on fewer than ``k``, and a second level where the first
    could be recovered from the total. ``within`` restricts the domains to a
    subpopulation (for example one sector) without leaving the design.

    With ``pattern`` (:func:`disclosure_pattern`) a variable it covers is not
    protected on its own: its levels are withheld exactly where the joint
    sector × level table withholds them (within ``sector`` when given, which
    ``within`` must then select), with ``apply_pattern``.
    """
    if not variables:
        return {}
    if pattern is not None and pattern.k != k:
        raise ValueError(f"the disclosure pattern was made with k = {pattern.k}, not {k}")
    factors = {var: factor_of(data, var, within) for var in variables}
    table = estimate_means(
        design=design,
        variables={c: data.col(c) for c in columns},
        by=factors,
        overall=False,
    )
    pos = table_positions(table)
    out: dict[str, Breakdown] = {}
    for variable, factor in factors.items():
        rows = {lv: {c: pos[(c, variable, lv)] for c in columns} for lv in factor.levels}
        frame, _ = _estimates_frame(table, rows)
        counts = np.bincount(factor.codes[factor.codes >= 0], minlength=len(rows))
        frame.insert(1, "respondents", counts)
        frame.insert(1, "n_min", frame[[f"{c}:n" for c in columns]].min(axis=1).astype(np.int64))
        frame = frame.rename(columns={"key": variable})
        if pattern is not None and pattern.covers(variable):
            linked = [pattern.status(variable, lv, sector=sector) for lv in factor.levels]
            if any(st is None for st in linked):
                absent = factor.levels[linked.index(None)]
                raise ValueError(f"{variable}={absent!r} has no cell in the disclosure pattern")
            protected = apply_pattern(
                frame,
                primary=[st is CellStatus.SUPPRESSED_PRIMARY for st in linked],
                secondary=[st is CellStatus.SUPPRESSED_SECONDARY for st in linked],
                by=[variable],
                count_column="n_min",
                k=k,
            )
        else:
            protected = apply_disclosure_control(frame, by=[variable], count_column="n_min", k=k)
        group_rows = []
        for i, lv in enumerate(factor.levels):
            prow = protected.frame.iloc[i]
            label = label_for(data.instrument, variable, lv)
            status = CellStatus(str(prow[STATUS_COLUMN]))
            if status is not CellStatus.PUBLISHED:
                group_rows.append(GroupRow(lv, label, None, status))
                continue
            ests = {c: _publish_row(prow, c, k=k) for c in columns}
            group_rows.append(
                GroupRow(
                    lv,
                    label,
                    {c: e for c, e in ests.items() if e is not None},
                    status,
                    int(prow["respondents"]),
                )
            )
        out[variable] = Breakdown(
            variable, variable_title(variable), columns, tuple(group_rows), protected
        )
    return out


def breakdown(
    *,
    data: AnalysisData,
    design: SurveyDesign,
    variable: str,
    columns: tuple[str, ...],
    k: int,
    within: NDArray[np.bool_] | None = None,
    pattern: DisclosurePattern | None = None,
    sector: str | None = None,
) -> Breakdown:
    """Domain means of ``columns`` for each level of ``variable`` (see :func:`breakdowns`)."""
    return breakdowns(
        data=data,
        design=design,
        variables=[variable],
        columns=columns,
        k=k,
        within=within,
        pattern=pattern,
        sector=sector,
    )[variable]
