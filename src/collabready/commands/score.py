"""``collabready score``: score a file of responses."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from collabready.commands._common import InstrumentVersion, OutputPath, console, instrument


def score(
    data: Annotated[
        Path, typer.Argument(help="Responses (.parquet or .csv), one column per item.")
    ],
    output: OutputPath,
    instrument_version: InstrumentVersion = None,
) -> None:
    """Score every respondent: block, commitment, capacity, gap, index and level."""
    import time

    import polars as pl

    from collabready.formats import check_table_suffix, read_table, write_table
    from collabready.scoring import matrix_from_columns, score_matrix

    check_table_suffix(output)
    inst = instrument(instrument_version)
    responses = read_table(data)
    items = set(inst.item_ids)
    present = [c for c in inst.item_ids if c in responses.columns]
    cols = {c: responses.get_column(c).fill_null(9).to_numpy() for c in present}
    codes = matrix_from_columns(cols, inst, source=str(data))
    t0 = time.perf_counter()
    result = score_matrix(codes, inst)
    took = time.perf_counter() - t0
    keep = [c for c in responses.columns if c not in items]
    out = pl.concat([responses.select(keep), result.to_polars()], how="horizontal")
    write_table(out, output)
    console.print(
        f"Scored {len(result):,} respondents on {len(inst.item_ids)} items "
        f"in {took * 1000:.0f} ms; "
        f"wrote {len(result.columns) + 1} score columns to [bold]{output}[/]"
    )


def register(app: typer.Typer) -> None:
    app.command("score")(score)
