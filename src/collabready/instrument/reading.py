"""Reading an instrument file (YAML or JSON) into plain data, with precise syntax errors."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import yaml

from collabready.instrument.errors import InstrumentError, InstrumentNotFoundError

SUFFIXES = (".yaml", ".yml", ".json")


class _StrictLoader(yaml.SafeLoader):
    """A safe YAML loader that rejects duplicate keys instead of silently keeping the last."""


def _construct_mapping(loader: _StrictLoader, node: yaml.MappingNode) -> dict[Any, Any]:
    seen: set[Any] = set()
    for key_node, _ in node.value:
        key = loader.construct_object(key_node)
        if key in seen:
            mark = key_node.start_mark
            raise yaml.constructor.ConstructorError(None, None, f"duplicate key {key!r}", mark)
        seen.add(key)
    return loader.construct_mapping(node)


_StrictLoader.add_constructor(
    yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG,
    _construct_mapping,
)


def _yaml_problem(exc: yaml.YAMLError) -> str:
    if isinstance(exc, yaml.MarkedYAMLError) and exc.problem_mark is not None:
        mark = exc.problem_mark
        what = exc.problem or "invalid YAML"
        if exc.context:
            what = f"{what} ({exc.context})"
        return f"line {mark.line + 1}, column {mark.column + 1}: YAML syntax error: {what}"
    return f"YAML syntax error: {exc}"


def read_document(path: Path) -> Any:
    """The parsed content of ``path``; raises :class:`InstrumentError` naming line and column."""
    name = path.name
    if path.suffix.lower() not in SUFFIXES:
        raise InstrumentError(
            name, [f"unsupported file type {path.suffix!r}: use .yaml, .yml or .json"]
        )
    try:
        raw = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise InstrumentNotFoundError(name, [f"no such file: {path}"]) from None
    except IsADirectoryError:
        raise InstrumentError(name, [f"is a directory, not a file: {path}"]) from None
    except UnicodeDecodeError as exc:
        raise InstrumentError(
            name, [f"byte {exc.start}: not valid UTF-8 text; save the file as UTF-8"]
        ) from None
    except OSError as exc:
        raise InstrumentError(name, [f"cannot read the file: {exc.strerror}"]) from None
    if path.suffix.lower() == ".json":
        try:
            return json.loads(raw)
        except json.JSONDecodeError as exc:
            problem = f"line {exc.lineno}, column {exc.colno}: JSON syntax error: {exc.msg}"
            raise InstrumentError(name, [problem]) from None
    try:
        return yaml.load(raw, Loader=_StrictLoader)  # noqa: S506 - a SafeLoader subclass
    except yaml.YAMLError as exc:
        raise InstrumentError(name, [_yaml_problem(exc)]) from None
