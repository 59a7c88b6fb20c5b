"""``collabready analyse``: weighted national estimates with disclosure control.

Reads a responses file and the margins, runs
:func:`collabready.analysis.analyse_responses` (score, rake, estimate overall
and by each ``--by`` variable, disclosure control), prints a summary and writes
the full long-format results (one row per variable × grouping × domain).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from collabready.analysis.policy import DEFAULT_K
from collabready.commands.options import InstrumentVersion, OutputPath, console, instrument

if TYPE_CHECKING:
    from collabready.analysis import Analysis
    from collabready.instrument.model import Instrument

#: Short column headings for the breakdown tables (explained in their caption); each
#: block's comes from the instrument (``Block.short_label``).
SHORT = {
    "index": "index",
    "commitment": "com",
    "capacity": "cap",
    "gap": "gap",
}
#: How a withheld figure is shown (the ONS marker for "confidential").
MARKER = "\\[c]"


def _fmt(value: Any, digits: int = 1) -> str:
    import pandas as pd

    if value is None or value is pd.NA or (isinstance(value, float) and value != value):
        return "–"
    return f"{float(value):.{digits}f}"


def _print(analysis: Analysis, output: Path, inst: Instrument) -> None:
    from rich import box
    from rich.table import Table

    from collabready.stats.estimate import OVERALL

    r = analysis.raking
    d = r.diagnostics
    console.print(
        f"Analysed [bold]{analysis.n_respondents:,}[/] respondents"
        + (f" in {analysis.n_psu:,} organisations (clusters)" if analysis.clustered else "")
        + f"; raked to {', '.join(r.margins.variables)} in {r.iterations} iterations "
        f"(largest margin residual {r.max_relative_residual:.1e})"
    )
    weights = Table(title="Weighting diagnostics", title_justify="left", box=box.SIMPLE_HEAD)
    for name in ("Kish deff", "effective n", "weight min", "weight max", "max/min", "CV"):
        weights.add_column(name, justify="right")
    weights.add_row(
        f"{d.kish_deff:.3f}",
        f"{d.effective_n:,.0f}",
        f"{d.minimum:,.2f}",
        f"{d.maximum:,.2f}",
        f"{d.ratio:.2f}",
        f"{d.cv:.3f}",
    )
    console.print(weights)
    res = analysis.results

    def shown(row: Any, column: str, digits: int = 1) -> str:
        return MARKER if row["disclosure"] != "published" else _fmt(row[column], digits)

    overall = Table(
        title="Overall: weighted mean, standard error, 95% CI",
        title_justify="left",
        box=box.SIMPLE_HEAD,
    )
    overall.add_column("score")
    for name in ("mean", "SE", "95% CI", "n"):
        overall.add_column(name, justify="right")
    for _, row in res[res["grouping"] == OVERALL].iterrows():
        hidden = row["disclosure"] != "published"
        overall.add_row(
            str(row["variable"]),
            shown(row, "estimate"),
            shown(row, "se", 2),
            MARKER if hidden else f"{_fmt(row['ci_low'])} – {_fmt(row['ci_high'])}",
            MARKER if hidden else f"{int(row['n']):,}",
        )
    console.print(overall)
    others = [v for v in analysis.variables if v != "index"]
    short = SHORT | {b.id: b.short_label.get() for b in inst.blocks}
    for grouping in analysis.by:
        rows = res[res["grouping"] == grouping]
        table = Table(
            title=f"By {grouping}: weighted means (±: half-width of the 95% CI of the index)",
            title_justify="left",
            box=box.SIMPLE_HEAD,
            padding=(0, 0),
            caption=", ".join(f"{short.get(v, v)} = {v}" for v in others if short.get(v) != v),
            caption_justify="left",
        )
        table.add_column(grouping, overflow="fold", min_width=8)
        table.add_column("n", justify="right", no_wrap=True)
        table.add_column("index", justify="right", no_wrap=True)
        table.add_column("±", justify="right", no_wrap=True)
        for v in others:
            table.add_column(short.get(v, v), justify="right", no_wrap=True)
        for domain in dict.fromkeys(rows["domain"]):
            here = rows[rows["domain"] == domain].set_index("variable")
            first = here.loc["index"]
            hidden = first["disclosure"] != "published"
            half = MARKER if hidden else _fmt((first["ci_high"] - first["ci_low"]) / 2.0)
            table.add_row(
                str(domain),
                MARKER if hidden else f"{int(first['n']):,}",
                shown(first, "estimate"),
                half,
                *(shown(here.loc[v], "estimate") for v in others),
            )
        console.print(table)
    n_hidden = int((res["disclosure"] != "published").sum())
    console.print(
        f"Disclosure control (k = {analysis.k}): {n_hidden} of {len(res)} cells withheld "
        f"({MARKER} = fewer than {analysis.k} respondents, or would let one be worked out). "
        f"Wrote {len(res):,} rows to [bold]{output}[/]",
        highlight=False,
    )


def analyse(
    data: Annotated[
        Path, typer.Argument(help="Responses (.parquet or .csv), one row per respondent.")
    ],
    *,
    margins: Annotated[
        Path,
        typer.Option(
            "--margins", help="Population margins CSV (variable, level, population_total)."
        ),
    ],
    output: OutputPath,
    by: Annotated[
        list[str] | None,
        typer.Option("--by", help="Break the estimates down by this column (repeatable)."),
    ] = None,
    k: Annotated[
        int,
        typer.Option(
            "--k", min=1, help="Disclosure threshold: no figure rests on fewer respondents."
        ),
    ] = DEFAULT_K,
    instrument_version: InstrumentVersion = None,
) -> None:
    """Weighted estimates (mean, SE, 95% CI) of the index and block scores, overall and by group."""
    import polars as pl

    from collabready.analysis import analyse_responses, read_responses
    from collabready.formats import check_output_table, write_table
    from collabready.stats import read_margins_csv

    check_output_table(output)
    inst = instrument(instrument_version)
    responses = read_responses(data, inst)
    pop = read_margins_csv(margins)
    analysis = analyse_responses(responses, margins=pop, by=by or (), k=k, source=str(data))
    write_table(pl.from_pandas(analysis.results), output)
    _print(analysis, output, inst)


def register(app: typer.Typer) -> None:
    app.command("analyse")(analyse)
