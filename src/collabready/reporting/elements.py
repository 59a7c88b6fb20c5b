"""Building blocks shared by the report builders: charts and tables from estimates.

Every table produced here carries the disclosure threshold it was built
with, and every figure passes through ``collabready.stats.apply_disclosure_control``
(breakdowns in :func:`~collabready.reporting.analysis.breakdown`, other rows
here through :func:`~collabready.reporting.analysis.protect_counts`): rows that
disclosure control suppressed print ``[c]`` in every figure cell and are left
out of the charts.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

from collabready.analysis.contrasts import Contrast
from collabready.analysis.estimates import Breakdown
from collabready.analysis.gate import protect_counts
from collabready.instrument.model import Instrument
from collabready.reporting.charts import Point, estimate_chart
from collabready.reporting.model import (
    Cell,
    CellStatus,
    Chart,
    Estimate,
    Table,
    fmt_number,
)

COLUMN_TITLES = {
    "index": "Index",
    "commitment": "Commitment",
    "capacity": "Capacity",
    "gap": "Gap",
    "enablers": "Enablers",
    "environment_helps": "Environment helps",
    "environment_hinders": "Environment hinders",
    "outcomes": "Outcomes",
}


def column_title(instrument: Instrument, column: str) -> str:
    """A score column's printed name (``citizens_gap`` -> ``Citizens gap``)."""
    if column in COLUMN_TITLES:
        return COLUMN_TITLES[column]
    for b in instrument.blocks:
        if column == b.id:
            return b.title.get()
        if column.startswith(f"{b.id}_"):
            return f"{b.title.get()} {column[len(b.id) + 1 :]}"
    return column.replace("_", " ").capitalize()


def breakdown_table(
    *,
    table_id: str,
    caption: str,
    breakdown: Breakdown,
    instrument: Instrument,
    k: int,
    columns: Sequence[str] | None = None,
) -> Table:
    """Estimate and 95% CI of each column for each level; n per level."""
    shown = tuple(columns or breakdown.columns)
    header = [breakdown.title]
    header += [column_title(instrument, c) for c in shown]
    header.append("Respondents")
    rows: list[tuple[Cell, ...]] = []
    for r in breakdown.rows:
        if r.estimates is None:
            hidden = Cell.hidden(r.status)
            rows.append((Cell.label(r.label), *([hidden] * (len(shown) + 1))))
            continue
        cells: list[Cell] = [Cell.label(r.label)]
        cells += [Cell.estimate(r.estimates[c]) for c in shown]
        respondents = r.respondents
        if respondents is None:
            respondents = max(r.estimates[c].n for c in shown)
        cells.append(Cell.count(respondents))
        rows.append(tuple(cells))
    notes = ["Each figure is an estimate with its 95% confidence interval beneath it."]
    return Table(table_id, caption, tuple(header), tuple(rows), tuple(notes), k)


def ci_cell(e: Estimate) -> Cell:
    return Cell(
        text=f"{fmt_number(e.ci_low)} to {fmt_number(e.ci_high)}",
        value=e.ci_low,
        status=CellStatus.PUBLISHED,
        ci=(e.ci_low, e.ci_high),
    )


def breakdown_chart(
    *,
    chart_id: str,
    title: str,
    breakdown: Breakdown,
    columns: Sequence[str],
    instrument: Instrument,
    k: int,
    what: str = "score",
    axis_title: str = "Score (0–100)",
    table: Table | None = None,
) -> Chart:
    """A chart of ``columns`` for each level; ``table`` replaces the default data table."""
    points = []
    for r in breakdown.rows:
        for c in columns:
            est = None if r.estimates is None else r.estimates[c]
            points.append(
                Point(
                    label=r.label,
                    estimate=est,
                    series=column_title(instrument, c) if len(columns) > 1 else "",
                    status=CellStatus.PUBLISHED if r.estimates is not None else r.status,
                )
            )
    return estimate_chart(
        chart_id=chart_id,
        title=title,
        points=points,
        label_title=breakdown.title,
        series_title="Measure" if len(columns) > 1 else "",
        k=k,
        what=what,
        axis_title=axis_title,
        table=table,
    )


def estimates_chart(
    *,
    chart_id: str,
    title: str,
    rows: Sequence[tuple[str, str, Estimate | None]],
    label_title: str,
    k: int,
    series_title: str = "",
    what: str = "score",
    axis_title: str = "Score (0–100)",
) -> Chart:
    """A chart from (label, series, estimate) rows; figures below ``k`` are left out."""
    status = protect_counts([0 if e is None else e.n for _, _, e in rows], k=k)
    points = [
        Point(label=lb, series=s, estimate=e)
        if st is CellStatus.PUBLISHED
        else Point(label=lb, series=s, estimate=None, status=st)
        for (lb, s, e), st in zip(rows, status, strict=True)
    ]
    return estimate_chart(
        chart_id=chart_id,
        title=title,
        points=points,
        label_title=label_title,
        series_title=series_title,
        k=k,
        what=what,
        axis_title=axis_title,
    )


def estimates_table(
    *,
    table_id: str,
    caption: str,
    rows: Mapping[str, Estimate | None],
    label_title: str,
    k: int,
) -> Table:
    out: list[tuple[Cell, ...]] = []
    status = protect_counts([0 if e is None else e.n for e in rows.values()], k=k)
    for (label, e), st in zip(rows.items(), status, strict=True):
        if e is None or st is not CellStatus.PUBLISHED:
            out.append((Cell.label(label), *([Cell.hidden(st)] * 3)))
        else:
            out.append((Cell.label(label), Cell.number(e.value), ci_cell(e), Cell.count(e.n)))
    return Table(
        table_id,
        caption,
        (label_title, "Estimate", "95% CI", "Respondents"),
        tuple(out),
        (),
        k,
    )


def p_value(p: float) -> str:
    """``<0.001`` or the p-value to three decimals (``–`` when there is none)."""
    if not math.isfinite(p):
        return "–"
    return "<0.001" if p < 0.001 else f"{p:.3f}"


def p_text(p: float) -> str:
    if not math.isfinite(p):
        return "no test possible"
    return "p < 0.001" if p < 0.001 else f"p = {p:.3f}"


def contrasts_table(*, table_id: str, caption: str, contrasts: Sequence[Contrast], k: int) -> Table:
    rows: list[tuple[Cell, ...]] = []
    status = protect_counts([c.difference.n for c in contrasts], k=k)
    for c, st in zip(contrasts, status, strict=True):
        d = c.difference
        label = Cell.label(f"{c.a} − {c.b}" if c.b else c.a)
        if st is not CellStatus.PUBLISHED:
            rows.append((label, *([Cell.hidden(st)] * 5)))
            continue
        rows.append(
            (
                label,
                Cell.number(d.value),
                ci_cell(d),
                Cell(text=p_value(c.p_value), value=c.p_value, status=CellStatus.PUBLISHED),
                Cell(text=p_value(c.p_adjusted), value=c.p_adjusted, status=CellStatus.PUBLISHED),
                Cell.count(d.n),
            )
        )
    return Table(
        table_id,
        caption,
        ("Comparison", "Difference", "95% CI", "p", "p (Holm)", "Respondents"),
        tuple(rows),
        (),
        k,
    )
