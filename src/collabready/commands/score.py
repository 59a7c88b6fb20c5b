"""``collabready score``: score a file of responses."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from collabready.commands.options import InstrumentVersion, OutputPath, console, instrument


def score(
    data: Annotated[
        Path, typer.Argument(help="Responses (.parquet or .csv), one column per item.")
    ],
    output: OutputPath,
    instrument_version: InstrumentVersion = None,
    organisations: Annotated[
        bool,
        typer.Option(
            "--organisations",
            help="One row per organisation_id (its respondents' subscale means, then "
            "blocks, index and level) instead of one per respondent.",
        ),
    ] = False,
) -> None:
    """Score every respondent (or organisation): blocks, commitment, capacity, gap, index, level."""
    import time

    import polars as pl

    from collabready.errors import UserError
    from collabready.formats import check_output_table, read_table, write_table
    from collabready.scoring import matrix_from_columns, score_matrix, score_organisations
    from collabready.scoring.api import polars_codes

    check_output_table(output)
    inst = instrument(instrument_version)
    responses = read_table(data)
    if organisations and "organisation_id" not in responses.columns:
        raise UserError(f"{data}: --organisations needs an organisation_id column")
    items = set(inst.item_ids)
    present = [c for c in inst.item_ids if c in responses.columns]
    cols = {c: polars_codes(responses.get_column(c)) for c in present}
    codes = matrix_from_columns(cols, inst, source=str(data))
    t0 = time.perf_counter()
    result = score_matrix(codes, inst)
    took = time.perf_counter() - t0
    if organisations:
        import numpy as np

        ids = responses.get_column("organisation_id").to_numpy()
        orgs, result = score_organisations(result, ids, inst)
        counts = np.unique(ids, return_counts=True)[1]  # in the same (sorted) order as orgs
        keys = pl.DataFrame({"organisation_id": orgs, "respondents": counts})
        out = pl.concat([keys, result.to_polars()], how="horizontal")
        what = f"{len(result):,} organisations ({responses.height:,} respondents)"
    else:
        keep = [c for c in responses.columns if c not in items]
        out = pl.concat([responses.select(keep), result.to_polars()], how="horizontal")
        what = f"{len(result):,} respondents"
    write_table(out, output)
    console.print(
        f"Scored {what} on {len(inst.item_ids)} items in {took * 1000:.0f} ms; "
        f"wrote {len(result.columns) + 1} score columns to [bold]{output}[/]"
    )


def register(app: typer.Typer) -> None:
    app.command("score")(score)
