"""A server-rendered SVG bar chart of the six blocks: commitment against capacity.

Only geometry is computed here; the template draws it. The chart carries a
title and description, and the page puts the same figures in a table beside it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from django.utils.translation import gettext as _

from collabready.analysis.readiness import ReadinessProfile

WIDTH = 480
LABEL_WIDTH = 100
RIGHT_MARGIN = 34
BAR_HEIGHT = 16
BAR_GAP = 4
GROUP_GAP = 18
TOP = 44


@dataclass(frozen=True, slots=True)
class Bar:
    x: float
    y: float
    width: float
    height: float
    css_class: str
    value_text: str
    text_x: float
    text_y: float


@dataclass(frozen=True, slots=True)
class RowLabel:
    text: str
    x: float
    y: float


@dataclass(frozen=True, slots=True)
class Tick:
    x: float
    label: str


@dataclass(frozen=True, slots=True)
class Chart:
    width: int
    height: int
    title: str
    description: str
    bars: tuple[Bar, ...]
    labels: tuple[RowLabel, ...]
    ticks: tuple[Tick, ...]
    axis_top: float
    axis_bottom: float
    legend_y: float
    legend_x: float = LABEL_WIDTH


def _fmt(value: float) -> str:
    return "–" if math.isnan(value) else f"{value:.0f}"


def profile_chart(profile: ReadinessProfile, *, language: str) -> Chart:
    plot_width = WIDTH - LABEL_WIDTH - RIGHT_MARGIN
    bars: list[Bar] = []
    labels: list[RowLabel] = []
    y = float(TOP)
    for block in profile.blocks:
        labels.append(
            RowLabel(
                block.block.title.get(language), LABEL_WIDTH - 8, y + BAR_HEIGHT + BAR_GAP / 2 + 4
            )
        )
        for value, css in (
            (block.commitment, "chart-bar--commitment"),
            (block.capacity, "chart-bar--capacity"),
        ):
            width = 0.0 if math.isnan(value) else plot_width * value / 100
            bars.append(
                Bar(
                    x=LABEL_WIDTH,
                    y=y,
                    width=width,
                    height=BAR_HEIGHT,
                    css_class=css,
                    value_text=_fmt(value),
                    text_x=LABEL_WIDTH + width + 4,
                    text_y=y + BAR_HEIGHT - 4,
                )
            )
            y += BAR_HEIGHT + BAR_GAP
        y += GROUP_GAP
    axis_bottom = y - GROUP_GAP + 4
    ticks = tuple(Tick(LABEL_WIDTH + plot_width * v / 100, str(v)) for v in (0, 25, 50, 75, 100))
    summary = "; ".join(
        _("%(block)s: commitment %(commitment)s, capacity %(capacity)s")
        % {
            "block": b.block.title.get(language),
            "commitment": _fmt(b.commitment),
            "capacity": _fmt(b.capacity),
        }
        for b in profile.blocks
    )
    return Chart(
        width=WIDTH,
        height=int(axis_bottom + 28),
        title=_("Commitment and capacity in each building block (0 to 100)"),
        description=summary,
        bars=tuple(bars),
        labels=tuple(labels),
        ticks=ticks,
        axis_top=TOP - 6,
        axis_bottom=axis_bottom,
        legend_y=14,
    )
