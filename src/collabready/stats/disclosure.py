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
4. **No linear recovery.** Finally the linear system of all relations is
   checked: a suppressed cell whose count is determined by the published
   cells and totals (it lies in the row space of the relations restricted
   to the suppressed cells — e.g. a "bridge" between two suppression cycles
   of a two-way table) causes a further complementary suppression, and the
   process repeats.

What it does not cover: tables linked through totals that are published in
*other* tables (apply it to all of them with the same ``by`` structure),
bounds from non-negativity (a suppressed count can be bracketed, not
recovered), and dominance rules for magnitude tables.

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

from collabready.errors import UserError

__all__ = [
    "DEFAULT_K",
    "STATUS_COLUMN",
    "CellStatus",
    "DisclosureError",
    "ProtectedTable",
    "apply_disclosure_control",
    "relations_from_keys",
    "suppression_mask",
]

DEFAULT_K = 5
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


def _determined(
    relations: Sequence[NDArray[np.intp]], suppressed: NDArray[np.bool_]
) -> NDArray[np.intp]:
    """Suppressed cells whose value the relations' linear system pins down."""
    hidden = np.flatnonzero(suppressed)
    if hidden.size == 0:
        return hidden
    position = -np.ones(suppressed.shape[0], dtype=np.intp)
    position[hidden] = np.arange(hidden.size)
    rows = [position[r][position[r] >= 0] for r in relations]
    rows = [r for r in rows if r.size]
    if not rows:
        return np.empty(0, dtype=np.intp)
    a = np.zeros((len(rows), hidden.size))
    for i, r in enumerate(rows):
        a[i, r] = 1.0
    free = linalg.null_space(a)
    if free.shape[1] == 0:
        return hidden
    pinned = np.max(np.abs(free), axis=1) < 1e-9
    out: NDArray[np.intp] = hidden[pinned]
    return out


def suppression_mask(
    *,
    counts: NDArray[Any],
    relations: Sequence[NDArray[np.intp]] = (),
    k: int = DEFAULT_K,
) -> tuple[NDArray[np.bool_], NDArray[np.bool_]]:
    """Primary and secondary suppression masks for cells with these counts.

    ``relations`` lists groups of cell indices whose sum is a known total.
    Returns ``(primary, secondary)``; a cell is withheld when either is true.
    See the module docstring for the rule.
    """
    if isinstance(k, bool) or not isinstance(k, int | np.integer) or k < 1:
        raise DisclosureError(f"k must be a whole number of at least 1, got {k!r}")
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
    primary = c < k
    suppressed = primary.copy()
    rels = [r for r in rels if r.size >= 2]
    while True:
        changed = True
        while changed:
            changed = False
            for r in rels:
                while not _relation_ok(c[r], suppressed[r], k):
                    if not _suppress_smallest(r, c, suppressed):
                        break
                    changed = True
        pinned = _determined(rels, suppressed)
        added = False
        for cell in pinned:
            candidates = [r for r in rels if cell in r]
            pool = np.unique(np.concatenate(candidates)) if candidates else np.empty(0, np.intp)
            if _suppress_smallest(pool, c, suppressed):
                added = True
                break
        if not added:
            break
    return primary, suppressed & ~primary


def relations_from_keys(keys: pd.DataFrame) -> list[NDArray[np.intp]]:
    """Relations of a table broken down by the columns of ``keys`` (nulls mark totals).

    For each column, the rows with a value in it that agree on every other
    column (a null agreeing with a null) add up to the row one level up.
    """
    relations: list[NDArray[np.intp]] = []
    cols = list(keys.columns)
    if keys.duplicated().any():
        dup = keys[keys.duplicated(keep=False)].iloc[0].to_dict()
        raise DisclosureError(f"table has more than one row for {dup}; each cell must be one row")
    values = [[None if pd.isna(v) else v for v in keys[c].tolist()] for c in cols]
    for j in range(len(cols)):
        groups: dict[tuple[Any, ...], list[int]] = {}
        for row in range(len(keys)):
            if values[j][row] is None:
                continue
            key = tuple(values[i][row] for i in range(len(cols)) if i != j)
            groups.setdefault(key, []).append(row)
        relations.extend(np.asarray(g, dtype=np.intp) for g in groups.values())
    return relations


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
    relations = relations_from_keys(keys) if by else []
    primary, secondary = suppression_mask(counts=counts, relations=relations, k=k)
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
