"""Loading instruments: the bundled CRI versions, or any file, validated in two stages.

1. **Structure**: the document is checked against the JSON Schema
   (``schema/instrument.schema.json``).
2. **Meaning**: unique ids, enough items per block, known scales, complete
   languages, a valid version that agrees with the file name, level bands that
   cover 0-100 (see :mod:`collabready.instrument.checks`).

Every problem of a stage is reported at once in one :class:`InstrumentError`;
the meaning stage runs only on a structurally valid document.
"""

from __future__ import annotations

import hashlib
import json
import re
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any, Final

from collabready.instrument.build import build_instrument
from collabready.instrument.checks import VERSION_RE, meaning_problems
from collabready.instrument.errors import InstrumentError, InstrumentNotFoundError
from collabready.instrument.model import Instrument
from collabready.instrument.reading import read_document
from collabready.instrument.structure import structure_problems

#: The id of the bundled questionnaire.
BUNDLED_ID: Final = "cri"
#: The registry of published bundled files and their SHA-256, in ``data/``.
PUBLISHED_FILE: Final = "PUBLISHED.json"
#: At most this many problems are listed in one error.
MAX_PROBLEMS: Final = 50

_BUNDLED_RE = re.compile(rf"^{BUNDLED_ID}-(\d+\.\d+\.\d+)\.yaml$")


def data_dir() -> Path:
    """The folder holding the bundled instrument files."""
    return Path(str(resources.files("collabready.instrument").joinpath("data")))


def _version_key(version: str) -> tuple[int, ...]:
    return tuple(int(p) for p in version.split("."))


def available_versions() -> tuple[str, ...]:
    """The bundled CRI versions, oldest first."""
    found = [m[1] for p in data_dir().iterdir() if (m := _BUNDLED_RE.match(p.name))]
    return tuple(sorted(found, key=_version_key))


def latest_version() -> str:
    """The newest bundled CRI version."""
    return available_versions()[-1]


def bundled_path(version: str) -> Path:
    """The file of bundled CRI ``version``; raises :class:`InstrumentNotFoundError`."""
    path = data_dir() / f"{BUNDLED_ID}-{version}.yaml"
    if not VERSION_RE.match(version) or not path.is_file():
        available = ", ".join(available_versions())
        raise InstrumentNotFoundError(
            f"{BUNDLED_ID}@{version}",
            [f"no bundled instrument version {version!r} (available: {available})"],
        )
    return path


def published_hashes() -> dict[str, str]:
    """File name -> SHA-256 of every published bundled file (``data/PUBLISHED.json``)."""
    loaded: dict[str, str] = json.loads((data_dir() / PUBLISHED_FILE).read_text(encoding="utf-8"))
    return loaded


def file_sha256(path: Path) -> str:
    """The SHA-256 of a file's bytes, as hex."""
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _raise_if(file_name: str, problems: list[str]) -> None:
    if not problems:
        return
    if len(problems) > MAX_PROBLEMS:
        hidden = len(problems) - MAX_PROBLEMS
        problems = [*problems[:MAX_PROBLEMS], f"... and {hidden} more problems not shown"]
    raise InstrumentError(file_name, problems)


def validate_document(document: Any, *, file_name: str) -> Instrument:
    """Validate parsed content in both stages and build the :class:`Instrument`.

    ``file_name`` is used in messages and to check the version named in it.
    """
    _raise_if(file_name, structure_problems(document))
    _raise_if(file_name, meaning_problems(document, file_name=file_name))
    return build_instrument(document)


def load_file(path: Path) -> Instrument:
    """Read and validate the instrument file at ``path`` (YAML or JSON)."""
    return validate_document(read_document(path), file_name=path.name)


@cache
def _load_bundled(version: str) -> Instrument:
    return load_file(bundled_path(version))


def load_instrument(version: str | None = None, *, path: Path | None = None) -> Instrument:
    """A validated instrument: a bundled CRI version (the latest by default), or a file.

    Bundled versions are loaded once and shared (instruments are immutable).

    >>> load_instrument("1.0.0").key
    'cri@1.0.0'

    Raises :class:`InstrumentError` (a :class:`~collabready.errors.UserError`) naming
    the file and the path of every problem in it.
    """
    if path is not None:
        if version is not None:
            raise ValueError("load_instrument: give a version or a path, not both")
        return load_file(Path(path))
    return _load_bundled(version if version is not None else latest_version())
