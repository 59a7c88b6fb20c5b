"""The shape of the package: small modules, or a reason written down."""

from __future__ import annotations

import ast
from pathlib import Path

import collabready

PACKAGE = Path(collabready.__file__).parent
#: A module past this many lines must say why in its docstring.
LIMIT = 400
REASON = "Why this module is long:"


def test_no_long_module_without_a_reason() -> None:
    long = []
    for path in sorted(PACKAGE.rglob("*.py")):
        if "migrations" in path.parts:
            continue
        text = path.read_text("utf-8")
        lines = text.count("\n") + 1
        if lines <= LIMIT:
            continue
        doc = ast.get_docstring(ast.parse(text)) or ""
        if REASON not in doc:
            long.append(f"{path.relative_to(PACKAGE)} ({lines} lines)")
    assert not long, f"modules over {LIMIT} lines without '{REASON}' in the docstring: {long}"


def test_the_check_sees_the_package() -> None:
    assert len(list(PACKAGE.rglob("*.py"))) > 100
