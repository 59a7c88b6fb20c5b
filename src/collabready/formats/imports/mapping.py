"""The mapping file of an import: which source column is which question, and what its values mean.

```yaml
instrument: cri@1.1.0        # optional: the instrument it was written for
organisation: Organisation   # optional: the column naming whom each respondent answers for
columns:                     # source column -> item, profile question or open question id
  Q1: sector
  Q7_3: cit_com_3
  Q20: open_improve
values:                      # optional: more source values, per scale or profile question
  agree5:
    Strongly agre: 5         # a badly labelled export
    N/A: null                # read as no answer
  sector:
    Public body: public      # a choice value (or its code, 1)
```

Without a ``values`` entry a cell may already hold a code (``5``), a label of
the instrument in any of its languages (``Strongly agree``, ``Cytuno'n gryf``;
case and spacing ignored) or, for a profile question, a choice value
(``public``). An empty cell is no answer.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Any, Final

import yaml

from collabready.errors import InputFileError
from collabready.instrument import Instrument

TOP_KEYS: Final = ("instrument", "organisation", "columns", "values", "sheet")


class TargetKind(StrEnum):
    ITEM = "item"
    PROFILE = "profile"
    OPEN = "open"


@dataclass(frozen=True, slots=True)
class Target:
    """What one source column holds: ``id`` of an item, profile question or open question."""

    kind: TargetKind
    id: str
    #: the scale (items) or profile question whose values the column takes
    domain: str


@dataclass(frozen=True, slots=True)
class ImportMapping:
    """A checked mapping: columns to targets, and extra values per scale or question.

    ``values[domain][normalised source value]`` is a code (``None``: no answer).
    """

    columns: Mapping[str, Target]
    values: Mapping[str, Mapping[str, int | None]]
    organisation: str | None
    sheet: str | None


class ImportMappingError(InputFileError):
    """A mapping file that cannot be used; ``problems`` lists every problem."""

    def __init__(self, file: str, problems: list[str]) -> None:
        self.file = file
        self.problems = tuple(problems)
        lines = [f"{file}: {p}" for p in problems]
        if len(lines) > 1:
            lines.insert(0, f"{file}: {len(lines)} problems in the mapping file")
        super().__init__("\n".join(lines))


def normalise(value: str) -> str:
    """A source value as compared: case and runs of spaces ignored."""
    return " ".join(value.split()).casefold()


def _targets(instrument: Instrument) -> dict[str, Target]:
    out: dict[str, Target] = {}
    for item in instrument.iter_items():
        out[item.id] = Target(TargetKind.ITEM, item.id, item.scale)
    for q in instrument.profile:
        out[q.id] = Target(TargetKind.PROFILE, q.id, q.id)
    for oq in instrument.open_questions:
        out[oq.id] = Target(TargetKind.OPEN, oq.id, oq.id)
    return out


def _value_code(
    instrument: Instrument, domain: str, raw: Any, where: str, problems: list[str]
) -> int | None:
    """The code a ``values`` entry maps to (``None``: no answer); a problem if not valid."""
    if raw is None:
        return None
    scale_ids = {s.id for s in instrument.scales}
    if domain in scale_ids:
        scale = instrument.scale(domain)
        codes = [o.code for o in scale.options]
        if scale.dont_know is not None:
            codes.append(scale.dont_know.code)
        if isinstance(raw, int) and not isinstance(raw, bool) and raw in codes:
            return raw
        allowed = ", ".join(str(c) for c in codes)
        problems.append(f"{where}: {raw!r} is not a code of scale {domain} ({allowed}, or null)")
        return None
    question = instrument.profile_question(domain)
    for c in question.choices:
        if raw in (c.code, c.value) and not isinstance(raw, bool):
            return c.code
    allowed = ", ".join(f"{c.code} or {c.value}" for c in question.choices)
    problems.append(f"{where}: {raw!r} is not a choice of {domain} ({allowed}, or null)")
    return None


def parse_mapping(document: Any, *, instrument: Instrument, file_name: str) -> ImportMapping:
    """Check a parsed mapping document against ``instrument``; raise listing every problem."""
    problems: list[str] = []
    if not isinstance(document, dict):
        raise ImportMappingError(file_name, ["the file must hold a mapping with columns: ..."])
    for key in document:
        if key not in TOP_KEYS:
            problems.append(f"{key}: unknown field (allowed: {', '.join(TOP_KEYS)})")
    named = document.get("instrument")
    if named is not None and str(named) != instrument.key:
        problems.append(
            f"instrument: the mapping is for {named}, but the wave uses {instrument.key}"
        )
    targets = _targets(instrument)
    columns: dict[str, Target] = {}
    raw_columns = document.get("columns")
    if not isinstance(raw_columns, dict) or not raw_columns:
        problems.append("columns: required: source column -> item or question id, one a line")
        raw_columns = {}
    first: dict[str, str] = {}
    for source, target_id in raw_columns.items():
        where = f"columns.{source}"
        target = targets.get(str(target_id))
        if target is None:
            problems.append(
                f"{where}: {target_id!r} is not an item, profile question or open question "
                f"of {instrument.key}"
            )
            continue
        if target.id in first:
            problems.append(
                f"{where}: {target.id} is already mapped from column {first[target.id]}"
            )
            continue
        first[target.id] = str(source)
        columns[str(source)] = target
    values: dict[str, dict[str, int | None]] = {}
    raw_values = document.get("values") or {}
    if not isinstance(raw_values, dict):
        problems.append("values: must map a scale or profile question id to source values")
        raw_values = {}
    domains = {s.id for s in instrument.scales} | {q.id for q in instrument.profile}
    for domain, entries in raw_values.items():
        if domain not in domains:
            problems.append(
                f"values.{domain}: not a scale or profile question of {instrument.key} "
                f"(scales: {', '.join(s.id for s in instrument.scales)})"
            )
            continue
        if not isinstance(entries, dict):
            problems.append(f"values.{domain}: must map source values to codes")
            continue
        table: dict[str, int | None] = {}
        for source_value, raw in entries.items():
            code = _value_code(instrument, domain, raw, f"values.{domain}.{source_value}", problems)
            table[normalise(str(source_value))] = code
        values[domain] = table
    organisation = document.get("organisation")
    if organisation is not None and str(organisation) in columns:
        problems.append(f"organisation: {organisation} is also mapped under columns")
    sheet = document.get("sheet")
    if problems:
        raise ImportMappingError(file_name, problems)
    return ImportMapping(
        columns=columns,
        values=values,
        organisation=str(organisation) if organisation is not None else None,
        sheet=str(sheet) if sheet is not None else None,
    )


def read_mapping(path: Path, *, instrument: Instrument) -> ImportMapping:
    """Read and check the mapping file at ``path``."""
    return mapping_from_text(_read_text(path), instrument=instrument, file_name=path.name)


def mapping_from_text(text: str, *, instrument: Instrument, file_name: str) -> ImportMapping:
    """Parse and check mapping YAML ``text``."""
    try:
        document = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}: " if mark is not None else ""
        problem = getattr(exc, "problem", None) or "invalid YAML"
        raise ImportMappingError(file_name, [f"{where}YAML syntax error: {problem}"]) from None
    return parse_mapping(document, instrument=instrument, file_name=file_name)


def _read_text(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ImportMappingError(path.name, [f"no such file: {path}"]) from None
    except UnicodeDecodeError as exc:
        raise ImportMappingError(path.name, [f"not UTF-8 text (byte {exc.start + 1})"]) from None
    except OSError as exc:
        raise ImportMappingError(path.name, [f"cannot be read: {exc.strerror}"]) from None
