"""Accessible charts: Altair (Vega-Lite) specs, static SVG, alt text, data table.

One chart definition serves both outputs: the Vega-Lite spec is embedded for
vega-embed on the web, and the same spec is rendered to SVG with vl-convert
for the PDF. Every chart carries a title, an alt text that states what the
chart shows in words, and a :class:`~collabready.reporting.model.Table` with
the same figures, printed beside it.

Colours come from the Okabe–Ito palette, which stays distinguishable under
the common colour-vision deficiencies; series are also told apart by shape,
so colour is never the only cue. Confidence intervals are drawn as error bars.

Rows whose figure is suppressed by disclosure control are left out of the
chart and marked ``[c]`` in the table.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from collabready.reporting.model import Cell, CellStatus, Chart, Estimate, Table, fmt_number

#: Okabe & Ito (2008), "Color Universal Design": the eight-colour palette.
OKABE_ITO: tuple[str, ...] = (
    "#0072B2",  # blue
    "#E69F00",  # orange
    "#009E73",  # bluish green
    "#CC79A7",  # reddish purple
    "#56B4E9",  # sky blue
    "#D55E00",  # vermillion
    "#F0E442",  # yellow
    "#000000",  # black
)
SHAPES: tuple[str, ...] = ("circle", "square", "triangle-up", "diamond", "cross", "triangle-down")
FONT = "DejaVu Sans"
WIDTH = 380
#: Axis labels longer than this many characters are wrapped onto several lines.
LABEL_WIDTH = 24
LINE_HEIGHT = 13


@dataclass(frozen=True, slots=True)
class Point:
    """One estimate to plot: a row label, an optional series, and the estimate.

    ``estimate`` is ``None`` when disclosure control suppressed it.
    """

    label: str
    estimate: Estimate | None
    series: str = ""
    status: CellStatus = CellStatus.PUBLISHED


def _config() -> dict[str, Any]:
    return {
        "font": FONT,
        "view": {"stroke": None},
        "axis": {"labelFontSize": 11, "titleFontSize": 11, "labelLimit": 220},
        "legend": {"labelFontSize": 11, "titleFontSize": 11, "orient": "bottom"},
        "title": {"fontSize": 13, "anchor": "start"},
    }


def estimate_chart(
    *,
    chart_id: str,
    title: str,
    points: Sequence[Point],
    axis_title: str = "Score (0–100)",
    label_title: str = "Group",
    series_title: str = "",
    domain: tuple[float, float] | None = None,
    k: int,
    what: str = "score",
    table: Table | None = None,
    reference: float | None = None,
) -> Chart:
    """A dot-and-error-bar chart of estimates, one row per label (grouped by series).

    ``reference`` draws a dashed vertical line at that value (such as 50%, half).

    ``what`` names the quantity in the alt text ("score", "gap"). The data
    table printed beside the chart is built from ``points`` unless ``table``
    (which must hold every figure the chart shows) is given.
    """
    import altair as alt
    import pandas as pd

    shown = [p for p in points if p.estimate is not None]
    note = withheld_note(points, k=k)
    if not shown:
        return _empty_chart(
            chart_id=chart_id,
            title=title,
            points=points,
            k=k,
            table=table
            or _table(
                chart_id=chart_id,
                title=title,
                points=points,
                label_title=label_title,
                series_title=series_title if any(p.series for p in points) else "",
                k=k,
            ),
        )
    records = [
        {
            "label": p.label,
            "series": p.series,
            "estimate": round(p.estimate.value, 2),
            "low": round(p.estimate.ci_low, 2),
            "high": round(p.estimate.ci_high, 2),
            "n": p.estimate.n,
        }
        for p in shown
        if p.estimate is not None
    ]
    data = pd.DataFrame.from_records(
        records, columns=["label", "series", "estimate", "low", "high", "n"]
    )
    labels = list(dict.fromkeys(p.label for p in points if p.estimate is not None))
    series = list(dict.fromkeys(p.series for p in points if p.series))
    if domain is None:
        estimates = [p.estimate for p in shown if p.estimate is not None]
        lo = min((e.ci_low for e in estimates), default=0.0)
        hi = max((e.ci_high for e in estimates), default=100.0)
        pad = max(2.0, 0.08 * (hi - lo))
        domain = (max(lo - pad, -100.0), min(hi + pad, 100.0))
    x = alt.X("estimate:Q", title=axis_title, scale=alt.Scale(domain=list(domain), nice=False))
    wrapped = {lb: parts for lb in labels if len(parts := wrap_label(lb)) > 1}
    axis = (
        alt.Axis(labelExpr=_label_expr(wrapped), labelLineHeight=LINE_HEIGHT)
        if wrapped
        else alt.Axis()
    )
    y = alt.Y("label:N", title=None, sort=labels, axis=axis)
    n_lines = max((len(v) for v in wrapped.values()), default=1)
    tooltip = [
        alt.Tooltip("label:N", title=label_title),
        alt.Tooltip("estimate:Q", title="Estimate", format=".1f"),
        alt.Tooltip("low:Q", title="95% CI low", format=".1f"),
        alt.Tooltip("high:Q", title="95% CI high", format=".1f"),
        alt.Tooltip("n:Q", title="Respondents", format=","),
    ]
    base = alt.Chart(data)
    enc: dict[str, Any] = {"y": y}
    point_enc: dict[str, Any] = {"x": x, "y": y, "tooltip": tooltip}
    if series:
        palette = list(OKABE_ITO[: len(series)])
        enc["yOffset"] = alt.YOffset("series:N", sort=series)
        enc["color"] = alt.Color(
            "series:N",
            title=series_title or None,
            sort=series,
            scale=alt.Scale(domain=series, range=palette),
        )
        point_enc.update(
            yOffset=enc["yOffset"],
            color=enc["color"],
            shape=alt.Shape(
                "series:N", sort=series, scale=alt.Scale(domain=series, range=list(SHAPES))
            ),
        )
        tooltip.insert(1, alt.Tooltip("series:N", title=series_title or "Series"))
    rule_style: dict[str, Any] = {"strokeWidth": 2}
    if not series:
        rule_style["color"] = OKABE_ITO[0]
    bars = base.mark_rule(**rule_style).encode(
        x=alt.X("low:Q", scale=alt.Scale(domain=list(domain), nice=False), title=axis_title),
        x2="high:Q",
        **enc,
    )
    dots = base.mark_point(filled=True, size=70, opacity=1, color=OKABE_ITO[0]).encode(**point_enc)
    step = max(22 if not series else 14 * len(series) + 6, LINE_HEIGHT * n_lines + 8)
    alt_text = _alt_text(title=title, points=points, what=what, series=series)
    layers = bars + dots
    if reference is not None:
        ref = (
            alt.Chart(pd.DataFrame({"reference": [reference]}))
            .mark_rule(strokeDash=[4, 3], color="#505a5f", strokeWidth=1)
            .encode(x=alt.X("reference:Q", scale=alt.Scale(domain=list(domain), nice=False)))
        )
        layers = ref + bars + dots
    chart = layers.properties(
        description=alt_text,
        width=WIDTH,
        height=alt.Step(step) if not series else max(40, step * len(labels)),
    ).configure(**_config())
    spec = chart.to_dict(validate=False)
    return Chart(
        id=chart_id,
        title=title,
        alt_text=alt_text,
        spec=spec,
        svg=spec_to_svg(spec),
        table=table
        or _table(
            chart_id=chart_id,
            title=title,
            points=points,
            label_title=label_title,
            series_title=series_title if series else "",
            k=k,
        ),
        note=note,
    )


def wrap_label(label: str, width: int = LABEL_WIDTH) -> list[str]:
    """An axis label as lines of at most ``width`` characters (long words kept whole)."""
    import textwrap

    return textwrap.wrap(label, width=width, break_long_words=False) or [label]


def _label_expr(wrapped: dict[str, list[str]]) -> str:
    """A Vega expression printing each wrapped label on several lines, others as they are."""
    import json

    return f"({json.dumps(wrapped, ensure_ascii=True)})[datum.value] || datum.value"


def _why_hidden(points: Sequence[Point], k: int) -> tuple[list[str], list[str]]:
    primary = list(
        dict.fromkeys(
            _point_name(p)
            for p in points
            if p.estimate is None and p.status is not CellStatus.SUPPRESSED_SECONDARY
        )
    )
    secondary = list(
        dict.fromkeys(
            _point_name(p)
            for p in points
            if p.estimate is None and p.status is CellStatus.SUPPRESSED_SECONDARY
        )
    )
    return primary, secondary


def _point_name(p: Point) -> str:
    return f"{p.label} ({p.series})" if p.series else p.label


def withheld_note(points: Sequence[Point], *, k: int) -> str:
    """What a chart leaves out and why: below k, or withheld so another cannot be worked out."""
    primary, secondary = _why_hidden(points, k)
    parts = []
    if primary:
        parts.append(f"{'; '.join(primary)}: fewer than {k} respondents")
    if secondary:
        parts.append(
            f"{'; '.join(secondary)}: withheld so that a figure on fewer than {k} respondents "
            "cannot be worked out from the others"
        )
    return f"Not shown: {'. '.join(parts)}." if parts else ""


def _empty_chart(
    *, chart_id: str, title: str, points: Sequence[Point], k: int, table: Table
) -> Chart:
    """A chart with nothing to plot says why, in the image and its alt text, not an empty axis."""
    import altair as alt
    import pandas as pd

    if not points:
        why = "There are no responses to show yet."
    else:
        _primary, secondary = _why_hidden(points, k)
        why = (
            f"Nothing to show: every figure rests on fewer than {k} respondents"
            + (", or is withheld so that such a figure cannot be worked out" if secondary else "")
            + "."
        )
    lines = wrap_label(why, width=60)
    chart = (
        alt.Chart(pd.DataFrame({"text": [lines]}))
        .mark_text(align="left", baseline="top", fontSize=12, lineHeight=16, color="#505a5f")
        .encode(text="text:N", x=alt.value(0), y=alt.value(8))
        .properties(width=WIDTH, height=16 * len(lines) + 16, description=f"{title}: {why}")
        .configure(**_config())
    )
    spec = chart.to_dict(validate=False)
    return Chart(
        id=chart_id,
        title=title,
        alt_text=f"{title}: {why}",
        spec=spec,
        svg=spec_to_svg(spec),
        table=table,
        note="",
    )


def spec_to_svg(spec: Any) -> str:
    """Render a Vega-Lite spec to SVG with vl-convert (no browser, no network)."""
    import vl_convert

    svg: str = vl_convert.vegalite_to_svg(spec)
    return svg


def _alt_text(*, title: str, points: Sequence[Point], what: str, series: list[str]) -> str:
    shown = [p for p in points if p.estimate is not None]
    hidden = len(points) - len(shown)
    if not shown:
        return f"{title}: every figure is suppressed because it rests on too few respondents."
    parts = [f"{title}. Dot plot of the {what} with 95% confidence intervals as error bars."]
    groups = series or [""]
    for s in groups:
        rows = [p for p in shown if p.series == s]
        if not rows:
            continue
        top = max(rows, key=lambda p: p.estimate.value if p.estimate else 0.0)
        low = min(rows, key=lambda p: p.estimate.value if p.estimate else 0.0)
        prefix = f"{s}: " if s else ""
        if top is low or top.estimate is None or low.estimate is None:
            continue
        parts.append(
            f"{prefix}highest {top.label} at {fmt_number(top.estimate.value)}, "
            f"lowest {low.label} at {fmt_number(low.estimate.value)}."
        )
    if hidden:
        parts.append(
            f"{hidden} figure{'s' if hidden > 1 else ''} suppressed by disclosure control, "
            "not shown."
        )
    parts.append("The table beside the chart gives every figure.")
    return " ".join(parts)


def _table(
    *,
    chart_id: str,
    title: str,
    points: Sequence[Point],
    label_title: str,
    series_title: str,
    k: int,
) -> Table:
    columns = [label_title]
    if series_title:
        columns.append(series_title)
    columns += ["Estimate", "95% CI low", "95% CI high", "Respondents"]
    rows: list[tuple[Cell, ...]] = []
    for p in points:
        head = [Cell.label(p.label)] + ([Cell.label(p.series)] if series_title else [])
        if p.estimate is None:
            status = (
                p.status if p.status is not CellStatus.PUBLISHED else CellStatus.SUPPRESSED_PRIMARY
            )
            rows.append((*head, *(Cell.hidden(status) for _ in range(4))))
        else:
            e = p.estimate
            rows.append(
                (
                    *head,
                    Cell.number(e.value),
                    Cell.number(e.ci_low),
                    Cell.number(e.ci_high),
                    Cell.count(e.n),
                )
            )
    notes: tuple[str, ...] = ()
    return Table(
        id=f"{chart_id}-data",
        caption=f"Data for: {title}",
        columns=tuple(columns),
        rows=tuple(rows),
        notes=notes,
        k=k,
    )
