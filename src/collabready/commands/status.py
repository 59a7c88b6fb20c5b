"""``collabready status --wave W``: a wave's live monitoring in the terminal.

The figures come from the back office's own selector
(:func:`collabready.web.surveys.selectors.monitoring.wave_monitoring`), read
through the web layer's thin adapter, so the terminal and the monitoring page
always agree. Staff-only operational counts (see docs/web.md, "Live monitoring").
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer

from collabready.commands.options import console

if TYPE_CHECKING:
    from collabready.web.surveys.selectors.monitoring import Monitoring


def status(
    wave: Annotated[
        str,
        typer.Option("--wave", help="The wave, by short name (or full name).", show_default=False),
    ],
) -> None:
    """Monitoring of a wave: responses by sector, region and size against quotas,
    response rate, starts and completions per day, drop-off by page, median time."""
    from collabready.web.reporting import load_wave_monitoring

    name, figures = load_wave_monitoring(wave)
    print_monitoring(name, figures)


def print_monitoring(name: str, m: Monitoring) -> None:
    from rich import box
    from rich.table import Table

    rate = f"{m.response_rate:.1f}%" if m.response_rate is not None else "–"
    median = f"{m.median_minutes:.0f} min" if m.median_minutes is not None else "–"
    totals = Table(title=f"{name}: monitoring", title_justify="left", box=box.SIMPLE_HEAD)
    for heading in (
        "invited",
        "e-mailed",
        "reminded",
        "opted out",
        "undeliverable",
        "started",
        "submitted",
        "response rate",
        "median time",
    ):
        totals.add_column(heading, justify="right")
    totals.add_row(
        *(
            f"{v:,}"
            for v in (
                m.invited,
                m.emailed,
                m.reminded,
                m.opted_out,
                m.undeliverable,
                m.started,
                m.submitted,
            )
        ),
        rate,
        median,
    )
    console.print(totals)
    for b in m.breakdowns:
        table = Table(title=f"By {b.variable}", title_justify="left", box=box.SIMPLE_HEAD)
        table.add_column(b.variable)
        for heading in ("started", "submitted", "target", "of target"):
            table.add_column(heading, justify="right")
        for g in b.groups:
            share = g.share_of_target
            table.add_row(
                g.label,
                f"{g.started:,}",
                f"{g.submitted:,}",
                f"{g.target:,}" if g.target is not None else "–",
                f"{share}%" if share is not None else "–",
            )
        console.print(table)
    days = Table(title="Per day (UK time)", title_justify="left", box=box.SIMPLE_HEAD)
    days.add_column("day")
    days.add_column("started", justify="right")
    days.add_column("submitted", justify="right")
    for d in m.days:
        days.add_row(f"{d.day:%d/%m/%Y}", f"{d.starts:,}", f"{d.completions:,}")
    console.print(days if m.days else "Nobody has started yet.")
    funnel = Table(title="Funnel and drop-off by page", title_justify="left", box=box.SIMPLE_HEAD)
    funnel.add_column("page")
    funnel.add_column("reached", justify="right")
    funnel.add_column("stopped after it", justify="right")
    for i, s in enumerate(m.funnel, start=1):
        funnel.add_row(f"{i}. {s.title}", f"{s.reached:,}", f"{s.stopped_here:,}")
    funnel.add_row("submitted", f"{m.submitted:,}", "–")
    console.print(funnel)


def register(app: typer.Typer) -> None:
    app.command("status")(status)
