"""Stage 1 of validation: the structure of an instrument document, against the JSON Schema."""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from functools import cache
from importlib import resources
from typing import Any

from jsonschema import Draft202012Validator
from jsonschema.exceptions import ValidationError

#: Name of the bundled JSON Schema, inside this package's ``schema`` folder.
SCHEMA_FILE = "instrument.schema.json"

_JSON_TYPES: tuple[tuple[type, str], ...] = (
    (bool, "true/false"),
    (int, "integer"),
    (float, "number"),
    (str, "string"),
    (dict, "mapping"),
    (list, "list"),
    (type(None), "nothing"),
)


def json_type(value: object) -> str:
    """The JSON Schema name of ``value``'s type, in words a file author knows."""
    for kind, name in _JSON_TYPES:
        if isinstance(value, kind):
            return name
    return type(value).__name__


def format_path(parts: Iterable[str | int]) -> str:
    """``["blocks", 2, "items", 5, "scale"]`` -> ``"blocks[2].items[5].scale"``."""
    out = ""
    for part in parts:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else str(part)
    return out


def problem(path: Sequence[str | int], message: str) -> str:
    """One problem line: ``"<path>: <message>"`` (the message alone at the top level)."""
    where = format_path(path)
    return f"{where}: {message}" if where else message


@cache
def schema() -> dict[str, Any]:
    """The bundled JSON Schema of the instrument file format."""
    text = resources.files("collabready.instrument").joinpath("schema", SCHEMA_FILE).read_text()
    loaded: dict[str, Any] = json.loads(text)
    return loaded


@cache
def _validator() -> Draft202012Validator:
    return Draft202012Validator(schema())


def _expected(schema_type: object) -> str:
    names = {"object": "mapping", "array": "list", "boolean": "true/false", "null": "nothing"}
    if isinstance(schema_type, list):
        return " or ".join(names.get(str(t), str(t)) for t in schema_type)
    return names.get(str(schema_type), str(schema_type))


def _describe(error: ValidationError) -> list[str]:
    path: list[str | int] = list(error.absolute_path)
    value = error.instance
    rule = error.validator
    rule_schema: dict[str, Any] = error.schema if isinstance(error.schema, dict) else {}
    rule_value: Any = error.validator_value
    if rule == "required":
        present = value if isinstance(value, dict) else {}
        required = rule_value if isinstance(rule_value, list) else []
        return [
            problem([*path, str(f)], "required field is missing")
            for f in required
            if f not in present
        ]
    if rule == "additionalProperties" and isinstance(value, dict):
        allowed = sorted(rule_schema.get("properties", {}))
        return [
            problem([*path, str(k)], f"unknown field (allowed here: {', '.join(allowed)})")
            for k in value
            if k not in allowed
        ]
    if rule == "type":
        return [problem(path, f"expected {_expected(rule_value)}, got {json_type(value)}")]
    if rule == "enum":
        options = ", ".join(repr(v) for v in rule_value)
        return [problem(path, f"{value!r} is not one of {options}")]
    if rule == "pattern":
        hint = rule_schema.get("description", f"must match {rule_value}")
        return [problem(path, f"{value!r} is not valid: {hint}")]
    if rule in ("minItems", "maxItems") and isinstance(value, list):
        n = len(value)
        need = (
            f"at least {rule_value} are required"
            if rule == "minItems"
            else f"at most {rule_value} are allowed"
        )
        return [problem(path, f"has {n} {'entry' if n == 1 else 'entries'}; {need}")]
    if rule in ("minimum", "maximum"):
        bound = "at least" if rule == "minimum" else "at most"
        return [problem(path, f"{value!r} is out of range: must be {bound} {rule_value}")]
    if rule == "minLength":
        return [problem(path, "must not be empty")]
    if rule == "maxLength" and isinstance(value, str):
        return [problem(path, f"{value!r} is too long: at most {rule_value} characters")]
    if rule == "minProperties":
        return [problem(path, "must not be empty")]
    if rule == "uniqueItems":
        return [problem(path, "entries must not repeat")]
    return [problem(path, error.message)]


def _document_order(document: Any, error: ValidationError) -> tuple[int, ...]:
    """Where the error's path lies in the document, so problems are listed in file order."""
    node, key = document, []
    for part in error.absolute_path:
        if isinstance(node, dict):
            keys = list(node)
            key.append(keys.index(part) if part in node else len(keys))
            node = node.get(part)
        elif isinstance(node, list) and isinstance(part, int):
            key.append(part)
            node = node[part] if part < len(node) else None
        else:
            break
    return tuple(key)


def structure_problems(document: Any) -> list[str]:
    """Every structural problem of ``document``, each as ``"<path>: <message>"``."""
    if document is None:
        return ["the file is empty"]
    if not isinstance(document, dict):
        return [
            "the file must hold a mapping of fields (id, version, ...), "
            f"not a {json_type(document)}"
        ]
    out: list[str] = []
    for error in sorted(
        _validator().iter_errors(document), key=lambda e: _document_order(document, e)
    ):
        for line in _describe(error):
            if line not in out:
                out.append(line)
    return out
