"""Weighted estimates as one long table, with disclosure control: ``collabready analyse``.

:func:`analyse_responses` runs the pipeline on a loaded wave — score
(:func:`~collabready.analysis.data.prepare`), weight and design
(:mod:`~collabready.analysis.weighting`), estimate the means (SE, 95% t
interval with the design degrees of freedom) of the index, the block scores,
commitment, capacity and gap, overall and by each grouping, protect each
one-way table (:func:`collabready.stats.disclosure.suppression_mask`) and
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

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from collabready.analysis.data import AnalysisData, grouping, prepare
from collabready.analysis.gate import Estimate, RawEstimate, publish
from collabready.analysis.load import ResponseMatrix
from collabready.analysis.policy import DEFAULT_K
from collabready.analysis.weighting import design_for, weight
from collabready.errors import UserError
from collabready.stats import estimate_means
from collabready.stats.disclosure import CellStatus, suppression_mask
from collabready.stats.estimate import OVERALL, EstimateTable

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
    table: EstimateTable, *, groupings: Sequence[str], k: int
) -> list[tuple[int, CellStatus]]:
    """Each variable's one-way tables (domains add up to the whole), with their statuses.

    Returns (row of ``table``, status) in publication order: per variable the
    whole, then each grouping's domains. The whole-sample row is the total of
    each grouping's domains; its status is the first grouping's.
    """
    rows: dict[tuple[str, str], list[int]] = {}
    for i, key in enumerate(zip(table.variable, table.grouping, strict=True)):
        rows.setdefault(key, []).append(i)
    counts = np.asarray(table.n, dtype=np.float64)
    out: list[tuple[int, CellStatus]] = []
    for variable in dict.fromkeys(table.variable):
        whole = rows[(variable, OVERALL)]
        if not groupings:
            primary, secondary = suppression_mask(counts=counts[whole], k=k)
            out.extend(zip(whole, _statuses(primary, secondary), strict=True))
            continue
        for g, name in enumerate(groupings):
            cells = [whole[0], *rows.get((variable, name), [])]
            primary, secondary = suppression_mask(
                counts=counts[cells], relations=[np.arange(1, len(cells))], totals=[0], k=k
            )
            statuses = _statuses(primary, secondary)
            out.extend(zip(cells[g > 0 :], statuses[g > 0 :], strict=True))
    return out


def _statuses(primary: NDArray[np.bool_], secondary: NDArray[np.bool_]) -> list[CellStatus]:
    return [
        CellStatus.SUPPRESSED_PRIMARY
        if p
        else CellStatus.SUPPRESSED_SECONDARY
        if s
        else CellStatus.PUBLISHED
        for p, s in zip(primary.tolist(), secondary.tolist(), strict=True)
    ]


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
        # the float32 score columns as they are (views): the estimate reads them as
        # float64 once, exactly the values data.col would give
        variables={v: data.scores.column(v) for v in variables},
        by={b: grouping(data, b) for b in by},
    )
    columns = (
        table.estimate.tolist(),
        table.ci_low.tolist(),
        table.ci_high.tolist(),
        table.n.tolist(),
        table.se.tolist(),
        table.df.tolist(),
        table.weighted_n.tolist(),
    )
    cells = []
    for row, status in _protect(table, groupings=by, k=k):
        value, ci_low, ci_high, n, se, df, weighted_n = (c[row] for c in columns)
        raw = RawEstimate(
            value=float(value),
            ci_low=float(ci_low),
            ci_high=float(ci_high),
            n=int(n),
            se=float(se),
            df=float(df),
            weighted_n=float(weighted_n),
        )
        cells.append(
            Cell(
                variable=table.variable[row],
                grouping=table.grouping[row],
                domain=table.domain[row],
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
