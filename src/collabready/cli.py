"""The ``collabready`` command.

Each group of subcommands lives in :mod:`collabready.commands` and registers
itself on :data:`app`. User errors (:class:`collabready.errors.UserError`, bad
options, missing files) print one line and exit non-zero, never a traceback.
"""

from __future__ import annotations

import importlib
import sys

import typer
from rich.console import Console

from collabready.errors import UserError

app = typer.Typer(
    help="collabready: the Collaboration Readiness Index, end to end.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=True,
)

#: Modules under collabready.commands, each with a ``register(app)`` function.
COMMAND_MODULES = ("instrument", "synth", "score", "analyse", "report", "demo")

err_console = Console(stderr=True)


def _register_all() -> None:
    for name in COMMAND_MODULES:
        try:
            module = importlib.import_module(f"collabready.commands.{name}")
        except ModuleNotFoundError as exc:
            if exc.name == f"collabready.commands.{name}":
                continue  # not built yet
            raise
        module.register(app)


_register_all()


def main() -> None:
    """Entry point: run the app, turning user errors into one-line messages."""
    try:
        app(standalone_mode=True)
    except UserError as exc:
        err_console.print(f"[bold red]Error:[/] {exc}", highlight=False, soft_wrap=True)
        sys.exit(2)
