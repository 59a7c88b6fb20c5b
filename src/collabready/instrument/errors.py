"""Errors raised when an instrument file cannot be loaded."""

from __future__ import annotations

from collections.abc import Sequence

from collabready.errors import InputFileError


class InstrumentError(InputFileError):
    """An instrument file that is unreadable or invalid.

    ``problems`` holds one line per problem, each ``"<path>: <what is wrong>"``
    (``path`` is empty for the whole file). The message names the file on every
    line; with several problems its first line is a summary.
    """

    def __init__(self, file: str, problems: Sequence[str]) -> None:
        self.file = file
        self.problems: tuple[str, ...] = tuple(problems)
        lines = [f"{file}: {p}" for p in self.problems]
        if len(lines) > 1:
            lines.insert(0, f"{file}: {len(lines)} problems in the instrument file")
        super().__init__("\n".join(lines))


class InstrumentNotFoundError(InstrumentError):
    """The instrument file or bundled version does not exist."""
