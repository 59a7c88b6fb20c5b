"""Weighted estimates as one long table, with disclosure control: ``collabready analyse``.

:func:`analyse_responses` runs the pipeline on a loaded wave — score
(:func:`~collabready.analysis.data.prepare`), weight and design
(:mod:`~collabready.analysis.weighting`), estimate the means (SE, 95% t
interval with the design degrees of freedom) of the index, the block scores,
commitment, capacity and gap, overall and by each grouping, protect each
one-way table (:func:`collabready.stats.apply_disclosure_control`) and
publish every figure through the gate. The result lists every cell with its
:class:`~collabready.analysis.gate.Estimate` (``None`` where withheld) and
converts to the long-format results table. No printing, no files: the
command in :mod:`collabready.commands.analyse` reads, prints and writes.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import TYPE_CHECKING

import pandas as pd

from collabready.analysis.data import AnalysisData, grouping, prepare
from collabready.analysis.gate import Estimate, RawEstimate, publish
from collabready.analysis.load import ResponseMatrix
from collabready.analysis.policy import DEFAULT_K
from collabready.analysis.weighting import design_for, weight
from collabready.errors import UserError
from collabready.stats import apply_disclosure_control, estimate_means
from collabready.stats.disclosure import STATUS_COLUMN, CellStatus
from collabready.stats.estimate import OVERALL

if TYPE_CHECKING:
    from collabready.instrument.model import Instrument
    from collabready.stats import Margins, RakingResult

__all__ = [
    "RESULT_COLUMNS",
    "AnalyseError",
    "Analysis",
    "Cell",
    "analyse_responses",
    "outcome_variables",
]

#: Columns of the results file, in order.
RESULT_COLUMNS = (
    "statistic",
    "variable",
    "grouping",
    "domain",
    "estimate",
    "se",
    "ci_low",
    "ci_high",
    "df",
    "n",
    "weighted_n",
    "disclosure",
)


class AnalyseError(UserError, ValueError):
    """The responses, margins or options cannot be analysed as given."""


def outcome_variables(inst: Instrument) -> tuple[str, ...]:
    """The score columns estimated: index, the blocks, commitment, capacity, gap."""
    return ("index", *inst.block_ids, "commitment", "capacity", "gap")


@dataclass(frozen=True, slots=True)
class Cell:
    """One estimated cell: what it is, its disclosure status, its published figure."""

    variable: str
    grouping: str
    domain: str
    status: CellStatus
    estimate: Estimate | None


@dataclass(frozen=True)
class Analysis:
    """What :func:`analyse_responses` computed."""

    cells: tuple[Cell, ...]
    data: AnalysisData
    raking: RakingResult
    n_psu: int
    by: tuple[str, ...]
    variables: tuple[str, ...]
    k: int

    @property
    def n_respondents(self) -> int:
        return len(self.data)

    @property
    def clustered(self) -> bool:
        return self.data.clustered

    @cached_property
    def results(self) -> pd.DataFrame:
        """The long-format table: withheld cells hold nulls and say why in ``disclosure``."""
        records = []
        for c in self.cells:
            e = c.estimate
            records.append(
                {
                    "statistic": "mean",
                    "variable": c.variable,
                    "grouping": c.grouping,
                    "domain": c.domain,
                    "estimate": None if e is None else e.value,
                    "se": None if e is None else e.se,
                    "ci_low": None if e is None else e.ci_low,
                    "ci_high": None if e is None else e.ci_high,
                    "df": None if e is None else e.df,
                    "n": None if e is None else e.n,
                    "weighted_n": None if e is None else e.weighted_n,
                    "disclosure": str(c.status),
                }
            )
        frame = pd.DataFrame.from_records(records, columns=list(RESULT_COLUMNS))
        for col in ("estimate", "se", "ci_low", "ci_high", "df", "weighted_n"):
            frame[col] = frame[col].astype("Float64")
        frame["n"] = frame["n"].astype("Int64")
        return frame


def _protect(
    table: pd.DataFrame, *, groupings: Sequence[str], k: int
) -> list[tuple[pd.Series, CellStatus]]:
    """Each variable's one-way tables (domains add up to the whole), with their statuses."""
    out: list[tuple[pd.Series, CellStatus]] = []
    for variable in dict.fromkeys(table["variable"]):
        rows = table[table["variable"] == variable]
        whole = rows[rows["grouping"] == OVERALL]
        parts = [(grouping_, rows[rows["grouping"] == grouping_]) for grouping_ in groupings]
        if not groupings:
            protected = apply_disclosure_control(
                whole, by=(), count_column="n", value_columns=(), k=k
            )
            statuses = protected.frame[STATUS_COLUMN].tolist()
            out.extend((whole.iloc[i], CellStatus(str(s))) for i, s in enumerate(statuses))
            continue
        for i, (_, part) in enumerate(parts):
            # the whole-sample row is the total of each grouping's domains (null key)
            cells = pd.concat([whole.assign(domain=None), part])
            protected = apply_disclosure_control(
                cells, by=("domain",), count_column="n", value_columns=(), k=k
            )
            statuses = [CellStatus(str(s)) for s in protected.frame[STATUS_COLUMN]]
            if i == 0:
                out.append((whole.iloc[0], statuses[0]))
            out.extend((part.iloc[j], statuses[j + 1]) for j in range(len(part)))
    return out


def analyse_responses(
    matrix: ResponseMatrix,
    *,
    margins: Margins,
    by: Sequence[str] = (),
    k: int = DEFAULT_K,
    source: str = "data",
) -> Analysis:
    """Score, rake, estimate, protect and publish (see the module docstring).

    Raises :class:`AnalyseError` (or another :class:`UserError`) naming the
    file (``source`` for the responses, ``margins.source`` for the margins)
    and the column or level at fault.
    """
    by = tuple(dict.fromkeys(by))
    absent = [b for b in by if b not in matrix.factors]
    if absent:
        raise AnalyseError(
            f"{source}: --by {absent[0]!r} is not a column of the data that groups "
            f"respondents (choose from {', '.join(matrix.factors)})"
        )
    data = prepare(matrix)
    raking, _ = weight(data, margins, source=source)
    assert raking is not None
    design = design_for(data, raking)
    variables = outcome_variables(matrix.instrument)
    table = estimate_means(
        design=design,
        variables={v: data.col(v) for v in variables},
        by={b: grouping(data, b) for b in by},
    ).to_frame()
    cells = []
    for row, status in _protect(table, groupings=by, k=k):
        raw = RawEstimate(
            value=float(row["estimate"]),
            ci_low=float(row["ci_low"]),
            ci_high=float(row["ci_high"]),
            n=int(row["n"]),
            se=float(row["se"]),
            df=float(row["df"]),
            weighted_n=float(row["weighted_n"]),
        )
        cells.append(
            Cell(
                variable=str(row["variable"]),
                grouping=str(row["grouping"]),
                domain=str(row["domain"]),
                status=status,
                estimate=publish(raw, k=k, status=status),
            )
        )
    return Analysis(
        cells=tuple(cells),
        data=data,
        raking=raking,
        n_psu=design.n_psu,
        by=by,
        variables=variables,
        k=k,
    )
