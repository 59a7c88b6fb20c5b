"""The worked examples in the statistics modules' docstrings are run."""

from __future__ import annotations

import doctest
import importlib

import pytest

MODULES = [
    "collabready.stats.factor",
    "collabready.stats.diagnostics",
    "collabready.stats.weights",
    "collabready.stats.compare",
]


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name):
    result = doctest.testmod(importlib.import_module(name), optionflags=doctest.ELLIPSIS)
    assert result.attempted > 0
    assert result.failed == 0
