"""``collabready import``: responses from another survey tool into a wave, all or nothing.

The rows are checked by the pure core (:mod:`collabready.formats.imports`) and
written by the web layer's service
(:func:`collabready.web.surveys.services.imports.responses_import`), imported
only when the command runs, like ``report --wave``.
"""

from __future__ import annotations

import getpass
from pathlib import Path
from typing import Annotated

import typer

from collabready.commands.options import console
from collabready.errors import InputFileError


def _read(path: Path, what: str) -> bytes:
    try:
        return path.read_bytes()
    except FileNotFoundError:
        raise InputFileError(f"{path}: no such file ({what})") from None
    except IsADirectoryError:
        raise InputFileError(f"{path}: is a directory, not a file ({what})") from None
    except OSError as exc:
        raise InputFileError(f"{path}: cannot be read: {exc.strerror}") from None


def import_responses(
    *,
    file: Annotated[Path, typer.Argument(help="The responses: a .csv (UTF-8) or .xlsx file.")],
    wave: Annotated[str, typer.Option("--wave", help="The wave to import into (short name).")],
    mapping: Annotated[
        Path,
        typer.Option("--mapping", help="The mapping file (.yaml): columns and values."),
    ],
    dry_run: Annotated[
        bool,
        typer.Option("--dry-run", help="Check everything and report; write nothing."),
    ] = False,
) -> None:
    """Import responses exported by another survey tool: all rows or, if any is bad, none."""
    from collabready.formats.imports import ImportMappingError

    data = _read(file, "the responses")
    mapping_bytes = _read(mapping, "the mapping")
    try:
        mapping_text = mapping_bytes.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ImportMappingError(mapping.name, [f"not UTF-8 text (byte {exc.start + 1})"]) from None
    from collabready.web.reporting import open_database

    open_database(wave)
    from collabready.web.reports.selectors import wave_by_name
    from collabready.web.surveys.services.imports import responses_import

    outcome = responses_import(
        wave=wave_by_name(name=wave),
        data=data,
        file_name=file.name,
        mapping_text=mapping_text,
        mapping_name=mapping.name,
        actor=None,
        actor_label=f"command line ({getpass.getuser()})",
        dry_run=dry_run,
    )
    for line in outcome.summary():
        console.print(line, soft_wrap=True, markup=False, highlight=False)


def register(app: typer.Typer) -> None:
    app.command("import")(import_responses)
