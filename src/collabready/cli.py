"""The ``collabready`` command.

Each group of subcommands lives in :mod:`collabready.commands` and registers
itself on :data:`app`. User errors (:class:`collabready.errors.UserError`, bad
options, missing files) print one line and exit non-zero, never a traceback.
"""

from __future__ import annotations

import gc
import importlib
import sys

import typer
from rich.console import Console
from rich.text import Text

# Typer (0.29, locked) carries its own copy of click; these are its usage errors.
from typer._click.exceptions import ClickException, NoArgsIsHelpError, UsageError

from collabready.errors import UserError

app = typer.Typer(
    help="collabready: the Collaboration Readiness Index, end to end.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=True,
)

#: Modules under collabready.commands, each with a ``register(app)`` function.
COMMAND_MODULES = (
    "instrument",
    "synth",
    "score",
    "analyse",
    "report",
    "export",
    "imports",
    "demo",
    "purge",
    "serve",
    "status",
)

err_console = Console(stderr=True)


def _register_all() -> None:
    for name in COMMAND_MODULES:
        importlib.import_module(f"collabready.commands.{name}").register(app)


_register_all()


def _error(message: str, code: int = 2) -> None:
    # plain Text: a message may quote user input such as "[red]x.csv", which must
    # be shown as typed, never read as Rich markup
    err_console.print(Text.assemble(("Error: ", "bold red"), message), soft_wrap=True)
    sys.exit(code)


def main() -> None:
    """Entry point: run the app, turning user errors into one-line messages (exit 2)."""
    try:
        result = app(standalone_mode=False)
    except UserError as exc:
        _error(str(exc))
    except NoArgsIsHelpError as exc:
        # "collabready" or a command group alone: show its help
        sys.stdout.write(exc.format_message() + "\n")
        sys.exit(0)
    except UsageError as exc:
        where = f" (see '{exc.ctx.command_path} --help')" if exc.ctx else ""
        _error(f"{exc.format_message()}{where}")
    except ClickException as exc:
        _error(exc.format_message())
    except (typer.Abort, KeyboardInterrupt):
        err_console.print("Aborted.")
        sys.exit(130)
    # the process ends here: spare the collector its last walk over every object left
    # (about 0.3 s of an export's exit, with polars, pyarrow and Django loaded)
    gc.freeze()
    sys.exit(result if isinstance(result, int) else 0)
