"""Helpers shared by the CLI's subcommands."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console

if TYPE_CHECKING:
    from collabready.instrument.model import Instrument

console = Console()

InstrumentVersion = Annotated[
    str | None,
    typer.Option(
        "--instrument-version",
        help="CRI instrument version (default: the latest bundled version).",
        show_default=False,
    ),
]

OutputPath = Annotated[
    Path,
    typer.Option("-o", "--output", help="File to write (.parquet or .csv).", dir_okay=False),
]


def instrument(version: str | None) -> Instrument:
    """The bundled instrument of that version (raises a UserError if unknown)."""
    from collabready.instrument import load_instrument

    return load_instrument(version)
