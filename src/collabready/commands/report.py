"""``collabready report``: the national report, organisation profiles and sector briefings.

The documents are built by :mod:`collabready.reporting` (pure core); this
module reads the files, shows progress and writes the output. ``--wave``
reads a wave from the web database through the web layer's adapter
(:func:`collabready.web.reporting.load_wave_for_report`), imported only then;
the core never imports it. A report written from ``--wave`` is also listed with
the wave's reports in the back office.

Why this module is long: it is the one command group for three documents, each
with its options (files to read and check: margins, invited counts, notes, a
logo, margin levels to merge) and the two sources (a file or a wave); the
documents themselves are built in the core.
"""

from __future__ import annotations

import dataclasses
import hashlib
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from collabready.analysis.policy import DEFAULT_K
from collabready.commands.options import InstrumentVersion, console, instrument
from collabready.errors import InputFileError, UserError

if TYPE_CHECKING:
    import polars as pl

    from collabready.instrument.model import Instrument
    from collabready.reporting.logo import Logo
    from collabready.reporting.model import Report
    from collabready.stats import Margins as StatsMargins
    from collabready.web.reporting import WaveForReport

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


def _read_margins(path: Path) -> StatsMargins:
    """The margins CSV, checked row by row (errors name the file, row and column)."""
    from collabready.stats import read_margins_csv

    return read_margins_csv(path)


def _read_invited(path: Path, instrument: Instrument) -> tuple[tuple[str, int], ...]:
    """The issued sample by sector: a CSV with columns ``sector`` and ``invited``."""
    import csv
    import io

    if not path.is_file():
        raise InputFileError(f"{path}: no such file")
    try:
        text = path.read_text("utf-8-sig")
    except UnicodeDecodeError:
        raise InputFileError(f"{path}: not a CSV file (it is not UTF-8 text)") from None
    rows = list(csv.reader(io.StringIO(text)))
    header = [h.strip() for h in rows[0]] if rows else []
    if "sector" not in header or "invited" not in header:
        raise InputFileError(f"{path}: row 1 (header): needs columns sector and invited")
    sectors = [c.value for c in instrument.profile_question("sector").choices]
    found: dict[str, int] = {}
    for number, row in enumerate(rows[1:], start=2):
        if not any(cell.strip() for cell in row):
            continue
        if len(row) < len(header):
            raise InputFileError(f"{path}: row {number}: expected {len(header)} columns")
        sector = row[header.index("sector")].strip()
        raw = row[header.index("invited")].strip()
        if sector not in sectors:
            raise InputFileError(
                f"{path}: row {number}, column 'sector': unknown sector {sector!r} "
                f"(one of {', '.join(sectors)})"
            )
        if sector in found:
            raise InputFileError(f"{path}: row {number}: sector {sector!r} given twice")
        if not raw.isdigit() or int(raw) == 0:
            raise InputFileError(
                f"{path}: row {number}, column 'invited': {raw!r} is not a positive whole number"
            )
        found[sector] = int(raw)
    if not found:
        raise InputFileError(f"{path}: no rows after the header")
    return tuple((s, found[s]) for s in sectors if s in found)


def _read_text(path: Path) -> str:
    if not path.is_file():
        raise InputFileError(f"{path}: no such file")
    try:
        return path.read_text("utf-8")
    except UnicodeDecodeError:
        raise InputFileError(f"{path}: not a UTF-8 text file") from None


def _read_logo(path: Path, alt_text: str) -> Logo:
    from collabready.reporting.logo import read_logo

    if not path.is_file():
        raise InputFileError(f"{path}: no such file")
    return read_logo(path.read_bytes(), filename=str(path), alt_text=alt_text)


def _parse_merges(values: list[str]) -> dict[tuple[str, str], str]:
    """``--merge region:wales=england`` as ``{("region", "wales"): "england"}``; every bad
    value named."""
    merges: dict[tuple[str, str], str] = {}
    bad: list[str] = []
    for value in values:
        head, sep, into = value.partition("=")
        var, colon, level = head.partition(":")
        if not (sep and colon and var.strip() and level.strip() and into.strip()):
            bad.append(value)
            continue
        merges[(var.strip(), level.strip())] = into.strip()
    if bad:
        raise UserError(
            "--merge " + ", ".join(repr(b) for b in bad) + ": write VARIABLE:LEVEL=INTO, "
            "e.g. region:wales=england"
        )
    return merges


def _record_with_wave(wave: str, kind: str, output: Path, report: Report, sector: str = "") -> None:
    """List the report written from ``--wave`` in the wave's reports in the back office."""
    from collabready.web.reporting import record_report_for_wave

    job_id = record_report_for_wave(wave, kind=kind, path=output, title=report.title, sector=sector)
    console.print(f"Listed with the wave's reports in the back office (report {job_id})")


def _run(build: Callable[[Callable[[str], None]], Report], output: Path) -> Report:
    """Build and write a report with a progress bar; prints where the time went."""
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

    from collabready.analysis.steps import progress
    from collabready.reporting.render import write_report

    started = time.perf_counter()
    with Progress(
        TextColumn("[progress.description]{task.description}"),
        BarColumn(),
        TimeElapsedColumn(),
        console=console,
        disable=not console.is_terminal,  # no bar in logs and pipes
        transient=True,
    ) as bar:
        task = bar.add_task("Loading", total=100)

        def step(name: str) -> None:
            known = progress(name)
            if known is not None:
                bar.update(task, completed=known[1], description=known[0])

        report = build(step)
        step("render")
        fmt = write_report(report, output)
        bar.update(task, completed=100)
    console.print(
        f"Wrote {report.title!r} as {fmt.upper()} to [bold]{output}[/] "
        f"in {time.perf_counter() - started:.1f} s"
    )
    return report


def _load_wave(name: str) -> WaveForReport:
    """A wave in the web database (read through the web layer's thin adapter)."""
    from collabready.web.reporting import load_wave_for_report

    wave = load_wave_for_report(name)
    console.print(
        f"Wave {wave.slug!r}: {len(wave.responses):,} submitted responses"
        + (
            f"; margins {wave.margins_filename}"
            if wave.margins is not None
            else "; no margins uploaded"
        )
    )
    return wave


def _wave_instrument(wave: WaveForReport, version: str | None) -> Instrument:
    if version is not None and wave.instrument.version != version:
        raise UserError(
            f"--instrument-version {version}: wave {wave.slug} was run with "
            f"{wave.instrument.key}; leave the option out with --wave"
        )
    return wave.instrument


def _source(data: Path | None, wave: str | None) -> None:
    if (wave is None) == (data is None):
        raise UserError("give either --wave NAME or --data FILE (with --margins FILE)")


WaveName = Annotated[
    str | None,
    typer.Option(
        "--wave",
        help="A wave in the web database, by short name (or full name). Its uploaded "
        "margins are used unless --margins FILE is given.",
    ),
]


@report_app.command("national")
def national(
    *,
    output: Output,
    data: Data = None,
    margins: Margins = None,
    wave: WaveName = None,
    roundtable: Annotated[
        Path | None,
        typer.Option("--roundtable", help="A Markdown note to append (roundtable discussion)."),
    ] = None,
    title: Annotated[str, typer.Option("--title", help="Report title (on the cover).")] = (
        "The State of Collaboration"
    ),
    subtitle: Annotated[str, typer.Option("--subtitle", help="Subtitle (on the cover).")] = (
        "How ready are we to work together?"
    ),
    foreword: Annotated[
        Path | None,
        typer.Option("--foreword", help="A Markdown file printed as the foreword."),
    ] = None,
    logo: Annotated[
        Path | None,
        typer.Option("--logo", help="A PNG or JPEG logo for the cover (at most 512 KB)."),
    ] = None,
    logo_alt: Annotated[
        str, typer.Option("--logo-alt", help="What the logo shows, for screen readers.")
    ] = "",
    draft: Annotated[
        bool,
        typer.Option(
            "--draft",
            help="A draft during fieldwork, labelled as such on every page; --margins "
            "becomes optional (without it the draft is unweighted).",
        ),
    ] = False,
    merge: Annotated[
        list[str] | None,
        typer.Option(
            "--merge",
            help="VARIABLE:LEVEL=INTO merges a margin level that has no respondents yet into "
            "another level (repeat for several).",
        ),
    ] = None,
    invited: Annotated[
        Path | None,
        typer.Option(
            "--invited",
            help="The issued sample by sector (CSV: sector, invited), for response rates "
            "(`collabready synth --invited` writes one).",
        ),
    ] = None,
    k: K = DEFAULT_K,
    instrument_version: InstrumentVersion = None,
) -> None:
    """The national report, from a wave in the database or a data file plus margins."""
    from collabready.analysis.load import read_responses

    _check_output(output)
    _source(data, wave)
    if data is not None and margins is None and not draft:
        raise UserError("--data needs --margins FILE to weight the sample (or --draft)")
    note = _read_text(roundtable) if roundtable else None
    foreword_text = _read_text(foreword) if foreword else None
    cover_logo = _read_logo(logo, logo_alt) if logo else None
    merge_levels = _parse_merges(merge or [])
    inst = instrument(instrument_version) if wave is None else None

    def build(step: Callable[[str], None]) -> Report:
        from collabready.reporting.national import Fieldwork, national_report

        step("load")
        margins_sha = None
        fieldwork = Fieldwork()
        if wave is not None:
            loaded = _load_wave(wave)
            report_instrument = _wave_instrument(loaded, instrument_version)
            responses = loaded.responses
            if margins is not None:
                margins_frame: pl.DataFrame | StatsMargins | None = _read_margins(margins)
                margins_sha = _sha256(margins)
            elif draft:
                margins_frame, margins_sha = None, None
            else:
                margins_frame, margins_sha = loaded.margins, loaded.margins_sha256
            fieldwork = Fieldwork(
                wave_name=loaded.name,
                public_title=loaded.public_title,
                start=loaded.start,
                end=loaded.end,
                invited=loaded.invited,
            )
            data_sha = None
        else:
            assert data is not None
            assert inst is not None
            report_instrument = inst
            responses = read_responses(data, report_instrument)
            margins_frame = _read_margins(margins) if margins is not None else None
            data_sha = _sha256(data)
            margins_sha = _sha256(margins) if margins is not None else None
        if invited is not None:
            fieldwork = dataclasses.replace(
                fieldwork, invited=_read_invited(invited, report_instrument)
            )
        return national_report(
            responses=responses,
            instrument=report_instrument,
            margins=margins_frame,
            k=k,
            roundtable=note,
            fieldwork=fieldwork,
            title=title,
            subtitle=subtitle,
            foreword=foreword_text,
            logo=cover_logo,
            draft=draft,
            merge_levels=merge_levels if margins_frame is not None else None,
            data_sha256=data_sha,
            margins_sha256=margins_sha,
            step=step,
        )

    report = _run(build, output)
    if wave is not None:
        _record_with_wave(wave, "national", output, report)


@report_app.command("organisation")
def organisation(
    *,
    output: Output,
    data: Annotated[
        Path | None, typer.Option("--data", help="Responses (.parquet or .csv).")
    ] = None,
    wave: WaveName = None,
    respondent: Annotated[
        int | None,
        typer.Option(
            "--respondent", help="Profile of this respondent_id (with --wave: the response id)."
        ),
    ] = None,
    organisation_id: Annotated[
        int | None, typer.Option("--organisation", help="Profile of this organisation_id.")
    ] = None,
    k: K = DEFAULT_K,
    instrument_version: InstrumentVersion = None,
) -> None:
    """An organisation profile for one respondent or one organisation."""
    from collabready.analysis.load import read_responses

    _check_output(output)
    _source(data, wave)
    if (respondent is None) == (organisation_id is None):
        raise UserError("give exactly one of --respondent ID and --organisation ID")
    inst = instrument(instrument_version) if wave is None else None

    def build(step: Callable[[str], None]) -> Report:
        from collabready.reporting.readiness import organisation_readiness_report

        step("load")
        if wave is not None:
            loaded = _load_wave(wave)
            report_instrument = _wave_instrument(loaded, instrument_version)
            responses, data_sha = loaded.responses, None
        else:
            assert data is not None
            assert inst is not None
            report_instrument, responses, data_sha = inst, read_responses(data, inst), _sha256(data)
        step("estimates")
        return organisation_readiness_report(
            responses=responses,
            instrument=report_instrument,
            respondent_id=respondent,
            organisation_id=organisation_id,
            k=k,
            data_sha256=data_sha,
        )

    _run(build, output)


@report_app.command("sector")
def sector(
    *,
    output: Output,
    sector_name: Annotated[
        str, typer.Option("--sector", help="The sector: public, private or third.")
    ],
    data: Annotated[
        Path | None, typer.Option("--data", help="Responses (.parquet or .csv).")
    ] = None,
    wave: WaveName = None,
    margins: Margins = None,
    k: K = DEFAULT_K,
    instrument_version: InstrumentVersion = None,
) -> None:
    """A briefing on one sector against all the others."""
    from collabready.analysis.load import read_responses

    _check_output(output)
    _source(data, wave)
    inst = instrument(instrument_version) if wave is None else None

    def build(step: Callable[[str], None]) -> Report:
        from collabready.reporting.national import fieldwork_period
        from collabready.reporting.sector import sector_briefing

        step("load")
        margins_frame: pl.DataFrame | StatsMargins | None = (
            _read_margins(margins) if margins else None
        )
        margins_sha = _sha256(margins) if margins else None
        if wave is not None:
            loaded = _load_wave(wave)
            report_instrument = _wave_instrument(loaded, instrument_version)
            responses, data_sha = loaded.responses, None
            if margins is None:
                margins_frame, margins_sha = loaded.margins, loaded.margins_sha256
        else:
            assert data is not None
            assert inst is not None
            report_instrument, responses, data_sha = inst, read_responses(data, inst), _sha256(data)
        step("estimates")
        briefing = sector_briefing(
            responses=responses,
            instrument=report_instrument,
            margins=margins_frame,
            sector=sector_name,
            k=k,
            data_sha256=data_sha,
            margins_sha256=margins_sha,
        )
        if wave is None:
            return briefing
        return dataclasses.replace(
            briefing,
            survey_title=loaded.public_title,
            period=fieldwork_period(loaded.start, loaded.end),
        )

    report = _run(build, output)
    if wave is not None:
        _record_with_wave(wave, "sector", output, report, sector=sector_name)


def register(app: typer.Typer) -> None:
    app.add_typer(report_app, name="report")
