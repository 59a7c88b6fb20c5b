"""Population margins: the known totals that raking adjusts the weights to.

A margins file is a CSV file with a header row and one row per level of each
margin variable::

    variable,level,population_total
    sector,public,52000
    sector,private,31000
    sector,third,17000
    size,small,61000
    ...

* ``variable`` names a column of the response data (for example ``sector``);
* ``level`` is one value of that column, written exactly as in the data;
* ``population_total`` is the number of population units at that level (a
  non-negative number; decimals are allowed).

Other columns (a ``source`` or ``note``, say) are ignored. Every variable's
totals must add up to the same population total. Errors name the file, the
row (the header is row 1) and the column.
"""

from __future__ import annotations

import csv
import io
import math
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from collabready.stats.errors import MarginsError

FloatArray = npt.NDArray[np.float64]

COLUMNS = ("variable", "level", "population_total")
#: Relative disagreement allowed between the grand totals of different variables.
TOTALS_RTOL = 1e-9


@dataclass(frozen=True, slots=True)
class Margin:
    """The population totals of the levels of one variable."""

    variable: str
    levels: tuple[str, ...]
    totals: FloatArray

    @property
    def grand_total(self) -> float:
        """The population size implied by this margin."""
        return float(self.totals.sum())


@dataclass(frozen=True, slots=True)
class Margins:
    """Population margins for one or more variables, in a fixed order."""

    margins: tuple[Margin, ...]
    source: str = "margins"

    def __post_init__(self) -> None:
        if not self.margins:
            raise MarginsError(f"{self.source}: no margins given")
        seen: set[str] = set()
        for margin in self.margins:
            if margin.variable in seen:
                raise MarginsError(f"{self.source}: variable {margin.variable!r} appears twice")
            seen.add(margin.variable)
            if len(set(margin.levels)) != len(margin.levels):
                raise MarginsError(f"{self.source}: variable {margin.variable!r} repeats a level")
            if margin.totals.shape != (len(margin.levels),):
                raise MarginsError(
                    f"{self.source}: variable {margin.variable!r} has "
                    f"{len(margin.levels)} levels but {margin.totals.size} totals"
                )
            if not np.all(np.isfinite(margin.totals)) or np.any(margin.totals < 0):
                raise MarginsError(
                    f"{self.source}: variable {margin.variable!r} has a negative "
                    "or non-finite population total"
                )
            if margin.grand_total <= 0:
                raise MarginsError(
                    f"{self.source}: variable {margin.variable!r} has a zero population total"
                )
        first = self.margins[0]
        for margin in self.margins[1:]:
            if not math.isclose(margin.grand_total, first.grand_total, rel_tol=TOTALS_RTOL):
                raise MarginsError(
                    f"{self.source}: the margins disagree on the population size: "
                    f"{first.variable!r} adds up to {first.grand_total:g} but "
                    f"{margin.variable!r} adds up to {margin.grand_total:g}; "
                    "every variable's totals must add up to the same population"
                )

    @property
    def variables(self) -> tuple[str, ...]:
        """The margin variables, in order."""
        return tuple(m.variable for m in self.margins)

    @property
    def population_total(self) -> float:
        """The population size (the sum of any one margin)."""
        return self.margins[0].grand_total

    def __getitem__(self, variable: str) -> Margin:
        for margin in self.margins:
            if margin.variable == variable:
                return margin
        raise KeyError(variable)

    def __iter__(self) -> Iterator[Margin]:
        return iter(self.margins)

    def to_frame(self) -> pd.DataFrame:
        """The margins in the file layout (variable, level, population_total)."""
        return pd.DataFrame(
            {
                "variable": [m.variable for m in self.margins for _ in m.levels],
                "level": [level for m in self.margins for level in m.levels],
                "population_total": np.concatenate([m.totals for m in self.margins]),
            }
        )


def margins_from_records(
    records: Iterable[tuple[str, str, float]], *, source: str = "margins"
) -> Margins:
    """Build :class:`Margins` from ``(variable, level, population_total)`` triples.

    Variables keep the order of their first appearance, levels the order given.
    """
    levels: dict[str, list[str]] = {}
    totals: dict[str, list[float]] = {}
    for variable, level, total in records:
        if level in levels.setdefault(variable, []):
            raise MarginsError(f"{source}: level {level!r} of variable {variable!r} repeated")
        levels[variable].append(level)
        totals.setdefault(variable, []).append(float(total))
    return Margins(
        margins=tuple(
            Margin(variable=v, levels=tuple(levels[v]), totals=np.asarray(totals[v], dtype=float))
            for v in levels
        ),
        source=source,
    )


def margins_from_frame(frame: Any, *, source: str = "margins") -> Margins:
    """Build :class:`Margins` from a pandas or polars DataFrame in the file layout."""
    columns = list(frame.columns)
    missing = [c for c in COLUMNS if c not in columns]
    if missing:
        raise MarginsError(f"{source}: missing column {missing[0]!r} (need {', '.join(COLUMNS)})")
    variables = [str(v) for v in frame["variable"].to_list()]
    level_values = [str(v) for v in frame["level"].to_list()]
    totals = [float(v) for v in frame["population_total"].to_list()]
    return margins_from_records(zip(variables, level_values, totals, strict=True), source=source)


def read_margins_csv(path: str | Path) -> Margins:
    """Read a margins CSV file (see the module documentation for its format).

    Raises :class:`MarginsError` naming the file, row and column of the first
    problem found.
    """
    path = Path(path)
    name = str(path)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except OSError as error:
        raise MarginsError(f"{name}: cannot read the margins file ({error.strerror})") from error
    except UnicodeDecodeError:
        raise MarginsError(f"{name}: not a margins CSV file (it is not UTF-8 text)") from None
    if "\x00" in text:
        raise MarginsError(f"{name}: not a margins CSV file (it holds binary data)")
    with io.StringIO(text, newline="") as handle:
        reader = csv.reader(handle)
        header = next(reader, None)
        if header is None:
            raise MarginsError(
                f"{name}: the file is empty; expected a header row {','.join(COLUMNS)}"
            )
        header = [h.strip() for h in header]
        for column in COLUMNS:
            if column not in header:
                raise MarginsError(
                    f"{name}: row 1 (header): missing column {column!r}; "
                    f"the header must contain {','.join(COLUMNS)}"
                )
        index = {column: header.index(column) for column in COLUMNS}
        records: list[tuple[str, str, float]] = []
        first_row: dict[tuple[str, str], int] = {}
        for row_number, row in enumerate(reader, start=2):
            if not any(cell.strip() for cell in row):
                continue
            if len(row) < len(header):
                raise MarginsError(
                    f"{name}: row {row_number}: expected {len(header)} columns, found {len(row)}"
                )
            variable = row[index["variable"]].strip()
            level = row[index["level"]].strip()
            raw_total = row[index["population_total"]].strip()
            for column, value in (("variable", variable), ("level", level)):
                if not value:
                    raise MarginsError(f"{name}: row {row_number}, column {column!r}: empty value")
            try:
                total = float(raw_total)
            except ValueError:
                raise MarginsError(
                    f"{name}: row {row_number}, column 'population_total': "
                    f"{raw_total!r} is not a number"
                ) from None
            if not math.isfinite(total) or total < 0:
                raise MarginsError(
                    f"{name}: row {row_number}, column 'population_total': "
                    f"{raw_total!r} must be a non-negative number"
                )
            key = (variable, level)
            if key in first_row:
                raise MarginsError(
                    f"{name}: row {row_number}, column 'level': level {level!r} of variable "
                    f"{variable!r} already given on row {first_row[key]}"
                )
            first_row[key] = row_number
            records.append((variable, level, total))
    if not records:
        raise MarginsError(f"{name}: the file has a header but no margins")
    return margins_from_records(records, source=name)


def write_margins_csv(margins: Margins, path: str | Path) -> None:
    """Write margins in the CSV format that :func:`read_margins_csv` reads."""
    with Path(path).open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(COLUMNS)
        for margin in margins:
            for level, total in zip(margin.levels, margin.totals, strict=True):
                writer.writerow((margin.variable, level, repr(float(total))))
