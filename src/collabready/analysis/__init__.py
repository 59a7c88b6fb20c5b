"""One way from answer to figure: the analysis pipeline every output uses.

::

    stored answers (bytes per response)      a file (Parquet / CSV)
               \\                              /
                load -> code matrix (column-major) + organisation + profile
                             |
                           score -> weight -> design -> estimate
                             |
                           protect (the gate: the only way to a publishable figure)
                             |
      analyse | national report | sector briefing | readiness profile (page + PDF) | ...

One concern per module:

- :mod:`~collabready.analysis.codec` — the stored answer bytes, and their bulk decode;
- :mod:`~collabready.analysis.load` — a wave as a :class:`ResponseMatrix`;
- :mod:`~collabready.analysis.policy` — k, and respondents without an
  organisation or a grouping label (the same everywhere; docs/statistics.md);
- :mod:`~collabready.analysis.data` — the score step, domains of a breakdown;
- :mod:`~collabready.analysis.weighting` — raking and the survey design;
- :mod:`~collabready.analysis.estimates`, :mod:`~collabready.analysis.contrasts` —
  estimates and tested differences;
- :mod:`~collabready.analysis.pattern` — linked disclosure control across documents;
- :mod:`~collabready.analysis.gate` — the disclosure gate and its :class:`Estimate`;
- :mod:`~collabready.analysis.tables` — the long results table of ``collabready analyse``;
- :mod:`~collabready.analysis.wave` — everything the national report states;
- :mod:`~collabready.analysis.readiness`, :mod:`~collabready.analysis.peers` —
  one organisation's readiness profile and its peer benchmark.

The package imports nothing from Django or the web layer.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from collabready.analysis.policy import DEFAULT_K, MISSING_LABEL

if TYPE_CHECKING:
    from collabready.analysis.gate import CellStatus, Estimate, publish
    from collabready.analysis.load import ResponseMatrix, from_frame, from_rows, read_responses
    from collabready.analysis.tables import AnalyseError, Analysis, analyse_responses

#: Where each name of the package lives; modules are imported on first use, so that
#: reading :data:`DEFAULT_K` (as the command line does) costs nothing.
_LAZY = {
    "CellStatus": "gate",
    "Estimate": "gate",
    "publish": "gate",
    "ResponseMatrix": "load",
    "from_frame": "load",
    "from_rows": "load",
    "read_responses": "load",
    "AnalyseError": "tables",
    "Analysis": "tables",
    "analyse_responses": "tables",
}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return getattr(importlib.import_module(f"collabready.analysis.{_LAZY[name]}"), name)
    raise AttributeError(f"module 'collabready.analysis' has no attribute {name!r}")


__all__ = [
    "DEFAULT_K",
    "MISSING_LABEL",
    "AnalyseError",
    "Analysis",
    "CellStatus",
    "Estimate",
    "ResponseMatrix",
    "analyse_responses",
    "from_frame",
    "from_rows",
    "publish",
    "read_responses",
]
