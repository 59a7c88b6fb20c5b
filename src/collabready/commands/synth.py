"""``collabready synth``: a seeded synthetic national wave."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from collabready.commands.options import InstrumentVersion, OutputPath, console, instrument


def synth(
    *,
    output: OutputPath,
    respondents: Annotated[
        int, typer.Option("--respondents", "-n", min=1, help="How many respondents.")
    ] = 5000,
    seed: Annotated[int, typer.Option("--seed", min=0, help="Random seed.")] = 1,
    margins: Annotated[
        Path | None,
        typer.Option("--margins", help="Also write the population margins CSV here."),
    ] = None,
    invited: Annotated[
        Path | None,
        typer.Option(
            "--invited",
            help="Also write the issued sample by sector (CSV: sector, invited), for "
            "response rates in the national report.",
        ),
    ] = None,
    instrument_version: InstrumentVersion = None,
) -> None:
    """Generate a synthetic national wave (Parquet or CSV); the same seed gives the same wave."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeElapsedColumn

    from collabready.formats import check_output_table
    from collabready.synth import generate_wave

    # both outputs are checked before anything is generated or written
    check_output_table(output)
    for extra in (margins, invited):
        if extra is not None:
            check_output_table(extra, suffixes=(".csv",))
    inst = instrument(instrument_version)
    with Progress(
        "[progress.description]{task.description}",
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
        disable=not console.is_terminal,  # no bar in logs and pipes
    ) as bar:
        task = bar.add_task("Simulating respondents", total=respondents)
        wave = generate_wave(
            respondents=respondents,
            seed=seed,
            instrument=inst,
            progress=lambda done, total: bar.update(task, completed=done),
        )
        write = bar.add_task("Writing", total=1)
        wave.write(output)
        if margins is not None:
            wave.write_margins(margins)
        if invited is not None:
            wave.write_invited(invited)
        bar.update(write, completed=1)
    r = wave.responses
    console.print(
        f"Wrote {r.height:,} respondents from {r['organisation_id'].n_unique():,} organisations "
        f"({inst.key}, seed {seed}) to [bold]{output}[/]"
        + (f"; margins to [bold]{margins}[/]" if margins else "")
        + (f"; invited by sector to [bold]{invited}[/]" if invited else "")
    )


def register(app: typer.Typer) -> None:
    app.command("synth")(synth)
