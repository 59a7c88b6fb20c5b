"""Helpers for writing corrupted copies of the bundled instrument."""

from __future__ import annotations

import copy
from collections.abc import Callable
from functools import cache
from pathlib import Path
from typing import Any

import pytest
import yaml

from collabready.instrument import InstrumentError, load_instrument
from collabready.instrument.loader import data_dir


@cache
def _bundled(version: str) -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load((data_dir() / f"cri-{version}.yaml").read_text())
    return loaded


@pytest.fixture
def doc() -> dict[str, Any]:
    """A fresh, mutable copy of the bundled CRI 1.0.0 document."""
    return copy.deepcopy(_bundled("1.0.0"))


Writer = Callable[..., Path]


@pytest.fixture
def write(tmp_path: Path) -> Writer:
    """``write(doc, name="cri-bad.yaml")`` writes ``doc`` as YAML (or JSON) and returns the path."""

    def _write(document: Any, name: str = "cri-bad.yaml") -> Path:
        path = tmp_path / name
        path.write_text(yaml.safe_dump(document, sort_keys=False, allow_unicode=True))
        return path

    return _write


def problems_of(path: Path) -> tuple[str, ...]:
    """The problems reported when loading ``path`` (fails the test if it loads)."""
    with pytest.raises(InstrumentError) as info:
        load_instrument(path=path)
    return info.value.problems
