"""Disclosure control: primary and complementary suppression."""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from collabready.stats.disclosure import (
    STATUS_COLUMN,
    CellStatus,
    DisclosureError,
    apply_disclosure_control,
    apply_pattern,
    relations_from_keys,
    suppression_mask,
)


def _recoverable(
    counts: np.ndarray, hidden: np.ndarray, relations: list[np.ndarray], k: int
) -> list[str]:
    """Every way we know to learn about a suppressed cell from the totals (independent of the code).

    1. A relation (cells adding to a known total) with exactly one suppressed cell:
       the cell is the total minus the published cells.
    2. A relation whose suppressed cells add up to fewer than k respondents
       (unless every cell of it is suppressed: then their sum is the total
       itself, which the total's own cell protects).
    3. A suppressed cell whose value the system of all relations determines:
       its unit vector lies in the row space of the relations restricted to the
       suppressed cells (rank does not grow when it is appended).
    """
    problems = []
    for r in relations:
        h = r[hidden[r]]
        if h.size == 1 and r.size >= 2:
            problems.append(f"cell {h[0]} is total minus its neighbours")
        if h.size and h.size < r.size and counts[h].sum() < k:
            problems.append(f"cells {h.tolist()} together describe {counts[h].sum()} < {k}")
    cells = np.flatnonzero(hidden)
    rows = [np.isin(cells, r).astype(float) for r in relations if r.size >= 2]
    rows = [row for row in rows if row.any()]
    if rows and cells.size:
        a = np.array(rows)
        rank = np.linalg.matrix_rank(a)
        for j, cell in enumerate(cells):
            e = np.zeros(cells.size)
            e[j] = 1.0
            if np.linalg.matrix_rank(np.vstack([a, e])) == rank:
                problems.append(f"cell {cell} is determined by the relations")
    return problems


def test_one_way_example() -> None:
    table = pd.DataFrame(
        {
            "sector": ["public", "private", "third", None],
            "n": [120, 3, 40, 163],
            "mean": [55.2, 60.1, 48.0, 54.0],
        }
    )
    protected = apply_disclosure_control(table, by=["sector"])
    frame = protected.to_frame()
    assert list(frame[STATUS_COLUMN]) == [
        "published",
        "suppressed_primary",
        "suppressed_secondary",  # third is the smallest neighbour: 163 - 120 would give private
        "published",
    ]
    assert frame.loc[1, "n"] is pd.NA
    assert frame.loc[2, "mean"] is pd.NA
    assert frame.loc[0, "mean"] == 55.2
    shown = protected.to_display()
    assert list(shown["n"]) == [120, "[c]", "[c]", 163]
    assert list(shown["mean"]) == [55.2, "[c]", "[c]", 54.0]


def test_no_suppression_needed() -> None:
    table = pd.DataFrame({"sector": ["a", "b"], "n": [10, 12], "mean": [1.0, 2.0]})
    frame = apply_disclosure_control(table, by=["sector"]).to_frame()
    assert (frame[STATUS_COLUMN] == CellStatus.PUBLISHED).all()
    assert list(frame["mean"]) == [1.0, 2.0]


def test_genuinely_missing_value_stays_distinct_from_suppressed() -> None:
    table = pd.DataFrame({"g": ["a", "b", "c"], "n": [12, 10, 2], "se": [np.nan, 0.5, 0.4]})
    shown = apply_disclosure_control(table, by=["g"]).to_display()
    assert pd.isna(shown.loc[0, "se"])
    assert shown.loc[2, "se"] == "[c]"


def test_two_suppressed_cells_adding_below_k_get_a_third() -> None:
    table = pd.DataFrame({"g": list("abcd"), "n": [1, 2, 50, 60]})
    frame = apply_disclosure_control(table, by=["g"]).to_frame()
    assert list(frame[STATUS_COLUMN]) == [
        "suppressed_primary",
        "suppressed_primary",
        "suppressed_secondary",
        "published",
    ]


def test_k_is_configurable() -> None:
    table = pd.DataFrame({"g": list("abc"), "n": [8, 30, 40]})
    assert apply_disclosure_control(table, by=["g"]).suppressed.sum() == 0
    assert apply_disclosure_control(table, by=["g"], k=10).suppressed.tolist() == [
        True,
        True,
        False,
    ]


def test_bridge_between_two_cycles_is_protected() -> None:
    """Two 2×2 suppression cycles joined by one suppressed cell: the bridge is determined."""
    counts = np.full(16, 50.0)
    keys = pd.DataFrame([(r, c) for r in range(4) for c in range(4)], columns=["r", "c"])
    relations = relations_from_keys(keys)
    for cell in (0, 1, 4, 5, 10, 11, 14, 15, 6):  # cycles {0,1,4,5}, {10,11,14,15}; bridge 6
        counts[cell] = 3
    primary, secondary = suppression_mask(counts=counts, relations=relations)
    assert not _recoverable(counts, primary | secondary, relations, 5)


def test_relations_of_a_two_way_table_with_margins() -> None:
    keys = pd.DataFrame(
        {
            "s": ["a", "a", "b", "b", "a", "b", None, None, None],
            "r": ["x", "y", "x", "y", None, None, "x", "y", None],
        }
    )
    rels = sorted(tuple(r.tolist()) for r in relations_from_keys(keys))
    assert rels == sorted([(0, 2), (1, 3), (4, 5), (0, 1), (2, 3), (6, 7)])


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"by": ["region"]}, r"no column\(s\) \['region'\]"),
        ({"by": ["g"], "k": 0}, "k must be a whole number"),
        ({"by": ["g"], "value_columns": ["nope"]}, r"value columns \['nope'\]"),
    ],
)
def test_bad_input_is_named(kwargs: dict[str, object], message: str) -> None:
    table = pd.DataFrame({"g": ["a", "b"], "n": [10, 3]})
    with pytest.raises(DisclosureError, match=message):
        apply_disclosure_control(table, **kwargs)  # type: ignore[arg-type]


def test_negative_and_missing_counts_are_rejected() -> None:
    with pytest.raises(DisclosureError, match="row 1: column 'n' has no count"):
        apply_disclosure_control(pd.DataFrame({"g": ["a", "b"], "n": [1, None]}), by=["g"])
    with pytest.raises(DisclosureError, match="cell 0: count must be a non-negative"):
        suppression_mask(counts=np.array([-1.0, 3.0]))


def test_duplicate_cells_are_rejected() -> None:
    with pytest.raises(DisclosureError, match="more than one row"):
        apply_disclosure_control(pd.DataFrame({"g": ["a", "a"], "n": [10, 10]}), by=["g"])


counts_st = st.integers(0, 12)


@st.composite
def tables(draw: st.DrawFn) -> tuple[pd.DataFrame, list[str]]:
    rows = draw(st.integers(1, 5))
    cols = draw(st.integers(1, 5))
    margins = draw(st.booleans())
    data = []
    cells = {(i, j): draw(counts_st) for i in range(rows) for j in range(cols)}
    for (i, j), n in cells.items():
        data.append((f"r{i}", f"c{j}", n))
    if margins:
        for i in range(rows):
            data.append((f"r{i}", None, sum(cells[i, j] for j in range(cols))))
        for j in range(cols):
            data.append((None, f"c{j}", sum(cells[i, j] for i in range(rows))))
        data.append((None, None, sum(cells.values())))
    frame = pd.DataFrame(data, columns=["row", "col", "n"])
    frame["mean"] = np.linspace(0, 1, len(frame))
    return frame, ["row", "col"] if cols > 1 or margins else ["row"]


@given(tables(), st.integers(1, 8))
def test_no_small_cell_released_and_none_recoverable(
    case: tuple[pd.DataFrame, list[str]], k: int
) -> None:
    table, by = case
    if by == ["row"]:
        table = table.drop(columns="col")
    protected = apply_disclosure_control(table, by=by, k=k)
    frame = protected.to_frame()
    hidden = protected.suppressed
    counts = table["n"].to_numpy(dtype=float)
    # 1. nothing describing fewer than k respondents is released
    assert not np.any((counts < k) & ~hidden)
    # 2. withheld means withheld: no number shown in a suppressed row
    assert frame.loc[hidden, ["n", "mean"]].isna().all().all()
    assert (frame.loc[~hidden, "n"].to_numpy(dtype=float) == counts[~hidden]).all()
    # 3. no suppressed cell can be recovered from the totals
    relations = relations_from_keys(table[by])
    assert not _recoverable(counts, hidden, relations, k)


@given(tables(), st.randoms(use_true_random=False))
def test_reordering_rows_does_not_change_which_cells_are_suppressed_when_counts_differ(
    case: tuple[pd.DataFrame, list[str]], rnd: object
) -> None:
    table, by = case
    if by == ["row"]:
        table = table.drop(columns="col")
    # Ties are broken by position, so give every cell a distinct count.
    table = table.assign(n=table["n"] + np.arange(len(table)) / 1000.0)
    order = list(range(len(table)))
    rnd.shuffle(order)  # type: ignore[attr-defined]
    a = apply_disclosure_control(table, by=by).to_frame()
    b = apply_disclosure_control(table.iloc[order], by=by).to_frame()
    key = [*by]
    merged = a.merge(b, on=key, suffixes=("_a", "_b"))
    assert (merged[f"{STATUS_COLUMN}_a"] == merged[f"{STATUS_COLUMN}_b"]).all()


def test_exhaustive_small_one_way_tables() -> None:
    for counts in itertools.product([0, 1, 3, 5, 9], repeat=3):
        table = pd.DataFrame({"g": list("abc"), "n": list(counts)})
        protected = apply_disclosure_control(table, by=["g"])
        c = np.array(counts, dtype=float)
        assert not np.any((c < 5) & ~protected.suppressed)
        assert not _recoverable(c, protected.suppressed, [np.arange(3)], 5)


# --------------------------------------------------------------------------- linked tables
# A table with total rows (nulls in ``by``) may withhold a total as well: then the
# total is one more unknown, and it must not be recoverable as the sum of its cells.


def _signed_equations(keys: pd.DataFrame) -> list[dict[int, float]]:
    """Every "cells minus their total = 0" equation of a table with total rows.

    Written independently of the code: for each column, the rows with a value
    there that agree elsewhere add up to the row with a null there instead (a
    known constant when the table has no such row; a lone cell equal to such a
    total is that total, which the module assumes known anyway).
    """
    rows = [tuple(None if pd.isna(v) else v for v in r) for r in keys.itertuples(index=False)]
    where = {r: i for i, r in enumerate(rows)}
    equations = []
    for j in range(keys.shape[1]):
        groups: dict[tuple[object, ...], list[int]] = {}
        for i, r in enumerate(rows):
            if r[j] is not None:
                groups.setdefault((*r[:j], None, *r[j + 1 :]), []).append(i)
        for total, members in groups.items():
            eq = dict.fromkeys(members, 1.0)
            if total in where:
                eq[where[total]] = -1.0
            elif len(members) == 1:
                continue  # one cell equal to a total known only from elsewhere
            equations.append(eq)
    return equations


def _determined_cells(keys: pd.DataFrame, hidden: np.ndarray) -> list[int]:
    """Withheld cells (totals included) whose count the published cells pin down."""
    cells = np.flatnonzero(hidden)
    index = {c: j for j, c in enumerate(cells)}
    rows = []
    for eq in _signed_equations(keys):
        row = np.zeros(cells.size)
        for c, coef in eq.items():
            if c in index:
                row[index[c]] = coef
        if row.any():
            rows.append(row)
    if not rows:
        return []
    a = np.array(rows)
    rank = np.linalg.matrix_rank(a)
    out = []
    for j, cell in enumerate(cells):
        e = np.zeros(cells.size)
        e[j] = 1.0
        if np.linalg.matrix_rank(np.vstack([a, e])) == rank:
            out.append(int(cell))
    return out


def test_a_withheld_total_is_not_the_sum_of_published_cells() -> None:
    """Sub-sector x is withheld nationally (beside the small y) but its sector cells are not."""
    table = pd.DataFrame(
        {
            "sector": ["a", "b", "a", "b", None, None, "a", "b", None],
            "sub": ["x", "x", "y", "y", "x", "y", None, None, None],
            "n": [20, 20, 2, 1, 40, 3, 22, 21, 43],
        }
    )
    protected = apply_disclosure_control(table, by=["sector", "sub"])
    hidden = protected.suppressed
    assert hidden[5]  # y nationally: 3 < 5
    assert hidden[4]  # x nationally, so that y is not 43 - x
    assert hidden[0] or hidden[1]  # so that x nationally is not 20 + 20
    assert _determined_cells(table[["sector", "sub"]], hidden) == []


def test_a_level_in_one_sector_only_is_withheld_in_both_places_or_neither() -> None:
    """z exists only in sector a: its a cell and its national row are the same figure."""
    table = pd.DataFrame(
        {
            "sector": ["a", "a", "a", "b", "b", None, None, None, "a", "b", None],
            "sub": ["x", "y", "z", "x", "y", "x", "y", "z", None, None, None],
            "n": [30, 2, 9, 30, 30, 60, 32, 9, 41, 60, 101],
        }
    )
    protected = apply_disclosure_control(table, by=["sector", "sub"])
    hidden = protected.suppressed
    assert hidden[1]
    assert hidden[2] == hidden[7]
    assert _determined_cells(table[["sector", "sub"]], hidden) == []


@given(tables(), st.integers(1, 8))
def test_no_withheld_cell_or_total_is_determined(
    case: tuple[pd.DataFrame, list[str]], k: int
) -> None:
    table, by = case
    if by == ["row"]:
        table = table.drop(columns="col")
    hidden = apply_disclosure_control(table, by=by, k=k).suppressed
    assert _determined_cells(table[by], hidden) == []


def test_apply_pattern_withholds_what_the_joint_table_does() -> None:
    joint = pd.DataFrame(
        {
            "sector": ["a", "a", "b", "b", None, None],
            "sub": ["x", "y", "x", "y", "x", "y"],
            "n": [3, 30, 30, 30, 33, 60],
        }
    )
    status = apply_disclosure_control(joint, by=["sector", "sub"]).to_frame()[STATUS_COLUMN]
    within_a = pd.DataFrame({"sub": ["x", "y"], "n": [3, 30], "mean": [1.0, 2.0]})
    pattern = status.iloc[:2].astype(str)
    sliced = apply_pattern(
        within_a,
        primary=(pattern == "suppressed_primary").to_numpy(),
        secondary=(pattern == "suppressed_secondary").to_numpy(),
        by=["sub"],
    )
    assert list(sliced.to_frame()[STATUS_COLUMN]) == list(pattern)
    assert sliced.to_frame()["mean"].isna().tolist() == [True, True]
    # the threshold rule still holds: a small cell the pattern would show is refused
    with pytest.raises(DisclosureError, match="below k"):
        apply_pattern(within_a, primary=[False, False], secondary=[False, False], by=["sub"])
    with pytest.raises(DisclosureError, match="2 rows"):
        apply_pattern(within_a, primary=[True], secondary=[False], by=["sub"])
