"""``collabready report``: the national report, organisation profiles and sector briefings.

The documents are built by :mod:`collabready.reporting` (pure core); this
module reads the files, shows progress and writes the output. ``--wave``
reads a wave from the web database through a loader the web layer provides;
the core never imports it.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from collabready.commands._common import InstrumentVersion, console, instrument
from collabready.errors import InputFileError, UserError

if TYPE_CHECKING:
    import polars as pl

    from collabready.reporting.model import Report

report_app = typer.Typer(
    help="Generate reports as PDF or HTML: national, organisation profile, sector briefing.",
    no_args_is_help=True,
)

Output = Annotated[
    Path,
    typer.Option("-o", "--output", help="File to write: .pdf or .html.", dir_okay=False),
]
Data = Annotated[
    Path | None,
    typer.Option("--data", help="Responses (.parquet or .csv), one row per respondent."),
]
Margins = Annotated[
    Path | None,
    typer.Option("--margins", help="Population margins CSV (variable, level, population_total)."),
]
K = Annotated[
    int,
    typer.Option("--k", min=1, help="Disclosure threshold: no figure rests on fewer respondents."),
]

STEPS = ("load", "score", "rake", "estimates", "validation", "reliability", "charts", "render")


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def _check_output(output: Path) -> None:
    from collabready.reporting.render import OutputPathError, output_format

    try:
        output_format(output)
    except OutputPathError as exc:
        raise UserError(str(exc)) from None
    if not output.parent.exists():
        raise InputFileError(f"{output.parent}: no such directory")


def _read_margins(path: Path) -> pl.DataFrame:
    from collabready.formats import read_table

    margins = read_table(path)
    need = {"variable", "level", "population_total"}
    if not need <= set(margins.columns):
        missing = ", ".join(sorted(need - set(margins.columns)))
        raise InputFileError(
            f"{path}: a margins file needs columns variable, level, population_total; "
            f"missing {missing}"
        )
    return margins


def _read_text(path: Path) -> str:
    if not path.is_file():
        raise InputFileError(f"{path}: no such file")
    try:
        return path.read_text("utf-8")
    except UnicodeDecodeError:
        raise InputFileError(f"{path}: not a UTF-8 text file") from None


def _run(build: Callable[[Callable[[str], None]], Report], output: Path) -> None:
    """Build and write a report with a progress bar; prints where the time went."""
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

    from collabready.reporting.render import write_report

    started = time.perf_counter()
    with Progress(
        TextColumn("[progress.description]{task.description}"),
        BarColumn(),
        TimeElapsedColumn(),
        console=console,
        transient=True,
    ) as bar:
        task = bar.add_task("Loading", total=len(STEPS))

        def step(name: str) -> None:
            done = STEPS.index(name) if name in STEPS else 0
            bar.update(task, completed=done, description=name.capitalize())

        report = build(step)
        step("render")
        fmt = write_report(report, output)
        bar.update(task, completed=len(STEPS))
    console.print(
        f"Wrote {report.title!r} as {fmt.upper()} to [bold]{output}[/] "
        f"in {time.perf_counter() - started:.1f} s"
    )


def _load_wave(name: str) -> tuple[pl.DataFrame, pl.DataFrame | None]:
    """Responses and margins of a wave in the web database (provided by the web layer)."""
    try:
        from collabready.web.reporting import load_wave_for_report  # type: ignore[import-not-found]
    except ImportError:
        raise UserError(
            f"--wave {name}: reading waves from the database is not available yet in this "
            "version; export the wave and use --data FILE --margins FILE"
        ) from None
    responses, margins = load_wave_for_report(name)
    return responses, margins


@report_app.command("national")
def national(
    *,
    output: Output,
    data: Data = None,
    margins: Margins = None,
    wave: Annotated[
        str | None, typer.Option("--wave", help="A wave in the web database, by name.")
    ] = None,
    roundtable: Annotated[
        Path | None,
        typer.Option("--roundtable", help="A Markdown note to append (roundtable discussion)."),
    ] = None,
    title: Annotated[str, typer.Option("--title", help="Report title.")] = (
        "The State of Collaboration"
    ),
    k: K = 5,
    instrument_version: InstrumentVersion = None,
) -> None:
    """The national report, from a wave in the database or a data file plus margins."""
    from collabready.formats import read_table

    _check_output(output)
    if (wave is None) == (data is None):
        raise UserError("give either --wave NAME or --data FILE (with --margins FILE)")
    note = _read_text(roundtable) if roundtable else None
    inst = instrument(instrument_version)

    def build(step: Callable[[str], None]) -> Report:
        from collabready.reporting.national import Fieldwork, national_report

        step("load")
        margins_sha = None
        if wave is not None:
            responses, margins_frame = _load_wave(wave)
            data_sha = None
        else:
            assert data is not None
            if margins is None:
                raise UserError("--data needs --margins FILE to weight the sample")
            responses = read_table(data)
            margins_frame = _read_margins(margins)
            data_sha, margins_sha = _sha256(data), _sha256(margins)
        return national_report(
            responses=responses,
            instrument=inst,
            margins=margins_frame,
            k=k,
            roundtable=note,
            fieldwork=Fieldwork(wave_name=wave or ""),
            title=title,
            data_sha256=data_sha,
            margins_sha256=margins_sha,
            step=step,
        )

    _run(build, output)


@report_app.command("organisation")
def organisation(
    *,
    output: Output,
    data: Annotated[Path, typer.Option("--data", help="Responses (.parquet or .csv).")],
    respondent: Annotated[
        int | None, typer.Option("--respondent", help="Profile of this respondent_id.")
    ] = None,
    organisation_id: Annotated[
        int | None, typer.Option("--organisation", help="Profile of this organisation_id.")
    ] = None,
    k: K = 5,
    instrument_version: InstrumentVersion = None,
) -> None:
    """An organisation profile for one respondent or one organisation."""
    from collabready.formats import read_table

    _check_output(output)
    if (respondent is None) == (organisation_id is None):
        raise UserError("give exactly one of --respondent ID and --organisation ID")
    inst = instrument(instrument_version)

    def build(step: Callable[[str], None]) -> Report:
        from collabready.reporting.profile import organisation_profile

        step("load")
        responses = read_table(data)
        step("estimates")
        return organisation_profile(
            responses=responses,
            instrument=inst,
            respondent_id=respondent,
            organisation_id=organisation_id,
            k=k,
            data_sha256=_sha256(data),
        )

    _run(build, output)


@report_app.command("sector")
def sector(
    *,
    output: Output,
    data: Annotated[Path, typer.Option("--data", help="Responses (.parquet or .csv).")],
    sector_name: Annotated[
        str, typer.Option("--sector", help="The sector: public, private or third.")
    ],
    margins: Margins = None,
    k: K = 5,
    instrument_version: InstrumentVersion = None,
) -> None:
    """A briefing on one sector against all the others."""
    from collabready.formats import read_table

    _check_output(output)
    inst = instrument(instrument_version)

    def build(step: Callable[[str], None]) -> Report:
        from collabready.reporting.sector import sector_briefing

        step("load")
        responses = read_table(data)
        margins_frame = _read_margins(margins) if margins else None
        step("estimates")
        return sector_briefing(
            responses=responses,
            instrument=inst,
            margins=margins_frame,
            sector=sector_name,
            k=k,
            data_sha256=_sha256(data),
            margins_sha256=_sha256(margins) if margins else None,
        )

    _run(build, output)


def register(app: typer.Typer) -> None:
    app.add_typer(report_app, name="report")
