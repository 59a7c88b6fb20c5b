"""The label limits of SPSS and Stata, handled on purpose, and spreadsheet formula cells.

ReadStat (under pyreadstat) truncates a label that is too long without a word.
The exports never rely on that: every label is first fitted here, shortened
with an ellipsis where it must be, and each shortening is recorded as a
:class:`Shortened` so that the command line can name the variables and the
codebook can give the full text.

============================  =======================  ===============================
limit                         value                    source
============================  =======================  ===============================
Stata variable label          80 characters            Stata's ``label variable``
SPSS variable label           256 bytes (UTF-8)        ReadStat ``readstat_sav_write.c``
SPSS value label              120 bytes (UTF-8)        ReadStat ``readstat_sav_write.c``
Stata value label             integers only            Stata; every coded column is int
Stata string value            2044 bytes (UTF-8)       pyreadstat (str#; fails on strL)
============================  =======================  ===============================
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

__all__ = [
    "ELLIPSIS",
    "FORMULA_STARTS",
    "SPSS_VALUE_LABEL_BYTES",
    "SPSS_VARIABLE_LABEL_BYTES",
    "STATA_STRING_BYTES",
    "STATA_VARIABLE_LABEL_CHARS",
    "Shortened",
    "fit_bytes",
    "fit_chars",
    "neutralise",
]

STATA_VARIABLE_LABEL_CHARS: Final = 80
#: The longest text pyreadstat writes as a Stata str# (Stata allows 2,045 bytes, but
#: pyreadstat 1.3 turns 2,045 and more into a strL, which it then fails to write).
STATA_STRING_BYTES: Final = 2044
SPSS_VARIABLE_LABEL_BYTES: Final = 256
SPSS_VALUE_LABEL_BYTES: Final = 120
ELLIPSIS: Final = "…"

#: A text cell starting with one of these is run as a formula by a spreadsheet.
FORMULA_STARTS: Final = ("=", "+", "-", "@", "\t", "\r")


@dataclass(frozen=True, slots=True)
class Shortened:
    """A label that had to be shortened to fit a format."""

    format: str  # "dta" or "sav"
    variable: str
    what: str  # "variable label" or "value label <code>"
    full: str
    written: str


def fit_chars(text: str, limit: int) -> str:
    """``text`` in at most ``limit`` characters, ending in an ellipsis if shortened."""
    if len(text) <= limit:
        return text
    return text[: limit - len(ELLIPSIS)].rstrip() + ELLIPSIS


def fit_bytes(text: str, limit: int) -> str:
    """``text`` in at most ``limit`` UTF-8 bytes (whole characters), ending in an
    ellipsis if shortened."""
    if len(text.encode("utf-8")) <= limit:
        return text
    room = limit - len(ELLIPSIS.encode("utf-8"))
    cut = text.encode("utf-8")[:room].decode("utf-8", errors="ignore")
    return cut.rstrip() + ELLIPSIS


def neutralise(text: str) -> str:
    """A text cell a spreadsheet will show, not run: a leading apostrophe before
    ``=``, ``+``, ``-``, ``@``, a tab or a carriage return (OWASP's CSV injection advice)."""
    return "'" + text if text.startswith(FORMULA_STARTS) else text
