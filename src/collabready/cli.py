"""The ``collabready`` command."""

from __future__ import annotations

import typer

app = typer.Typer(help="collabready: the Collaboration Readiness Index, end to end.")


def main() -> None:
    app()
