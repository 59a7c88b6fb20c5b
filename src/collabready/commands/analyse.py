"""``collabready analyse``: weighted national estimates with disclosure control.

Reads a responses file, scores it, rakes the sample to the population margins,
estimates means (SE, 95% t interval with the design degrees of freedom) of the
index, the six block scores, commitment, capacity and gap, overall and by each
``--by`` variable, passes every table through
:func:`collabready.stats.apply_disclosure_control`, prints a summary and writes
the full long-format results (one row per variable × grouping × domain).

The computation is :func:`analyse_responses` (no printing, no files); the
command around it reads, prints and writes.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from collabready.commands._common import InstrumentVersion, OutputPath, console, instrument
from collabready.errors import InputFileError, UserError

if TYPE_CHECKING:
    import pandas as pd
    import polars as pl

    from collabready.instrument.model import Instrument
    from collabready.stats import Margins, RakingResult

#: The column that identifies a respondent's organisation (the PSU when present).
ORGANISATION_COLUMN = "organisation_id"
#: Columns of the results file, in order.
RESULT_COLUMNS = (
    "statistic",
    "variable",
    "grouping",
    "domain",
    "estimate",
    "se",
    "ci_low",
    "ci_high",
    "df",
    "n",
    "weighted_n",
    "disclosure",
)
#: Figures withheld with the count of a suppressed cell.
WITHHELD = ("estimate", "se", "ci_low", "ci_high", "weighted_n")


class AnalyseError(UserError, ValueError):
    """The responses, margins or options cannot be analysed as given."""


def outcome_variables(inst: Instrument) -> tuple[str, ...]:
    """The score columns the command estimates: index, six blocks, commitment, capacity, gap."""
    return ("index", *inst.block_ids, "commitment", "capacity", "gap")


@dataclass(frozen=True, slots=True)
class Analysis:
    """What :func:`analyse_responses` computed.

    ``results`` is the long-format table after disclosure control (withheld
    cells hold nulls and say why in ``disclosure``); ``raking`` carries the
    weights and their diagnostics.
    """

    results: pd.DataFrame
    raking: RakingResult
    n_respondents: int
    n_psu: int
    clustered: bool
    by: tuple[str, ...]
    variables: tuple[str, ...]
    k: int


def _protect(frame: pd.DataFrame, *, groupings: Sequence[str], k: int) -> pd.DataFrame:
    """Disclosure control for each variable's one-way tables (domains add up to the whole)."""
    import pandas as pd

    from collabready.stats import apply_disclosure_control
    from collabready.stats.estimate import OVERALL

    pieces: list[pd.DataFrame] = []
    for variable in dict.fromkeys(frame["variable"]):
        rows = frame[frame["variable"] == variable]
        whole = rows[rows["grouping"] == OVERALL]
        if not groupings:
            table = apply_disclosure_control(whole, by=(), value_columns=WITHHELD, k=k)
            pieces.append(table.frame)
            continue
        for i, grouping in enumerate(groupings):
            # the whole-sample row is the total of each grouping's domains (null key)
            part = pd.concat([whole.assign(domain=None), rows[rows["grouping"] == grouping]])
            table = apply_disclosure_control(part, by=("domain",), value_columns=WITHHELD, k=k)
            protected = table.frame
            protected.loc[0, "domain"] = OVERALL
            pieces.append(protected if i == 0 else protected.iloc[1:])
    out = pd.concat(pieces, ignore_index=True)
    out["disclosure"] = out["disclosure"].astype(str)
    return out.loc[:, list(RESULT_COLUMNS)]


#: Domain label of respondents with no value in a ``--by`` column.
MISSING_LABEL = "(missing)"


def _grouping(column: pl.Series) -> pl.Series:
    """A ``--by`` column whose missing values form their own domain.

    Respondents without a label are estimated (and protected) as a domain of
    their own, so the domains add up to the whole sample: otherwise the whole
    minus the published domains would describe them, however few they are.
    """
    import polars as pl

    if column.null_count() == 0:
        return column
    return column.cast(pl.String).fill_null(MISSING_LABEL)


def analyse_responses(
    responses: pl.DataFrame,
    *,
    margins: Margins,
    inst: Instrument,
    by: Sequence[str] = (),
    k: int = 5,
    source: str = "data",
) -> Analysis:
    """Score, rake, estimate and protect (see the module docstring).

    Raises :class:`AnalyseError` (or another :class:`UserError`) naming the
    file (``source`` for the responses, ``margins.source`` for the margins)
    and the column or level at fault.
    """
    import numpy as np

    from collabready.scoring import matrix_from_columns, score_matrix
    from collabready.stats import StatsInputError, estimate_means, rake, raked_design

    by = tuple(dict.fromkeys(by))
    absent = [b for b in by if b not in responses.columns]
    if absent:
        raise AnalyseError(
            f"{source}: --by {absent[0]!r} is not a column of the data "
            f"(columns include {', '.join(c for c in responses.columns[:8])}, ...)"
        )
    for variable in margins.variables:
        if variable not in responses.columns:
            raise AnalyseError(
                f"{margins.source}: margin variable {variable!r} is not a column of {source}"
            )
    if responses.height == 0:
        raise AnalyseError(f"{source}: the file has no respondents")
    codes = matrix_from_columns(
        {
            c: responses.get_column(c).fill_null(9).to_numpy()
            for c in inst.item_ids
            if c in responses.columns
        },
        inst,
        source=source,
    )
    scores = score_matrix(codes, inst)
    try:
        raking = rake(data={v: responses.get_column(v) for v in margins.variables}, margins=margins)
    except StatsInputError as exc:
        raise AnalyseError(f"{source} with margins {margins.source}: {exc}") from None
    clustered = ORGANISATION_COLUMN in responses.columns
    try:
        design = raked_design(
            raking,
            clusters=responses.get_column(ORGANISATION_COLUMN).to_numpy() if clustered else None,
        )
    except StatsInputError as exc:
        raise AnalyseError(f"{source}: column {ORGANISATION_COLUMN!r}: {exc}") from None
    variables = outcome_variables(inst)
    table = estimate_means(
        design=design,
        variables={v: scores.column(v).astype(np.float64) for v in variables},
        by={b: _grouping(responses.get_column(b)) for b in by},
    )
    return Analysis(
        results=_protect(table.to_frame(), groupings=by, k=k),
        raking=raking,
        n_respondents=responses.height,
        n_psu=design.n_psu,
        clustered=clustered,
        by=by,
        variables=variables,
        k=k,
    )


#: Short column headings for the breakdown tables (explained in their caption).
SHORT = {
    "index": "index",
    "commitment": "com",
    "capacity": "cap",
    "gap": "gap",
    "citizens": "cit",
    "behaviours": "beh",
    "systems": "sys",
    "services": "ser",
    "places": "pla",
    "markets": "mar",
}
#: How a withheld figure is shown (the ONS marker for "confidential").
MARKER = "\\[c]"


def _fmt(value: Any, digits: int = 1) -> str:
    import pandas as pd

    if value is None or value is pd.NA or (isinstance(value, float) and value != value):
        return "–"
    return f"{float(value):.{digits}f}"


def _print(analysis: Analysis, output: Path) -> None:
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
    for grouping in analysis.by:
        rows = res[res["grouping"] == grouping]
        table = Table(
            title=f"By {grouping}: weighted means (±: half-width of the 95% CI of the index)",
            title_justify="left",
            box=box.SIMPLE_HEAD,
            padding=(0, 0),
            caption=", ".join(f"{SHORT.get(v, v)} = {v}" for v in others if SHORT.get(v) != v),
            caption_justify="left",
        )
        table.add_column(grouping, overflow="fold", min_width=8)
        table.add_column("n", justify="right", no_wrap=True)
        table.add_column("index", justify="right", no_wrap=True)
        table.add_column("±", justify="right", no_wrap=True)
        for v in others:
            table.add_column(SHORT.get(v, v), justify="right", no_wrap=True)
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
    ] = 5,
    instrument_version: InstrumentVersion = None,
) -> None:
    """Weighted estimates (mean, SE, 95% CI) of the index and block scores, overall and by group."""
    import polars as pl

    from collabready.formats import check_output_table, read_table, write_table
    from collabready.stats import read_margins_csv

    check_output_table(output)
    if not output.parent.exists():
        raise InputFileError(f"{output.parent}: no such directory")
    inst = instrument(instrument_version)
    responses = read_table(data)
    pop = read_margins_csv(margins)
    analysis = analyse_responses(
        responses, margins=pop, inst=inst, by=by or (), k=k, source=str(data)
    )
    write_table(pl.from_pandas(analysis.results), output)
    _print(analysis, output)


def register(app: typer.Typer) -> None:
    app.command("analyse")(analyse)
