"""Writing an :class:`~collabready.instrument.Instrument` as an XLSForm workbook.

The sheets ``survey``, ``choices`` and ``settings`` are a real XLSForm that
pyxform (the ODK converter) accepts; what XLSForm has no column for goes into
``cri_*`` columns (which pyxform ignores) and the sheets ``cri``,
``cri_actions`` and ``cri_levels``. :mod:`.read` reads all of it back.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from collabready.errors import UserError
from collabready.formats.xlsform import layout
from collabready.instrument import Instrument, Text

if TYPE_CHECKING:
    from openpyxl import Workbook
    from openpyxl.worksheet.worksheet import Worksheet

Row = dict[str, Any]


def _texts(base: str, text: Text | None, languages: tuple[str, ...]) -> Row:
    if text is None:
        return {}
    return {layout.translated(base, lang): text.by_language.get(lang) for lang in languages}


def _list_names(ins: Instrument) -> dict[str, str]:
    """Profile question id -> its choice list's name (never a scale's id)."""
    scale_ids = {s.id for s in ins.scales}
    names: dict[str, str] = {}
    for q in ins.profile:
        name = q.id
        while name in scale_ids or name in names.values():
            name += "_choices"
        names[q.id] = name
    return names


def _survey_rows(ins: Instrument) -> list[Row]:
    langs = ins.languages
    lists = _list_names(ins)
    rows: list[Row] = [
        {
            "type": "note",
            "name": "introduction",
            "cri_role": layout.ROLE_INTRODUCTION,
            **_texts("label", ins.introduction, langs),
        }
    ]
    if ins.profile:
        rows.append(
            {"type": "begin_group", "name": layout.PROFILE_GROUP, "cri_role": layout.ROLE_PROFILE}
        )
        for q in ins.profile:
            rows.append(
                {
                    "type": f"select_one {lists[q.id]}",
                    "name": q.id,
                    "required": "yes",
                    **_texts("label", q.text, langs),
                    **_texts("hint", q.hint, langs),
                }
            )
        rows.append({"type": "end_group", "name": layout.PROFILE_GROUP})
    if ins.item_prompt is not None:
        rows.append(
            {
                "type": "note",
                "name": "item_prompt",
                "cri_role": layout.ROLE_ITEM_PROMPT,
                **_texts("label", ins.item_prompt, langs),
            }
        )
    for block in ins.blocks:
        rows.append(
            {
                "type": "begin_group",
                "name": block.id,
                "cri_role": layout.ROLE_BLOCK,
                **_texts("label", block.title, langs),
                **_texts("hint", block.description, langs),
                **_texts("cri_short_label", block.short_label, langs),
            }
        )
        for item in block.items:
            rows.append(
                {
                    "type": f"select_one {item.scale}",
                    "name": item.id,
                    "required": "yes",
                    "cri_dimension": item.dimension.value if item.dimension else None,
                    "cri_reverse": "yes" if item.reverse else None,
                    **_texts("label", item.text, langs),
                }
            )
        rows.append({"type": "end_group", "name": block.id})
    for section in ins.sections:
        rows.append(
            {
                "type": "begin_group",
                "name": section.id,
                "cri_role": layout.ROLE_SECTION,
                "cri_kind": section.kind.value,
                **_texts("label", section.title, langs),
                **_texts("hint", section.description, langs),
            }
        )
        for item in section.items:
            rows.append(
                {
                    "type": f"select_one {item.scale}",
                    "name": item.id,
                    "required": "yes",
                    "cri_facet": item.facet,
                    "cri_reverse": "yes" if item.reverse else None,
                    **_texts("label", item.text, langs),
                }
            )
        rows.append({"type": "end_group", "name": section.id})
    if ins.open_questions:
        rows.append(
            {"type": "begin_group", "name": layout.OPEN_GROUP, "cri_role": layout.ROLE_OPEN}
        )
        for oq in ins.open_questions:
            rows.append(
                {
                    "type": "text",
                    "name": oq.id,
                    "constraint": layout.MAX_LENGTH_CONSTRAINT.format(n=oq.max_length),
                    **_texts("label", oq.text, langs),
                    **_texts("hint", oq.hint, langs),
                }
            )
        rows.append({"type": "end_group", "name": layout.OPEN_GROUP})
    return rows


def _choice_rows(ins: Instrument) -> list[Row]:
    langs = ins.languages
    rows: list[Row] = []
    for scale in ins.scales:
        for opt in scale.options:
            rows.append(
                {"list_name": scale.id, "name": opt.code, **_texts("label", opt.label, langs)}
            )
        if scale.dont_know is not None:
            rows.append(
                {
                    "list_name": scale.id,
                    "name": scale.dont_know.code,
                    "cri_dont_know": "yes",
                    **_texts("label", scale.dont_know.label, langs),
                }
            )
    lists = _list_names(ins)
    for q in ins.profile:
        for c in q.choices:
            rows.append(
                {
                    "list_name": lists[q.id],
                    "name": c.value,
                    "cri_code": c.code,
                    **_texts("label", c.label, langs),
                }
            )
    return rows


def _number(value: float) -> int | float:
    return int(value) if float(value).is_integer() else value


def _cri_rows(ins: Instrument) -> list[Row]:
    langs = ins.languages
    rows: list[Row] = [
        {"property": layout.PROP_TITLE, **_texts("text", ins.title, langs)},
        {"property": layout.PROP_MINUTES, "value": ins.estimated_minutes},
        {"property": layout.PROP_MIN_BLOCKS, "value": ins.min_blocks_for_index},
    ]
    if ins.focus is not None:
        rows.append({"property": layout.PROP_FOCUS_BLOCK, "value": ins.focus.block})
        if ins.focus.rationale is not None:
            rows.append(
                {
                    "property": layout.PROP_FOCUS_RATIONALE,
                    **_texts("text", ins.focus.rationale, langs),
                }
            )
        if ins.focus.lag_finding is not None:
            rows.append(
                {"property": layout.PROP_FOCUS_LAG, **_texts("text", ins.focus.lag_finding, langs)}
            )
    return rows


def _action_rows(ins: Instrument) -> list[Row]:
    return [
        {"block": block.id, **_texts("text", action, ins.languages)}
        for block in ins.blocks
        for action in block.guidance
    ]


def _level_rows(ins: Instrument) -> list[Row]:
    return [
        {
            "name": lv.id,
            "lower": _number(lv.lower),
            "upper": _number(lv.upper),
            **_texts("label", lv.label, ins.languages),
            **_texts("description", lv.description, ins.languages),
        }
        for lv in ins.levels
    ]


def _columns(first: list[str], rows: list[Row]) -> list[str]:
    """``first`` then every other key used by a row, in order of first use."""
    out = list(first)
    for row in rows:
        for key in row:
            if key not in out:
                out.append(key)
    return out


def _sheet(book: Workbook, title: str, columns: list[str], rows: list[Row]) -> Worksheet:
    sheet = book.create_sheet(title)
    sheet.append(columns)
    for row in rows:
        sheet.append([row.get(c) for c in columns])
    for cells in sheet.iter_rows(min_row=1):
        for cell in cells:
            if isinstance(cell.value, str):
                cell.data_type = "s"  # a text is never a formula, even if it starts with "="
    sheet.freeze_panes = "A2"
    return sheet


def instrument_workbook(ins: Instrument) -> Workbook:
    """The XLSForm workbook of ``ins`` (not yet saved)."""
    from openpyxl import Workbook

    langs = ins.languages
    book = Workbook()
    if book.active is not None:
        book.remove(book.active)
    label_cols = [layout.translated("label", lang) for lang in langs]
    hint_cols = [layout.translated("hint", lang) for lang in langs]
    survey = _survey_rows(ins)
    _sheet(
        book,
        layout.SURVEY,
        _columns(["type", "name", *label_cols, *hint_cols, "required", "constraint"], survey),
        survey,
    )
    choices = _choice_rows(ins)
    _sheet(book, layout.CHOICES, _columns(["list_name", "name", *label_cols], choices), choices)
    settings: Row = {
        "form_title": ins.title.get(langs[0]),
        "form_id": ins.id,
        "version": ins.version,
        "default_language": layout.language_label(langs[0]),
    }
    _sheet(book, layout.SETTINGS, list(settings), [settings])
    text_cols = [layout.translated("text", lang) for lang in langs]
    _sheet(book, layout.CRI, ["property", "value", *text_cols], _cri_rows(ins))
    _sheet(book, layout.CRI_ACTIONS, ["block", *text_cols], _action_rows(ins))
    levels = _level_rows(ins)
    _sheet(book, layout.CRI_LEVELS, _columns(["name", "lower", "upper"], levels), levels)
    return book


def write_xlsform(ins: Instrument, path: Path) -> None:
    """Write ``ins`` as an XLSForm ``.xlsx`` file; nothing is left at ``path`` on failure."""
    if path.suffix.lower() != ".xlsx":
        raise UserError(
            f"{path.name}: an XLSForm is written as .xlsx, not {path.suffix or 'no suffix'!r}"
        )
    if not path.parent.is_dir():
        raise UserError(f"{path}: the folder {path.parent} does not exist")
    book = instrument_workbook(ins)
    tmp = path.with_name(f".{path.name}.partial")
    try:
        book.save(tmp)
        tmp.replace(path)
    finally:
        tmp.unlink(missing_ok=True)
