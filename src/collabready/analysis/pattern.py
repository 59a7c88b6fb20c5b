"""Linked disclosure control: one suppression pattern for every document of a wave.

The breakdowns are linked across documents (the national report shows each
sub-sector, size, role and region nationally; each sector briefing shows it
within the sector), so :func:`disclosure_pattern` protects the sector × level
tables of every breakdown as one table, from the counts of the whole sample,
and every document applies that one pattern (``breakdowns(pattern=...)``,
:func:`pattern_statuses`). Respondents without a label are a level of each
breakdown (the missing domain), so no subtraction describes them either.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from collabready.analysis.data import GROUPS, AnalysisData, factor_of
from collabready.analysis.gate import protect_counts
from collabready.stats import ProtectedTable, apply_disclosure_control
from collabready.stats.disclosure import STATUS_COLUMN, CellStatus

__all__ = [
    "LEVEL_COLUMNS",
    "SECTION_COLUMNS",
    "SECTOR",
    "DisclosurePattern",
    "disclosure_pattern",
    "pattern_statuses",
]

#: The measures every breakdown shows.
LEVEL_COLUMNS: tuple[str, ...] = ("index", "commitment", "capacity", "gap")
#: The section scores (enablers, environment, outcomes) sector tables show.
SECTION_COLUMNS: tuple[str, ...] = (
    "enablers",
    "environment_helps",
    "environment_hinders",
    "outcomes",
)

#: The profile variable each sector briefing is about.
SECTOR = "sector"

_Key = tuple[str | None, str | None, str | None]


@dataclass(frozen=True, slots=True)
class DisclosurePattern:
    """One suppression pattern for every document built from the same responses.

    ``protected`` is the joint table: one row per cell with respondents, keyed
    by ``sector`` and one column per breakdown in ``variables`` (nulls mark
    totals): each sector × level cell, each level over all sectors (the
    national breakdown), each sector, and the whole sample. Its count ``n`` is
    the smallest number of respondents behind any figure any document prints
    for the cell, so a cell a document would withhold on its own is primary
    here. :meth:`status` gives the :class:`CellStatus` of
    a cell (``None`` for a cell with no respondents, which no document shows).
    """

    k: int
    variables: tuple[str, ...]
    has_sector: bool
    protected: ProtectedTable
    statuses: Mapping[_Key, CellStatus]

    def covers(self, variable: str) -> bool:
        """True when the pattern decides ``variable``'s cells."""
        return variable in self.variables or (variable == SECTOR and self.has_sector)

    def status(self, variable: str, level: str, *, sector: str | None = None) -> CellStatus | None:
        """The status of ``level`` of ``variable``, nationally or within ``sector``."""
        if variable == SECTOR:
            if sector is not None and sector != level:
                return None
            return self.statuses.get((level, None, None))
        return self.statuses.get((sector, variable, level))


def _answered_counts(
    codes: NDArray[np.intp], n_cells: int, answered: NDArray[np.bool_]
) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
    """Respondents in each cell, and the fewest answering any one column there."""
    ok = codes >= 0
    respondents = np.bincount(codes[ok], minlength=n_cells).astype(np.int64)
    if answered.shape[1] == 0:
        return respondents, respondents
    per_column = np.stack(
        [
            np.bincount(codes[ok], weights=answered[ok, j], minlength=n_cells)
            for j in range(answered.shape[1])
        ],
        axis=1,
    )
    return respondents, per_column.min(axis=1).astype(np.int64)


def disclosure_pattern(
    data: AnalysisData, *, k: int, variables: Sequence[str] | None = None
) -> DisclosurePattern:
    """The joint suppression pattern of the sector × level tables of every breakdown.

    Computed from the counts alone (no weights), so every document built from
    the same responses gets the same pattern whatever margins it is weighted
    to. ``variables`` are the breakdowns (default: every one of
    :data:`GROUPS` but sector in the data). The stacked table goes through
    ``apply_disclosure_control`` with ``by=["sector", *variables]``: its
    relations are the levels of each breakdown within each sector (adding up
    to the sector), the sectors within each level (adding up to the national
    level), and the national levels and the sectors (adding up to the whole
    sample), so no withheld cell can be recovered by subtraction in any
    direction, whichever documents a reader holds.
    """
    if variables is None:
        variables = [v for v in GROUPS if v != SECTOR and v in data.profile]
    variables = [v for v in variables if v != SECTOR]
    has_sector = SECTOR in data.profile
    level_columns = [c for c in LEVEL_COLUMNS if c in data.scores.columns]
    sector_columns = [
        *level_columns,
        *(c for c in SECTION_COLUMNS if c in data.scores.columns),
        *(b for b in data.instrument.block_ids if b in data.scores.columns),
    ]

    def answered(columns: Sequence[str]) -> NDArray[np.bool_]:
        if not columns:
            return np.ones((len(data), 1), dtype=np.bool_)
        return np.column_stack([np.isfinite(data.col(c)) for c in columns])

    on_level, on_sector = answered(level_columns), answered(sector_columns)
    by = [SECTOR, *variables]
    records: list[dict[str, object]] = []
    keys: list[_Key] = []

    def add(key: _Key, respondents: int, n: int) -> None:
        if respondents == 0:
            return
        sector, variable, level = key
        rec: dict[str, object] = dict.fromkeys(by)
        rec[SECTOR] = sector
        if variable is not None:
            rec[variable] = level
        rec["respondents"] = respondents
        rec["n"] = n
        records.append(rec)
        keys.append(key)

    everyone = np.zeros(len(data), dtype=np.intp)
    resp, n = _answered_counts(everyone, 1, on_sector)
    add((None, None, None), int(resp[0]), int(n[0]))
    sector = factor_of(data, SECTOR) if has_sector else None
    if sector is not None:
        resp, n = _answered_counts(sector.codes, len(sector.levels), on_sector)
        for i, s in enumerate(sector.levels):
            add((s, None, None), int(resp[i]), int(n[i]))
    for var in variables:
        f = factor_of(data, var)
        resp, n = _answered_counts(f.codes, len(f.levels), on_level)
        for i, lv in enumerate(f.levels):
            add((None, var, lv), int(resp[i]), int(n[i]))
        if sector is None:
            continue
        width = len(f.levels)
        joint = np.where(
            (sector.codes >= 0) & (f.codes >= 0), sector.codes * width + f.codes, -1
        ).astype(np.intp)
        resp, n = _answered_counts(joint, len(sector.levels) * width, on_level)
        for si, s in enumerate(sector.levels):
            for li, lv in enumerate(f.levels):
                add((s, var, lv), int(resp[si * width + li]), int(n[si * width + li]))
    frame = pd.DataFrame.from_records(records, columns=[*by, "respondents", "n"])
    for col in by:
        frame[col] = frame[col].astype(object)
    protected = apply_disclosure_control(
        frame, by=by, count_column="n", value_columns=["respondents"], k=k
    )
    statuses = {
        key: CellStatus(str(st))
        for key, st in zip(keys, protected.frame[STATUS_COLUMN], strict=True)
    }
    return DisclosurePattern(int(k), tuple(variables), has_sector, protected, statuses)


def pattern_statuses(
    pattern: DisclosurePattern | None,
    variable: str,
    levels: Sequence[str],
    counts: Sequence[int],
    *,
    k: int,
) -> list[CellStatus]:
    """Statuses of a one-way table of ``variable``'s levels (national), as the pattern has them.

    A level with no respondents has no cell in the pattern and is withheld
    (its count, 0, is below any k). Without a pattern, or for a variable the
    pattern does not cover, the table is protected on its own
    (:func:`protect_counts`).
    """
    if pattern is None or not pattern.covers(variable):
        return protect_counts(counts, k=k, keys=levels)
    if pattern.k != k:
        raise ValueError(f"the disclosure pattern was made with k = {pattern.k}, not {k}")
    out = []
    for lv in levels:
        st = pattern.status(variable, lv)
        out.append(CellStatus.SUPPRESSED_PRIMARY if st is None else st)
    return out
