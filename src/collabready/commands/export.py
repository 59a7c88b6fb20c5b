"""``collabready export`` and ``collabready codebook``: labelled microdata out, and its codebook.

The export is built by :mod:`collabready.formats` (pure core) from the one
loader: ``--data`` through :func:`collabready.analysis.load.from_frame`,
``--wave`` through the web layer's adapter
(:func:`collabready.web.reporting.load_wave_for_export`, imported only then),
which reads the wave with the same loader as ``collabready report --wave``.
"""

from __future__ import annotations

import secrets
import time
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from collabready.commands.options import InstrumentVersion, console, instrument
from collabready.errors import InputFileError, UserError

if TYPE_CHECKING:
    import polars as pl

    from collabready.analysis.load import ResponseMatrix
    from collabready.formats.export import ExportExtras
    from collabready.formats.labels import Shortened
    from collabready.stats import Margins

KEY_ENV = "COLLABREADY_EXPORT_ID_KEY"


def _warn(notes: list[Shortened]) -> None:
    from rich.text import Text

    from collabready.formats.labels import STATA_STRING_BYTES
    from collabready.formats.writers import LIMITS

    texts = [n for n in notes if n.what.startswith("text")]
    if texts:
        names = ", ".join(dict.fromkeys(n.variable for n in texts))
        console.print(
            Text(
                f"Warning: Stata strings hold {STATA_STRING_BYTES:,} bytes; shortened "
                f"{len(texts)} open answer(s) of {names} with an ellipsis. The full texts are "
                "in the Parquet, CSV, XLSX and SPSS exports.",
                style="yellow",
            ),
            soft_wrap=True,
        )
    notes = [n for n in notes if not n.what.startswith("text")]
    if not notes:
        return
    fmt = notes[0].format
    names = ", ".join(dict.fromkeys(f"{n.variable}" for n in notes))
    console.print(
        Text(
            f"Warning: {LIMITS[fmt]}; shortened {len(notes)} label(s) with an ellipsis, of "
            f"{names}. The full texts are in the codebook (collabready codebook).",
            style="yellow",
        ),
        soft_wrap=True,
    )


def _load(
    data: Path | None,
    wave: str | None,
    version: str | None,
    margins: Path | None,
    *,
    partial: bool,
    open_answers: bool,
) -> tuple[ResponseMatrix, ExportExtras, str, pl.DataFrame | Margins | None]:
    """The matrix, its extras, the pseudonym scope and the margins to weight to (None: none)."""
    from collabready.analysis.load import from_frame
    from collabready.formats import read_table
    from collabready.formats.export import extras_from_frame

    if (wave is None) == (data is None):
        raise UserError("give either --wave NAME or --data FILE")
    if wave is not None:
        from collabready.web.reporting import load_wave_for_export

        loaded = load_wave_for_export(wave, partial=partial, open_answers=open_answers)
        if version is not None and loaded.responses.instrument.version != version:
            raise UserError(
                f"--instrument-version {version}: wave {loaded.slug} was run with "
                f"{loaded.responses.instrument.key}; leave the option out with --wave"
            )
        what = "responses" if partial else "submitted responses"
        console.print(f"Wave {loaded.slug!r}: {len(loaded.responses):,} {what}")
        chosen: pl.DataFrame | Margins | None = (
            _margins(margins) if margins is not None else loaded.margins
        )
        return loaded.responses, loaded.extras, f"wave:{loaded.slug}", chosen
    assert data is not None
    inst = instrument(version)
    frame = read_table(data)
    matrix = from_frame(frame, inst, source=str(data))
    extras = extras_from_frame(frame, inst)
    del frame
    return matrix, extras, "", _margins(margins) if margins is not None else None


def matrix_slug(scope: str) -> str:
    """The wave's slug in a pseudonym scope ``wave:<slug>``."""
    return scope.removeprefix("wave:")


def _margins(path: Path) -> Margins:
    from collabready.stats import read_margins_csv

    return read_margins_csv(path)


def export(
    *,
    fmt: Annotated[
        str,
        typer.Option("--format", help="sav (SPSS), dta (Stata), parquet, csv or xlsx."),
    ],
    output: Annotated[
        Path, typer.Option("-o", "--output", help="File to write (its suffix is the format).")
    ],
    data: Annotated[
        Path | None, typer.Option("--data", help="Responses (.parquet or .csv).")
    ] = None,
    wave: Annotated[
        str | None,
        typer.Option("--wave", help="A wave in the web database, by short name (or full name)."),
    ] = None,
    scores: Annotated[
        bool, typer.Option("--scores", help="Add the score columns and the readiness level.")
    ] = False,
    weights: Annotated[
        bool,
        typer.Option(
            "--weights",
            help="Add the raking weight (to --margins FILE; with --wave, the wave's margins).",
        ),
    ] = False,
    margins: Annotated[
        Path | None,
        typer.Option(
            "--margins", help="Population margins CSV (variable, level, population_total)."
        ),
    ] = None,
    open_answers: Annotated[
        bool,
        typer.Option(
            "--open-answers",
            help="Add the open answers (free text; formula cells neutralised in CSV and XLSX).",
        ),
    ] = False,
    partial: Annotated[
        bool,
        typer.Option(
            "--partial",
            help="Add the partial (unsubmitted) responses, with columns complete and last_page.",
        ),
    ] = False,
    language: Annotated[
        str, typer.Option("--language", help="Language of the labels: en or cy.")
    ] = "en",
    id_key: Annotated[
        str | None,
        typer.Option(
            "--id-key",
            envvar=KEY_ENV,
            show_envvar=True,
            help="Secret key of the pseudonymous ids (at least 16 characters; better given "
            f"in {KEY_ENV}). The same key gives the same ids in every export of the wave; "
            "without one, a fresh random key is used.",
        ),
    ] = None,
    instrument_version: InstrumentVersion = None,
) -> None:
    """Export anonymised microdata with labels: SPSS, Stata, Parquet, CSV or XLSX."""
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

    from collabready.formats.export import MIN_KEY_BYTES, export_responses
    from collabready.formats.writers import check_export_output, write_export

    started = time.perf_counter()
    check_export_output(output, fmt)
    if data is not None and output.resolve() == data.resolve():
        raise UserError(f"{output}: is the --data file; write the export to another file")
    if margins is not None and not weights:
        raise UserError("--margins is for --weights; add --weights or leave --margins out")
    if data is not None and weights and margins is None:
        raise UserError("--weights with --data needs --margins FILE")
    if id_key is not None and len(id_key.encode()) < MIN_KEY_BYTES:
        raise UserError(f"--id-key: at least {MIN_KEY_BYTES} characters, please")
    key = id_key.encode() if id_key is not None else secrets.token_bytes(32)
    matrix, extras, scope, chosen = _load(
        data, wave, instrument_version, margins, partial=partial, open_answers=open_answers
    )
    if weights and chosen is None:
        raise UserError(f"--weights: wave {wave} has no margins uploaded; give --margins")
    table = export_responses(
        matrix,
        id_key=key,
        scope=scope,
        language=language,
        scores=scores,
        margins=chosen if weights else None,
        source=str(data or f"wave {wave}"),
        extras=extras,
        open_answers=open_answers,
        partial=partial,
    )
    with Progress(
        TextColumn("[progress.description]{task.description}"),
        BarColumn(),
        TimeElapsedColumn(),
        console=console,
        disable=not console.is_terminal,
        transient=True,
    ) as bar:
        task = bar.add_task("Writing", total=table.height)
        notes = write_export(table, output, fmt, progress=lambda n: bar.advance(task, n))
    _warn(notes)
    if wave is not None:
        from collabready.web.reporting import record_export

        flags = [
            ("--scores", scores),
            ("--weights", weights),
            ("--open-answers", open_answers),
            ("--partial", partial),
        ]
        given = [flag for flag, on in flags if on]
        if language != "en":
            given.append(f"--language {language}")
        record_export(matrix_slug(scope), fmt=fmt, options=given, rows=table.height)
    if id_key is None:
        console.print(
            f"Pseudonymous ids use a fresh random key: they match no other export. Set {KEY_ENV} "
            "for ids that stay the same across exports of this wave."
        )
    console.print(
        f"Exported {table.height:,} responses × {len(table.variables)} variables "
        f"({matrix.instrument.key}, labels in {language}) as {fmt} to [bold]{output}[/] "
        f"in {time.perf_counter() - started:.1f} s"
    )


def codebook(
    *,
    output: Annotated[
        Path, typer.Option("-o", "--output", help="File to write: .html, .md or .json.")
    ],
    language: Annotated[
        str, typer.Option("--language", help="Language of the labels: en or cy.")
    ] = "en",
    instrument_version: InstrumentVersion = None,
) -> None:
    """The codebook of the exports: every variable, its values, missing codes and scoring rules."""
    from collabready.formats.codebook import render_codebook

    suffix = output.suffix.lower()
    if suffix not in (".html", ".md", ".json"):
        raise InputFileError(
            f"{output}: unknown file type {suffix or '(none)'!r}; use .html, .md or .json"
        )
    if not output.parent.exists():
        raise InputFileError(f"{output.parent}: no such directory")
    if output.is_dir():
        raise InputFileError(f"{output}: is a directory, not a file")
    inst = instrument(instrument_version)
    if language not in inst.languages:
        raise UserError(f"--language {language}: {inst.key} has {', '.join(inst.languages)}")
    text = render_codebook(inst, suffix, language=language)
    tmp = output.with_name(f".{output.name}.partial")
    try:
        tmp.write_text(text, "utf-8")
        tmp.replace(output)
    finally:
        tmp.unlink(missing_ok=True)
    console.print(f"Wrote the codebook of {inst.key} ({language}) to [bold]{output}[/]")


def register(app: typer.Typer) -> None:
    app.command("export")(export)
    app.command("codebook")(codebook)
