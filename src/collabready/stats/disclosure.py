"""Disclosure control: no released figure describes fewer than k respondents.

Every table that leaves the core passes through :func:`apply_disclosure_control`.

The rule (threshold rule with complementary suppression; Hundepool et al.
2012, *Statistical Disclosure Control*, ch. 4 and 5)

1. **Primary suppression.** A cell (one row of the table) whose respondent
   count ``n`` is below ``k`` (default 5) is suppressed: its count and every
   value column (means, standard errors, intervals, proportions, weighted
   totals) are withheld. Cells with ``n = 0`` are suppressed too.
2. **Relations.** Cells that add up to a total are a *relation*. For a table
   broken down by the ``by`` columns, the cells sharing every ``by`` value
   except one form a relation whose total is the cell one level up (the whole
   sample for a one-way table; a row or column margin for a two-way table).
   A null in a ``by`` column marks a total row ("all sectors"). Totals are
   assumed known to the reader whether or not this table shows them, because
   sample sizes by group are routinely published elsewhere.
3. **Secondary (complementary) suppression.** Within every relation the
   suppressed cells must be either none, or at least two whose counts add up
   to at least ``k`` — otherwise subtraction from the total recovers a
   suppressed cell, or an aggregate of fewer than ``k`` respondents. While a
   relation fails, its unsuppressed cell with the smallest ``n`` (first in
   table order on ties) is also suppressed. (When every cell of a relation
   ends up suppressed their sum is the total itself, whose own cell is
   suppressed by step 1 if it is below ``k``.) Relations are revisited until
   none changes, so two-way tables are protected by rows and by columns.
   A total that is itself a row of the table (a margin) may be withheld too
   (as a member of the relation one level further up); it is then protected
   from below as well: at least one of the cells adding up to it is withheld
   (else it is their sum), and a cell that is the only one adding up to its
   total is withheld together with it.
4. **No linear recovery.** Finally the linear system of all relations is
   checked: a suppressed cell whose count is determined by the published
   cells and totals (it lies in the row space of the relations restricted
   to the suppressed cells — e.g. a "bridge" between two suppression cycles
   of a two-way table) causes a further complementary suppression, and the
   process repeats. The check is made twice: with every total known, and
   with withheld total rows as unknowns (each relation then reads "cells
   minus their total = 0"), so neither a cell nor a withheld margin is
   determined.

**Linked tables.** Tables that share totals (a national one-way table by
sub-sector and, in separate documents, the same breakdown within each sector)
are protected as *one* table: stack the cells of every slice with their total
rows (nulls in the ``by`` columns: ``by=["sector", "subsector"]`` with rows
for each sector × sub-sector, each sub-sector over all sectors, each sector
and the whole sample; several breakdowns can share the sector and grand
totals in one frame with ``by=["sector", "subsector", "size"]``, each row
null in the breakdowns it is not about). The relations then run along both
directions, so a cell withheld in one slice cannot be recovered from another.
Each published slice then carries the joint pattern with
:func:`apply_pattern`, so every document withholds the same cells.

What it does not cover: linked tables protected separately rather than as one
(above), bounds from non-negativity (a suppressed count can be bracketed, not
recovered), and dominance rules for magnitude tables.

Why this module is long: the rule is one algorithm (primary suppression,
relations from the table's keys, complementary suppression in both directions,
the check against linear recovery) and about a third of the file is its
documentation; its parts are only meaningful together.

Representation: suppressed values are never zero and never a stand-in
number. The protected frame keeps its columns, holds a missing value
(``pd.NA``) in the withheld cells, and says *why* in the ``disclosure``
column: ``published``, ``suppressed_primary`` or ``suppressed_secondary``.
:meth:`ProtectedTable.to_display` renders withheld values as ``[c]`` (the
ONS marker for "confidential"), distinct from genuinely missing figures.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import NDArray
from scipy import linalg

from collabready.analysis.policy import DEFAULT_K
from collabready.errors import UserError

__all__ = [
    "DEFAULT_K",
    "STATUS_COLUMN",
    "CellStatus",
    "DisclosureError",
    "ProtectedTable",
    "apply_disclosure_control",
    "apply_pattern",
    "relations_from_keys",
    "suppression_mask",
]

STATUS_COLUMN = "disclosure"
SUPPRESSED_MARKER = "[c]"


class DisclosureError(UserError, ValueError):
    """A table that cannot be checked or protected as given."""


class CellStatus(StrEnum):
    PUBLISHED = "published"
    SUPPRESSED_PRIMARY = "suppressed_primary"
    SUPPRESSED_SECONDARY = "suppressed_secondary"


def _relation_ok(counts: NDArray[np.float64], suppressed: NDArray[np.bool_], k: int) -> bool:
    hidden = counts[suppressed]
    return hidden.size == 0 or (hidden.size >= 2 and float(hidden.sum()) >= k)


def _suppress_smallest(
    cells: NDArray[np.intp], counts: NDArray[np.float64], suppressed: NDArray[np.bool_]
) -> bool:
    open_cells = cells[~suppressed[cells]]
    if open_cells.size == 0:
        return False
    # Smallest count first; stable on position for ties.
    chosen = open_cells[np.argsort(counts[open_cells], kind="stable")[0]]
    suppressed[chosen] = True
    return True


def _protect_relation(
    members: NDArray[np.intp],
    total: int,
    counts: NDArray[np.float64],
    suppressed: NDArray[np.bool_],
    k: int,
) -> bool:
    """Complementary suppression in one relation; True when a cell was added.

    ``total`` is the cell the members add up to when it is a cell of the table
    (-1 when the total is only known from elsewhere). The members are
    protected as if the total were known whether or not it is withheld (the
    rule of the module docstring); in addition a withheld total needs a
    withheld member (else it is their sum), and a relation of one member and
    its total cell withholds both or neither.
    """
    added = False
    while True:
        hidden = suppressed[members]
        ok = members.size < 2 or _relation_ok(counts[members], hidden, k)
        if total >= 0:
            ok = ok and (not suppressed[total] or bool(hidden.any()))
            if members.size == 1:
                ok = ok and bool(hidden[0]) == bool(suppressed[total])
        if ok:
            return added
        if _suppress_smallest(members, counts, suppressed):
            added = True
            continue
        if total >= 0 and not suppressed[total] and members.size == 1:
            suppressed[total] = True
            added = True
            continue
        return added


def _determined(
    relations: Sequence[tuple[NDArray[np.intp], int]],
    suppressed: NDArray[np.bool_],
    *,
    signed: bool,
) -> NDArray[np.intp]:
    """Suppressed cells whose value the relations' linear system pins down.

    Unsigned: every relation ``sum(members) = total`` with the total known
    (published here or elsewhere). Signed: ``sum(members) - total = 0`` where
    the total is a cell of the table, so a withheld total is one more unknown.
    """
    hidden = np.flatnonzero(suppressed)
    if hidden.size == 0:
        return hidden
    position = -np.ones(suppressed.shape[0], dtype=np.intp)
    position[hidden] = np.arange(hidden.size)
    rows: list[NDArray[np.float64]] = []
    for members, total in relations:
        if not signed and members.size < 2:
            continue
        row = np.zeros(hidden.size)
        m = position[members]
        row[m[m >= 0]] = 1.0
        if signed and total >= 0 and position[total] >= 0:
            row[position[total]] = -1.0
        if row.any():
            rows.append(row)
    if not rows:
        return np.empty(0, dtype=np.intp)
    free = linalg.null_space(np.vstack(rows))
    if free.shape[1] == 0:
        return hidden
    pinned = np.max(np.abs(free), axis=1) < 1e-9
    out: NDArray[np.intp] = hidden[pinned]
    return out


def _check_k(k: object) -> None:
    if isinstance(k, bool) or not isinstance(k, int | np.integer) or k < 1:
        raise DisclosureError(f"k must be a whole number of at least 1, got {k!r}")


def suppression_mask(
    *,
    counts: NDArray[Any],
    relations: Sequence[NDArray[np.intp]] = (),
    k: int = DEFAULT_K,
    totals: Sequence[int | None] | None = None,
) -> tuple[NDArray[np.bool_], NDArray[np.bool_]]:
    """Primary and secondary suppression masks for cells with these counts.

    ``relations`` lists groups of cell indices whose sum is a known total.
    ``totals`` (one per relation, optional) names the cell each relation adds
    up to when that total is itself a cell of the table (``None`` when it is
    known only from elsewhere): such a total can be withheld too, and is then
    protected from being recovered as the sum of its members (step 3 of the
    module docstring runs in both directions).
    Returns ``(primary, secondary)``; a cell is withheld when either is true.
    See the module docstring for the rule.
    """
    _check_k(k)
    c = np.asarray(counts, dtype=np.float64)
    if c.ndim != 1:
        raise DisclosureError(f"counts must be one-dimensional, got shape {c.shape}")
    if np.any(~np.isfinite(c)) or np.any(c < 0):
        bad = int(np.flatnonzero(~np.isfinite(c) | (c < 0))[0])
        raise DisclosureError(f"cell {bad}: count must be a non-negative number, got {c[bad]}")
    rels = [np.asarray(r, dtype=np.intp) for r in relations]
    for r in rels:
        if r.size and (r.min() < 0 or r.max() >= c.size):
            raise DisclosureError(f"relation refers to a cell outside 0..{c.size - 1}")
    if totals is None:
        tots = [-1] * len(rels)
    else:
        if len(totals) != len(rels):
            raise DisclosureError(f"{len(totals)} totals for {len(rels)} relations")
        tots = [-1 if t is None else int(t) for t in totals]
        for t in tots:
            if t >= c.size:
                raise DisclosureError(f"a total refers to a cell outside 0..{c.size - 1}")
    linked = [
        (r, t)
        for r, t in zip(rels, tots, strict=True)
        if r.size >= 2 or (t >= 0 and r.size == 1 and t not in r)
    ]
    primary = c < k
    suppressed = primary.copy()
    while True:
        changed = True
        while changed:
            changed = False
            for members, total in linked:
                if _protect_relation(members, total, c, suppressed, k):
                    changed = True
        pinned = np.union1d(
            _determined(linked, suppressed, signed=False),
            _determined(linked, suppressed, signed=True),
        )
        added = False
        for cell in pinned:
            candidates = [
                np.append(members, total) if total >= 0 else members
                for members, total in linked
                if cell in members or cell == total
            ]
            pool = np.unique(np.concatenate(candidates)) if candidates else np.empty(0, np.intp)
            if _suppress_smallest(pool, c, suppressed):
                added = True
                break
        if not added:
            break
    return primary, suppressed & ~primary


def _keyed_relations(keys: pd.DataFrame) -> list[tuple[NDArray[np.intp], int | None]]:
    """Each relation of ``keys`` (see :func:`relations_from_keys`) with its total row, if any."""
    cols = list(keys.columns)
    if keys.duplicated().any():
        dup = keys[keys.duplicated(keep=False)].iloc[0].to_dict()
        raise DisclosureError(f"table has more than one row for {dup}; each cell must be one row")
    values = [[None if pd.isna(v) else v for v in keys[c].tolist()] for c in cols]
    rows = [tuple(values[i][row] for i in range(len(cols))) for row in range(len(keys))]
    where = {key: row for row, key in enumerate(rows)}
    out: list[tuple[NDArray[np.intp], int | None]] = []
    for j in range(len(cols)):
        groups: dict[tuple[Any, ...], list[int]] = {}
        for row in range(len(keys)):
            if values[j][row] is None:
                continue
            groups.setdefault((*rows[row][:j], None, *rows[row][j + 1 :]), []).append(row)
        out.extend((np.asarray(g, dtype=np.intp), where.get(key)) for key, g in groups.items())
    return out


def relations_from_keys(keys: pd.DataFrame) -> list[NDArray[np.intp]]:
    """Relations of a table broken down by the columns of ``keys`` (nulls mark totals).

    For each column, the rows with a value in it that agree on every other
    column (a null agreeing with a null) add up to the row one level up.
    """
    return [members for members, _ in _keyed_relations(keys)]


@dataclass(frozen=True, slots=True)
class ProtectedTable:
    """A table after disclosure control, safe to release.

    ``frame`` has the input columns (withheld values are ``pd.NA``) plus the
    ``disclosure`` status column.
    """

    frame: pd.DataFrame
    k: int
    count_column: str
    value_columns: tuple[str, ...]
    by: tuple[str, ...]

    @property
    def suppressed(self) -> NDArray[np.bool_]:
        status = self.frame[STATUS_COLUMN].to_numpy()
        return np.asarray(status != str(CellStatus.PUBLISHED), dtype=np.bool_)

    def to_frame(self) -> pd.DataFrame:
        """The protected table (a copy), with its ``disclosure`` status column."""
        return self.frame.copy()

    def to_display(self, *, marker: str = SUPPRESSED_MARKER) -> pd.DataFrame:
        """A copy for people to read: withheld values shown as ``marker`` (``[c]``)."""
        out = self.frame.astype(dict.fromkeys((self.count_column, *self.value_columns), object))
        mask = self.suppressed
        for col in (self.count_column, *self.value_columns):
            out.loc[mask, col] = marker
        return out


def apply_disclosure_control(
    table: pd.DataFrame,
    *,
    by: Sequence[str],
    count_column: str = "n",
    value_columns: Sequence[str] | None = None,
    k: int = DEFAULT_K,
) -> ProtectedTable:
    """Protect ``table`` (one row per cell) so that no figure describes fewer than ``k`` people.

    ``by`` names the breakdown columns (empty for a table of unrelated cells);
    ``value_columns`` are the figures to withhold with the count (default:
    every column other than ``by``, the count and ``disclosure``).
    """
    missing = [c for c in (*by, count_column) if c not in table.columns]
    if missing:
        raise DisclosureError(f"table has no column(s) {missing}; it has {list(table.columns)}")
    if STATUS_COLUMN in table.columns:
        raise DisclosureError(f"table already has a {STATUS_COLUMN!r} column: protect it only once")
    if value_columns is None:
        value_columns = [c for c in table.columns if c not in {*by, count_column}]
    else:
        absent = [c for c in value_columns if c not in table.columns]
        if absent:
            raise DisclosureError(f"value columns {absent} are not in the table")
    counts = pd.to_numeric(table[count_column], errors="coerce").to_numpy(dtype=np.float64)
    if np.any(np.isnan(counts)):
        row = int(np.flatnonzero(np.isnan(counts))[0])
        raise DisclosureError(f"row {row}: column {count_column!r} has no count")
    keys = table[list(by)].reset_index(drop=True)
    keyed = _keyed_relations(keys) if by else []
    primary, secondary = suppression_mask(
        counts=counts,
        relations=[members for members, _ in keyed],
        totals=[total for _, total in keyed],
        k=k,
    )
    return _withhold(
        table,
        primary=primary,
        secondary=secondary,
        by=by,
        count_column=count_column,
        value_columns=value_columns,
        k=k,
    )


def apply_pattern(
    table: pd.DataFrame,
    *,
    primary: Sequence[bool] | NDArray[np.bool_],
    secondary: Sequence[bool] | NDArray[np.bool_],
    by: Sequence[str],
    count_column: str = "n",
    value_columns: Sequence[str] | None = None,
    k: int = DEFAULT_K,
) -> ProtectedTable:
    """Withhold the cells of ``table`` that a joint protection already chose.

    For a slice of linked tables (module docstring): ``primary`` and
    ``secondary`` (one flag per row, as the joint table's ``disclosure``
    column says for the same cells) are applied as they are, so the slice
    withholds exactly what the joint table does. As a safeguard every row
    whose own ``count_column`` is below ``k`` must be flagged ``primary``:
    a slice never shows a figure the threshold rule withholds.
    """
    _check_k(k)
    missing = [c for c in (*by, count_column) if c not in table.columns]
    if missing:
        raise DisclosureError(f"table has no column(s) {missing}; it has {list(table.columns)}")
    if STATUS_COLUMN in table.columns:
        raise DisclosureError(f"table already has a {STATUS_COLUMN!r} column: protect it only once")
    if value_columns is None:
        value_columns = [c for c in table.columns if c not in {*by, count_column}]
    p = np.asarray(primary, dtype=np.bool_)
    s = np.asarray(secondary, dtype=np.bool_) & ~p
    if p.shape != (len(table),) or s.shape != (len(table),):
        raise DisclosureError(
            f"the pattern has {p.size} and {s.size} flags for a table of {len(table)} rows"
        )
    counts = pd.to_numeric(table[count_column], errors="coerce").to_numpy(dtype=np.float64)
    below = np.isnan(counts) | (counts < k)
    if np.any(below & ~p):
        row = int(np.flatnonzero(below & ~p)[0])
        raise DisclosureError(
            f"row {row}: {count_column!r} is {counts[row]}, below k = {k}, but the pattern "
            "does not withhold it as primary"
        )
    return _withhold(
        table,
        primary=p,
        secondary=s,
        by=by,
        count_column=count_column,
        value_columns=value_columns,
        k=k,
    )


def _withhold(
    table: pd.DataFrame,
    *,
    primary: NDArray[np.bool_],
    secondary: NDArray[np.bool_],
    by: Sequence[str],
    count_column: str,
    value_columns: Sequence[str],
    k: int,
) -> ProtectedTable:
    hidden = primary | secondary
    frame = table.reset_index(drop=True).copy()
    for col in (count_column, *value_columns):
        series = frame[col]
        if pd.api.types.is_bool_dtype(series):
            frame[col] = series.astype("boolean")
        elif pd.api.types.is_integer_dtype(series):
            frame[col] = series.astype("Int64")
        elif pd.api.types.is_float_dtype(series):
            frame[col] = series.astype("Float64")
        else:
            frame[col] = series.astype(object)
        frame.loc[hidden, col] = pd.NA
    status = np.where(
        primary,
        str(CellStatus.SUPPRESSED_PRIMARY),
        np.where(secondary, str(CellStatus.SUPPRESSED_SECONDARY), str(CellStatus.PUBLISHED)),
    )
    frame[STATUS_COLUMN] = pd.Categorical(status, categories=[str(s) for s in CellStatus])
    return ProtectedTable(frame, int(k), count_column, tuple(value_columns), tuple(by))
