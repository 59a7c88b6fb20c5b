"""Reading an XLSForm workbook back into an instrument, with errors naming sheet, row and column.

Why this module is long: it is one reader for six sheets that share one
problem list and one map from document paths to cells; split, each part would
need both passed around.

The workbook is turned into an instrument *document* (the plain data of an
instrument YAML file) while every field's cell is recorded. The document then
goes through the same two validation stages as any instrument file
(:func:`collabready.instrument.validate_document`); each problem those stages
report by document path (``blocks[2].items[3].text``) is translated back to the
cell it came from (``survey row 31, column D (label::Welsh (cy))``). Problems
only a spreadsheet can have (an unknown question type, a group left open, a
malformed header) are found while reading. Every problem is listed, in sheet
and row order.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

import yaml

from collabready.formats.xlsform import layout
from collabready.formats.xlsform.cells import (
    Cell,
    Sheet,
    cell_int,
    cell_number,
    cell_str,
    load_sheets,
)
from collabready.instrument import Instrument, InstrumentError
from collabready.instrument.build import build_instrument
from collabready.instrument.checks import check_version, meaning_problems
from collabready.instrument.loader import MAX_PROBLEMS
from collabready.instrument.structure import format_path, structure_problems

Path_ = tuple[str | int, ...]

_PROBLEM_RE: Final = re.compile(
    r"^(?P<path>[a-z_]\w*(?:\[\d+\]|\.[A-Za-z_]\w*)*): (?P<msg>.*)$", re.S
)
_INNER_PATH_RE: Final = re.compile(
    r"\b(?:scales|profile|blocks|sections|open_questions|levels)(?:\[\d+\]|\.[A-Za-z_]\w*)+"
)
_LIST_FIELDS: Final = frozenset({"guidance", "items", "options", "choices"})
_TOKEN_RE: Final = re.compile(r"\[(\d+)\]|\.?([A-Za-z_]\w*)")
_LANGUAGE_IN_MSG: Final = re.compile(r"language '([A-Za-z-]+)'")


class _Reader:
    """One pass over a workbook: builds the document, records cells, collects problems."""

    def __init__(self, sheets: dict[str, Sheet], file_name: str) -> None:
        self.sheets = sheets
        self.file_name = file_name
        self.problems: list[tuple[Cell, str]] = []
        self.cells: dict[str, Cell] = {}
        self.languages: list[str] = []
        self.doc: dict[str, Any] = {}
        self._form_title: tuple[str, Cell] = ("", Cell(layout.SETTINGS))

    def sheet(self, name: str) -> Sheet:
        """The sheet called ``name``, or an empty one when the workbook has none."""
        return self.sheets.get(name) or Sheet(name, [], [])

    # -- recording -----------------------------------------------------------
    def problem(self, cell: Cell, message: str) -> None:
        self.problems.append((cell, message))

    def at(self, path: Path_, cell: Cell) -> None:
        self.cells[format_path(path)] = cell

    def text(
        self, sheet: Sheet, row: int, values: tuple[Any, ...], base: str, path: Path_
    ) -> dict[str, str] | None:
        """The text in ``base::<language>`` columns; records each language's cell."""
        langs = list(dict.fromkeys([*self.languages, *sheet.languages(base)]))
        out: dict[str, str] = {}
        for lang in langs:
            self.at((*path, lang), sheet.cell(row, base, lang))
            value = cell_str(sheet.value(values, base, lang))
            if value.strip():
                out[lang] = value
        first = self.languages[0] if self.languages else (langs[0] if langs else "en")
        self.at(path, sheet.cell(row, base, first))
        if sheet.plain.get(base) is not None and cell_str(sheet.value(values, base)).strip():
            self.problem(
                sheet.cell(row, base),
                f"a {base} without a language; move it to the column "
                f"{layout.translated(base, first)}",
            )
        return out or None

    def put_text(self, node: dict[str, Any], key: str, text: dict[str, str] | None) -> None:
        if text is not None:
            node[key] = text

    # -- sheets ----------------------------------------------------------------
    def read(self) -> dict[str, Any]:
        survey = self.sheets.get(layout.SURVEY)
        if survey is None:
            self.problem(
                Cell(layout.SURVEY), "the workbook has no sheet named 'survey' (names are exact)"
            )
            return self.doc
        self.languages = survey.languages("label")
        if not self.languages:
            self.problem(
                Cell(layout.SURVEY, 1),
                f"no label column with a language, such as {layout.translated('label', 'en')}",
            )
        self._settings()
        self.doc["languages"] = list(self.languages)
        self.at(("languages",), Cell(layout.SURVEY, 1))
        choice_lists = self._choices()
        self._cri()
        self._survey(survey, choice_lists)
        self._actions()
        self._levels()
        return self._ordered()

    def _ordered(self) -> dict[str, Any]:
        order = (
            "id", "version", "languages", "estimated_minutes", "min_blocks_for_index", "title",
            "introduction", "item_prompt", "scales", "profile", "blocks", "focus", "sections",
            "open_questions", "levels",
        )  # fmt: skip
        return {k: self.doc[k] for k in order if k in self.doc}

    def _settings(self) -> None:
        sheet = self.sheets.get(layout.SETTINGS)
        if sheet is None or not sheet.rows:
            self.problem(
                Cell(layout.SETTINGS), "the workbook has no settings sheet with a row of values"
            )
            return
        row, values = sheet.rows[0]
        for extra_row, _ in sheet.rows[1:]:
            self.problem(
                Cell(layout.SETTINGS, extra_row), "the settings sheet has one row of values only"
            )
        for key, base in (("id", "form_id"), ("version", "version")):
            self.at((key,), sheet.cell(row, base))
            value = cell_str(sheet.value(values, base)).strip()
            if value:
                self.doc[key] = value
        default = cell_str(sheet.value(values, "default_language")).strip()
        if default:
            code = re.search(r"\(([A-Za-z-]+)\)\s*$", default)
            lang = code[1] if code else default
            if lang in self.languages:
                self.languages.remove(lang)
                self.languages.insert(0, lang)
            else:
                declared = ", ".join(layout.language_label(x) for x in self.languages) or "none"
                self.problem(
                    sheet.cell(row, "default_language"),
                    f"{default!r} is not one of the survey's label languages ({declared})",
                )
        self._form_title = (
            cell_str(sheet.value(values, "form_title")),
            sheet.cell(row, "form_title"),
        )

    def _choices(self) -> dict[str, list[tuple[int, tuple[Any, ...]]]]:
        sheet = self.sheets.get(layout.CHOICES)
        lists: dict[str, list[tuple[int, tuple[Any, ...]]]] = {}
        if sheet is None:
            return lists
        for row, values in sheet.rows:
            name = cell_str(sheet.value(values, "list_name")).strip()
            if not name:
                self.problem(sheet.cell(row, "list_name"), "a choice without a list_name")
                continue
            lists.setdefault(name, []).append((row, values))
        return lists

    def _cri(self) -> None:
        sheet = self.sheets.get(layout.CRI)
        seen: dict[str, int] = {}
        props: dict[str, Any] = {}
        if sheet is not None:
            for row, values in sheet.rows:
                prop = cell_str(sheet.value(values, "property")).strip()
                where = sheet.cell(row, "property")
                if prop not in (*layout.VALUE_PROPS, *layout.TEXT_PROPS):
                    known = ", ".join((*layout.VALUE_PROPS, *layout.TEXT_PROPS))
                    self.problem(where, f"unknown property {prop!r} (known: {known})")
                    continue
                if prop in seen:
                    self.problem(where, f"{prop!r} is given twice (first on row {seen[prop]})")
                    continue
                seen[prop] = row
                if prop in layout.TEXT_PROPS:
                    props[prop] = (sheet, row, values)
                else:
                    props[prop] = (sheet.value(values, "value"), sheet.cell(row, "value"))
        form_title, title_cell = self._form_title
        if layout.PROP_TITLE in props:
            sh, row, values = props[layout.PROP_TITLE]
            self.put_text(self.doc, "title", self.text(sh, row, values, "text", ("title",)))
            shown = self.doc.get("title", {}).get(self.languages[0] if self.languages else "en")
            if form_title.strip() and shown is not None and form_title != shown:
                self.problem(
                    title_cell,
                    f"{form_title!r} differs from the title on sheet cri row {row} ({shown!r}); "
                    "make them the same",
                )
        elif form_title.strip() and self.languages:
            self.doc["title"] = {self.languages[0]: form_title}
            self.at(("title",), title_cell)
        else:
            self.at(("title",), title_cell)
        for prop, key in (
            (layout.PROP_MINUTES, "estimated_minutes"),
            (layout.PROP_MIN_BLOCKS, "min_blocks_for_index"),
        ):
            self.at((key,), Cell(layout.CRI, None, None, f"property {prop}"))
            if prop in props:
                value, cell = props[prop]
                self.at((key,), cell)
                if cell_str(value).strip():
                    self.doc[key] = cell_int(value)
        if layout.PROP_FOCUS_BLOCK in props:
            value, cell = props[layout.PROP_FOCUS_BLOCK]
            focus: dict[str, Any] = {"block": cell_str(value).strip()}
            self.at(("focus",), cell)
            self.at(("focus", "block"), cell)
            for prop, key in (
                (layout.PROP_FOCUS_RATIONALE, "rationale"),
                (layout.PROP_FOCUS_LAG, "lag_finding"),
            ):
                if prop in props:
                    sh, row, values = props[prop]
                    self.put_text(focus, key, self.text(sh, row, values, "text", ("focus", key)))
            self.doc["focus"] = focus
        else:
            for prop in (layout.PROP_FOCUS_RATIONALE, layout.PROP_FOCUS_LAG):
                if prop in props:
                    sh, row, _ = props[prop]
                    self.problem(sh.cell(row, "property"), f"{prop} needs a focus_block")

    # -- the survey sheet ------------------------------------------------------------
    def _survey(self, sheet: Sheet, lists: dict[str, list[tuple[int, tuple[Any, ...]]]]) -> None:
        self.doc.update(profile=[], blocks=[], sections=[], open_questions=[])
        self.at(
            ("introduction",), Cell(layout.SURVEY, None, None, "a note with cri_role introduction")
        )
        group: tuple[str, int, dict[str, Any] | None] | None = None  # role, row, node
        profile_lists: dict[str, int] = {}
        item_lists: dict[str, int] = {}
        for row, values in sheet.rows:
            kind = " ".join(cell_str(sheet.value(values, "type")).split())
            kind = kind.replace("begin group", "begin_group").replace("end group", "end_group")
            kind = kind.replace("select one ", "select_one ")
            name = cell_str(sheet.value(values, "name")).strip()
            role = cell_str(sheet.value(values, "cri_role")).strip()
            type_cell = sheet.cell(row, "type")
            if not kind:
                self.problem(type_cell, f"the row {name!r} has no type")
                continue
            if kind in layout.META_TYPES:
                continue
            if cell_str(sheet.value(values, "relevant")).strip():
                self.problem(
                    sheet.cell(row, "relevant"),
                    "skip logic (relevant) is not supported in a CRI instrument; leave it empty",
                )
            if kind == "begin_group":
                if group is not None:
                    self.problem(
                        type_cell,
                        f"a group inside the group begun on row {group[1]}: "
                        "groups cannot be nested",
                    )
                    continue
                group = (role, row, self._begin_group(sheet, row, values, role, name))
                continue
            if kind == "end_group":
                if group is None:
                    self.problem(type_cell, "end_group without a begin_group")
                group = None
                continue
            if kind == "note":
                self._note(sheet, row, values, role=role, name=name, in_group=group is not None)
                continue
            if group is None:
                self.problem(
                    type_cell,
                    f"{name!r} is outside any group: a question belongs in the profile, "
                    "a block, a section or the open questions",
                )
                continue
            self._question(
                sheet, row, values, kind=kind, name=name, group=group, lists=lists,
                profile_lists=profile_lists, item_lists=item_lists,
            )  # fmt: skip
        if group is not None:
            self.problem(
                sheet.cell(group[1], "type"), "this group is never closed: add an end_group row"
            )
        self._scales(lists, profile_lists, item_lists)

    def _begin_group(
        self, sheet: Sheet, row: int, values: tuple[Any, ...], role: str, name: str
    ) -> dict[str, Any] | None:
        if role not in layout.GROUP_ROLES:
            self.problem(
                sheet.cell(row, "cri_role"),
                f"{role!r} is not a group role: a group's cri_role is one of "
                f"{', '.join(layout.GROUP_ROLES)}",
            )
            return None
        if role in (layout.ROLE_PROFILE, layout.ROLE_OPEN):
            return None
        key = "blocks" if role == layout.ROLE_BLOCK else "sections"
        index = len(self.doc[key])
        path: Path_ = (key, index)
        node: dict[str, Any] = {"id": name}
        self.at(path, sheet.cell(row, "name"))
        self.at((*path, "id"), sheet.cell(row, "name"))
        if role == layout.ROLE_SECTION:
            node["kind"] = cell_str(sheet.value(values, "cri_kind")).strip()
            self.at((*path, "kind"), sheet.cell(row, "cri_kind"))
        self.put_text(node, "title", self.text(sheet, row, values, "label", (*path, "title")))
        if role == layout.ROLE_BLOCK:
            self.put_text(
                node,
                "short_label",
                self.text(sheet, row, values, "cri_short_label", (*path, "short_label")),
            )
        self.put_text(
            node, "description", self.text(sheet, row, values, "hint", (*path, "description"))
        )
        node["items"] = []
        self.at((*path, "items"), sheet.cell(row, "name"))
        if role == layout.ROLE_BLOCK:
            node["guidance"] = []
            self.at((*path, "guidance"), Cell(layout.CRI_ACTIONS, None, None, f"block {name}"))
        self.doc[key].append(node)
        return node

    def _note(
        self,
        sheet: Sheet,
        row: int,
        values: tuple[Any, ...],
        *,
        role: str,
        name: str,
        in_group: bool,
    ) -> None:
        if role not in layout.NOTE_ROLES or in_group:
            self.problem(
                sheet.cell(row, "cri_role"),
                f"the note {name!r} has no place in a CRI instrument: a note is the introduction "
                f"or the item prompt (cri_role {' or '.join(layout.NOTE_ROLES)}), "
                "outside any group",
            )
            return
        if role in self.doc:
            self.problem(sheet.cell(row, "cri_role"), f"a second {role} note")
            return
        self.put_text(self.doc, role, self.text(sheet, row, values, "label", (role,)))

    def _question(
        self,
        sheet: Sheet,
        row: int,
        values: tuple[Any, ...],
        *,
        kind: str,
        name: str,
        group: tuple[str, int, dict[str, Any] | None],
        lists: dict[str, list[tuple[int, tuple[Any, ...]]]],
        profile_lists: dict[str, int],
        item_lists: dict[str, int],
    ) -> None:
        role, _, node = group
        type_cell = sheet.cell(row, "type")
        list_name = kind.split(" ", 1)[1].strip() if kind.startswith("select_one ") else ""
        wanted = "text" if role == layout.ROLE_OPEN else "select_one <list>"
        if (role == layout.ROLE_OPEN) != (kind == "text") or (
            role != layout.ROLE_OPEN and not list_name
        ):
            self.problem(
                type_cell,
                f"type {kind!r} cannot be used here: the questions of a {role} group are {wanted}",
            )
            return
        if list_name and list_name not in lists:
            self.problem(type_cell, f"the list {list_name!r} is not on the choices sheet")
        if list_name and " " in list_name:
            self.problem(type_cell, f"{kind!r}: or_other and other extras are not supported")
            return
        if role != layout.ROLE_OPEN and cell_str(sheet.value(values, "constraint")).strip():
            self.problem(
                sheet.cell(row, "constraint"),
                "a constraint is only read on open (text) questions; leave it empty",
            )
        if role == layout.ROLE_PROFILE:
            self._profile_question(sheet, row, values, name=name, list_name=list_name, lists=lists)
            profile_lists.setdefault(list_name, row)
        elif role == layout.ROLE_OPEN:
            self._open_question(sheet, row, values, name)
        elif node is not None:
            self._item(sheet, row, values, name=name, list_name=list_name, role=role, group=node)
            item_lists.setdefault(list_name, row)

    def _profile_question(
        self, sheet: Sheet, row: int, values: tuple[Any, ...], *, name: str, list_name: str,
        lists: dict[str, list[tuple[int, tuple[Any, ...]]]],
    ) -> None:  # fmt: skip
        path: Path_ = ("profile", len(self.doc["profile"]))
        node: dict[str, Any] = {"id": name, "type": "single_choice"}
        for key, base in (("", "name"), ("id", "name"), ("type", "type")):
            self.at((*path, key) if key else path, sheet.cell(row, base))
        self.put_text(node, "text", self.text(sheet, row, values, "label", (*path, "text")))
        self.put_text(node, "hint", self.text(sheet, row, values, "hint", (*path, "hint")))
        choices: list[dict[str, Any]] = []
        choice_sheet = self.sheet(layout.CHOICES)
        self.at((*path, "choices"), sheet.cell(row, "type"))
        for j, (crow, cvalues) in enumerate(lists.get(list_name, [])):
            cpath: Path_ = (*path, "choices", j)
            choice: dict[str, Any] = {}
            code = choice_sheet.value(cvalues, "cri_code")
            if cell_str(code).strip():
                choice["code"] = cell_int(code)
            choice["value"] = cell_str(choice_sheet.value(cvalues, "name")).strip()
            self.put_text(
                choice, "label", self.text(choice_sheet, crow, cvalues, "label", (*cpath, "label"))
            )
            self.at(cpath, choice_sheet.cell(crow, "name"))
            self.at((*cpath, "value"), choice_sheet.cell(crow, "name"))
            self.at((*cpath, "code"), choice_sheet.cell(crow, "cri_code"))
            choices.append(choice)
        node["choices"] = choices
        self.doc["profile"].append(node)

    def _open_question(self, sheet: Sheet, row: int, values: tuple[Any, ...], name: str) -> None:
        path: Path_ = ("open_questions", len(self.doc["open_questions"]))
        node: dict[str, Any] = {"id": name}
        self.at(path, sheet.cell(row, "name"))
        self.at((*path, "id"), sheet.cell(row, "name"))
        self.put_text(node, "text", self.text(sheet, row, values, "label", (*path, "text")))
        self.put_text(node, "hint", self.text(sheet, row, values, "hint", (*path, "hint")))
        constraint = cell_str(sheet.value(values, "constraint"))
        if constraint.strip():
            match = layout.MAX_LENGTH_RE.match(constraint)
            if match is None:
                self.problem(
                    sheet.cell(row, "constraint"),
                    f"{constraint!r} is not understood: an open question's constraint is its "
                    f"length limit, {layout.MAX_LENGTH_CONSTRAINT.format(n=2000)!r}",
                )
            else:
                node["max_length"] = int(match[1])
                self.at((*path, "max_length"), sheet.cell(row, "constraint"))
        self.doc["open_questions"].append(node)

    def _item(
        self, sheet: Sheet, row: int, values: tuple[Any, ...], *, name: str, list_name: str,
        role: str, group: dict[str, Any],
    ) -> None:  # fmt: skip
        key = "blocks" if role == layout.ROLE_BLOCK else "sections"
        path: Path_ = (key, self.doc[key].index(group), "items", len(group["items"]))
        node: dict[str, Any] = {"id": name}
        self.at(path, sheet.cell(row, "name"))
        self.at((*path, "id"), sheet.cell(row, "name"))
        if role == layout.ROLE_BLOCK:
            node["dimension"] = cell_str(sheet.value(values, "cri_dimension")).strip()
            self.at((*path, "dimension"), sheet.cell(row, "cri_dimension"))
        else:
            facet = cell_str(sheet.value(values, "cri_facet")).strip()
            if facet:
                node["facet"] = facet
            self.at((*path, "facet"), sheet.cell(row, "cri_facet"))
        node["scale"] = list_name
        self.at((*path, "scale"), sheet.cell(row, "type"))
        reverse = cell_str(sheet.value(values, "cri_reverse")).strip().lower()
        self.at((*path, "reverse"), sheet.cell(row, "cri_reverse"))
        if reverse in layout.YES:
            node["reverse"] = True
        elif reverse not in layout.NO:
            self.problem(sheet.cell(row, "cri_reverse"), f"{reverse!r} is not yes or no")
        self.put_text(node, "text", self.text(sheet, row, values, "label", (*path, "text")))
        group["items"].append(node)

    def _scales(
        self,
        lists: dict[str, list[tuple[int, tuple[Any, ...]]]],
        profile_lists: dict[str, int],
        item_lists: dict[str, int],
    ) -> None:
        sheet = self.sheet(layout.CHOICES)
        scales: list[dict[str, Any]] = []
        self.at(("scales",), Cell(layout.CHOICES))
        for list_name, rows in lists.items():
            if list_name in profile_lists:
                if list_name in item_lists:
                    self.problem(
                        self.sheets[layout.SURVEY].cell(item_lists[list_name], "type"),
                        f"the list {list_name!r} is a profile question's choices (row "
                        f"{profile_lists[list_name]}), not a rating scale",
                    )
                continue
            if list_name not in item_lists and any(
                cell_str(sheet.value(v, "cri_code")).strip() for _, v in rows
            ):
                self.problem(
                    sheet.cell(rows[0][0], "list_name"),
                    f"the list {list_name!r} has choice codes (cri_code) but no profile "
                    "question uses it",
                )
                continue
            path: Path_ = ("scales", len(scales))
            scale: dict[str, Any] = {"id": list_name, "options": []}
            self.at(path, sheet.cell(rows[0][0], "list_name"))
            self.at((*path, "id"), sheet.cell(rows[0][0], "list_name"))
            self.at((*path, "options"), sheet.cell(rows[0][0], "list_name"))
            for crow, cvalues in rows:
                is_dk = cell_str(sheet.value(cvalues, "cri_dont_know")).strip().lower()
                if is_dk not in layout.YES and is_dk not in layout.NO:
                    self.problem(sheet.cell(crow, "cri_dont_know"), f"{is_dk!r} is not yes or no")
                if is_dk in layout.YES and "dont_know" in scale:
                    self.problem(sheet.cell(crow, "cri_dont_know"), "a second don't-know option")
                    continue
                opath: Path_ = (
                    (*path, "dont_know")
                    if is_dk in layout.YES
                    else (*path, "options", len(scale["options"]))
                )
                option: dict[str, Any] = {"code": cell_int(sheet.value(cvalues, "name"))}
                self.put_text(
                    option, "label", self.text(sheet, crow, cvalues, "label", (*opath, "label"))
                )
                self.at(opath, sheet.cell(crow, "name"))
                self.at((*opath, "code"), sheet.cell(crow, "name"))
                if is_dk in layout.YES:
                    scale["dont_know"] = option
                else:
                    scale["options"].append(option)
            scales.append(scale)
        self.doc["scales"] = scales

    def _actions(self) -> None:
        sheet = self.sheets.get(layout.CRI_ACTIONS)
        if sheet is None:
            return
        blocks = {b["id"]: (i, b) for i, b in enumerate(self.doc.get("blocks", []))}
        for row, values in sheet.rows:
            name = cell_str(sheet.value(values, "block")).strip()
            if name not in blocks:
                known = ", ".join(blocks) or "none"
                self.problem(
                    sheet.cell(row, "block"),
                    f"unknown block {name!r} (blocks on the survey sheet: {known})",
                )
                continue
            i, block = blocks[name]
            path: Path_ = ("blocks", i, "guidance", len(block["guidance"]))
            if len(block["guidance"]) == 0:
                self.at(("blocks", i, "guidance"), sheet.cell(row, "block"))
            text = self.text(sheet, row, values, "text", path)
            block["guidance"].append(text if text is not None else {})

    def _levels(self) -> None:
        sheet = self.sheet(layout.CRI_LEVELS)
        levels: list[dict[str, Any]] = []
        self.at(("levels",), Cell(layout.CRI_LEVELS))
        for row, values in sheet.rows:
            path: Path_ = ("levels", len(levels))
            level: dict[str, Any] = {"id": cell_str(sheet.value(values, "name")).strip()}
            self.at(path, sheet.cell(row, "name"))
            self.at((*path, "id"), sheet.cell(row, "name"))
            for key in ("lower", "upper"):
                self.at((*path, key), sheet.cell(row, key))
                value = sheet.value(values, key)
                if cell_str(value).strip():
                    level[key] = cell_number(value)
            self.put_text(level, "label", self.text(sheet, row, values, "label", (*path, "label")))
            self.put_text(
                level,
                "description",
                self.text(sheet, row, values, "description", (*path, "description")),
            )
            levels.append(level)
        self.doc["levels"] = levels

    # -- validation problems, back to cells ---------------------------------------------
    def locate(self, line: str) -> tuple[Cell, str]:
        match = _PROBLEM_RE.match(line)
        if match is None:
            return Cell(layout.SURVEY), line
        path, msg = match["path"], match["msg"]
        msg = _INNER_PATH_RE.sub(self._short_place, msg)
        lang = _LANGUAGE_IN_MSG.search(msg)
        if lang and f"{path}.{lang[1]}" in self.cells:
            return self.cells[f"{path}.{lang[1]}"], msg
        if path in self.cells:
            last = path.rsplit(".", 1)[-1]
            if last in _LIST_FIELDS:  # "has 1 entry": say of what
                return self.cells[path], f"{last}: {msg}"
            return self.cells[path], msg
        for prefix in _prefixes(path):
            if prefix in self.cells:
                return self.cells[prefix], f"{path}: {msg}"
        return Cell(layout.SURVEY), f"{path}: {msg}"

    def _short_place(self, match: re.Match[str]) -> str:
        path = match[0]
        for prefix in (path, *_prefixes(path)):
            cell = self.cells.get(prefix)
            if cell is not None and cell.row is not None:
                return f"{cell.sheet} row {cell.row}"
        return path


def _prefixes(path: str) -> Iterator[str]:
    """``"a[1].b.c"`` -> ``"a[1].b"``, ``"a[1]"``, ``"a"``."""
    tokens: list[str | int] = [
        int(m[1]) if m[1] is not None else m[2] for m in _TOKEN_RE.finditer(path)
    ]
    for n in range(len(tokens) - 1, 0, -1):
        yield format_path(tokens[:n])


@dataclass(frozen=True, slots=True)
class XlsformResult:
    """A read XLSForm: the validated instrument and its document (for writing YAML)."""

    instrument: Instrument
    document: dict[str, Any]


def read_xlsform(path: Path, *, output_name: str | None = None) -> XlsformResult:
    """Read an XLSForm workbook as an instrument, validated in the same two stages as any file.

    ``output_name`` is the name of the YAML file it will be written to; its
    version, if it names one (``cri-1.2.0.yaml``), must agree with the
    settings sheet's. Raises :class:`InstrumentError` listing every problem,
    each with its sheet, row and column.
    """
    sheets, problems = load_sheets(path)
    reader = _Reader(sheets, path.name)
    document = reader.read()
    located = [*problems, *reader.problems]
    stage = [reader.locate(p) for p in structure_problems(document)]
    if not stage:
        stage = [reader.locate(p) for p in meaning_problems(document, file_name=path.name)]
        if output_name is not None and not located:
            stage += [reader.locate(p) for p in check_version(document, file_name=output_name)]
    explained = {cell for cell, _ in located}
    # one explanation per cell: a spreadsheet problem explains what validation then finds there
    located += [p for p in dict.fromkeys(stage) if p[0] not in explained]
    if located:
        located.sort(key=lambda p: p[0].order)
        lines = [f"{cell}: {message}" for cell, message in located]
        if len(lines) > MAX_PROBLEMS:
            hidden = len(lines) - MAX_PROBLEMS
            lines = [*lines[:MAX_PROBLEMS], f"... and {hidden} more problems not shown"]
        raise InstrumentError(path.name, lines)
    return XlsformResult(instrument=build_instrument(document), document=document)


class _BlockDumper(yaml.SafeDumper):
    """Writes multi-line texts as YAML block scalars (``|``), as the bundled files are."""


def _str_representer(dumper: yaml.SafeDumper, data: str) -> yaml.ScalarNode:
    style = "|" if "\n" in data else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", data, style=style)


_BlockDumper.add_representer(str, _str_representer)


def document_yaml(document: dict[str, Any], *, source: str) -> str:
    """The instrument document as YAML text, headed by a comment naming its source."""
    body = yaml.dump(
        document, Dumper=_BlockDumper, sort_keys=False, allow_unicode=True, width=100_000
    )
    return f"# Read from the XLSForm {source} by `collabready instrument from-xlsform`.\n\n{body}"
