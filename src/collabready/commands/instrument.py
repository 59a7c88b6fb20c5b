"""``collabready instrument``: validate, show, and convert to and from XLSForm spreadsheets."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape
from rich.tree import Tree

from collabready.errors import UserError
from collabready.instrument import (
    Dimension,
    Instrument,
    InstrumentError,
    InstrumentNotFoundError,
    Text,
    load_instrument,
)

EXIT_INVALID = 1
EXIT_USAGE = 2

instrument_app = typer.Typer(
    help="The questionnaire as data: validate instrument files, show the bundled CRI.",
    no_args_is_help=True,
)


def _out() -> Console:
    return Console(highlight=False, soft_wrap=False)


def _err() -> Console:
    return Console(stderr=True, highlight=False, soft_wrap=True)


def _fail(message: str, code: int) -> typer.Exit:
    _err().print(f"[bold red]Error:[/] {escape(message)}")
    return typer.Exit(code)


def summary(ins: Instrument) -> str:
    """One line: what an instrument holds."""
    n_block = sum(len(b.items) for b in ins.blocks)
    n_section = sum(len(s.items) for s in ins.sections)
    return (
        f"{ins.key}, {n_block} block items in {len(ins.blocks)} blocks, "
        f"{n_section} section items in {len(ins.sections)} sections, "
        f"{len(ins.profile)} profile questions, {len(ins.open_questions)} open questions, "
        f"{len(ins.levels)} levels, languages: {', '.join(ins.languages)}"
    )


@instrument_app.command("validate")
def validate(
    path: Annotated[Path, typer.Argument(help="The instrument file (.yaml, .yml or .json).")],
) -> None:
    """Check an instrument file's structure and meaning; list every problem found."""
    if not path.exists():
        raise _fail(f"{path}: no such file", EXIT_USAGE)
    try:
        ins = load_instrument(path=path)
    except InstrumentNotFoundError as exc:
        raise _fail(str(exc), EXIT_USAGE) from None
    except InstrumentError as exc:
        err = _err()
        err.print(f"[bold red]invalid:[/] {escape(path.name)}")
        for line in str(exc).splitlines():
            err.print(escape(line))
        raise typer.Exit(EXIT_INVALID) from None
    _out().print(f"[green]valid:[/] {escape(summary(ins))}")


def _t(text: Text | None, language: str) -> str:
    return escape(text.get(language)) if text is not None else ""


def outline(ins: Instrument, *, language: str) -> Tree:
    """A readable outline of the whole questionnaire in ``language``."""
    root = Tree(
        f"[bold]{_t(ins.title, language)}[/] ({ins.key}, about {ins.estimated_minutes} min)"
    )
    intro = root.add("[bold]Introduction[/]")
    for para in ins.introduction.get(language).split("\n\n"):
        intro.add(escape(para))
    scales = root.add("[bold]Scales[/]")
    for scale in ins.scales:
        codes = [f"{o.code} {_t(o.label, language)}" for o in scale.options]
        if scale.dont_know is not None:
            codes.append(f"{scale.dont_know.code} {_t(scale.dont_know.label, language)}")
        scales.add(f"{scale.id}: " + " · ".join(codes))
    profile = root.add("[bold]Profile[/]")
    for q in ins.profile:
        node = profile.add(f"[cyan]{q.id}[/] {_t(q.text, language)}")
        node.add(", ".join(f"{c.code} {_t(c.label, language)}" for c in q.choices))
    blocks = root.add(f"[bold]Building blocks[/] — {_t(ins.item_prompt, language)}")
    for block in ins.blocks:
        node = blocks.add(f"[bold cyan]{_t(block.title, language)}[/] ({block.id})")
        node.add(f"[italic]{_t(block.description, language)}[/]")
        for dim in Dimension:
            group = node.add(dim.value.capitalize())
            for item in block.items_for(dim):
                flag = " [yellow](reverse)[/]" if item.reverse else ""
                group.add(f"[dim]{item.id}[/] {_t(item.text, language)}{flag}")
        actions = node.add("Suggested actions for low scores")
        for action in block.guidance:
            actions.add(_t(action, language))
    for section in ins.sections:
        node = root.add(f"[bold]{_t(section.title, language)}[/] ({section.kind.value})")
        node.add(f"[italic]{_t(section.description, language)}[/]")
        for item in section.items:
            facet = f" [magenta]{item.facet}[/]" if item.facet else ""
            flag = " [yellow](reverse)[/]" if item.reverse else ""
            node.add(f"[dim]{item.id}[/]{facet} {_t(item.text, language)}{flag}")
    opens = root.add("[bold]Open questions[/]")
    for oq in ins.open_questions:
        opens.add(f"[cyan]{oq.id}[/] {_t(oq.text, language)}")
    levels = root.add(f"[bold]Readiness levels[/] (index needs {ins.min_blocks_for_index} blocks)")
    for lv in ins.levels:
        levels.add(
            f"{lv.lower:g}–{lv.upper:g} [bold]{_t(lv.label, language)}[/] ({lv.id}): "
            f"{_t(lv.description, language)}"
        )
    return root


@instrument_app.command("show")
def show(
    version: Annotated[
        str | None, typer.Option("--version", help="Bundled CRI version (default: latest).")
    ] = None,
    language: Annotated[
        str, typer.Option("--language", "-l", help="Language code: en, cy.")
    ] = "en",
    file: Annotated[
        Path | None, typer.Option("--file", help="Show this instrument file instead.")
    ] = None,
) -> None:
    """Print a readable outline of a questionnaire: blocks, sections, profile, levels."""
    if file is not None and version is not None:
        raise _fail("give --version or --file, not both", EXIT_USAGE)
    try:
        ins = load_instrument(version, path=file)
    except UserError as exc:
        raise _fail(str(exc), EXIT_USAGE) from None
    if language not in ins.languages:
        raise _fail(
            f"--language {language!r}: {ins.key} has no such language "
            f"(available: {', '.join(ins.languages)})",
            EXIT_USAGE,
        )
    _out().print(outline(ins, language=language))


@instrument_app.command("to-xlsform")
def to_xlsform(
    output: Annotated[
        Path, typer.Option("--output", "-o", help="The XLSForm file to write (.xlsx).")
    ],
    version: Annotated[
        str | None, typer.Option("--version", help="Bundled CRI version (default: latest).")
    ] = None,
    file: Annotated[
        Path | None, typer.Option("--file", help="Convert this instrument file instead.")
    ] = None,
) -> None:
    """Write a questionnaire as an XLSForm spreadsheet (ODK, KoboToolbox), losslessly."""
    from collabready.formats.xlsform import write_xlsform

    if file is not None and version is not None:
        raise _fail("give --version or --file, not both", EXIT_USAGE)
    try:
        ins = load_instrument(version, path=file)
        write_xlsform(ins, output)
    except UserError as exc:
        raise _fail(str(exc), EXIT_USAGE) from None
    _out().print(f"Wrote {escape(ins.key)} as an XLSForm to {escape(str(output))}")


@instrument_app.command("from-xlsform")
def from_xlsform(
    path: Annotated[Path, typer.Argument(help="The XLSForm spreadsheet (.xlsx).")],
    output: Annotated[
        Path, typer.Option("--output", "-o", help="The instrument file to write (.yaml).")
    ],
) -> None:
    """Read an XLSForm spreadsheet as an instrument file; every problem by sheet, row, column."""
    from collabready.formats.xlsform import document_yaml, read_xlsform

    if output.suffix.lower() not in (".yaml", ".yml"):
        raise _fail(f"{output.name}: write the instrument as .yaml", EXIT_USAGE)
    if not output.parent.is_dir():
        raise _fail(f"{output}: the folder {output.parent} does not exist", EXIT_USAGE)
    try:
        result = read_xlsform(path, output_name=output.name)
    except InstrumentNotFoundError as exc:
        raise _fail(str(exc), EXIT_USAGE) from None
    except InstrumentError as exc:
        err = _err()
        err.print(f"[bold red]invalid:[/] {escape(path.name)}")
        for line in str(exc).splitlines():
            err.print(escape(line))
        raise typer.Exit(EXIT_INVALID) from None
    tmp = output.with_name(f".{output.name}.partial")
    try:
        tmp.write_text(document_yaml(result.document, source=path.name), encoding="utf-8")
        tmp.replace(output)
    finally:
        tmp.unlink(missing_ok=True)
    _out().print(
        f"[green]valid:[/] {escape(summary(result.instrument))}; wrote {escape(str(output))}"
    )


def register(app: typer.Typer) -> None:
    """Add the ``instrument`` commands to the collabready app."""
    app.add_typer(instrument_app, name="instrument")
