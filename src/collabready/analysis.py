"""Weighted national estimates with disclosure control: the computation behind
``collabready analyse``.

:func:`analyse_responses` scores a responses table, rakes the sample to the
population margins, estimates means (SE, 95% t interval with the design
degrees of freedom) of the index, the block scores, commitment, capacity and
gap, overall and by each grouping, and passes every table through
:func:`collabready.stats.apply_disclosure_control`. The result is the
long-format table (one row per variable × grouping × domain) and the raking.
No printing, no files: the command in :mod:`collabready.commands.analyse`
reads, prints and writes.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from collabready.errors import UserError

if TYPE_CHECKING:
    import pandas as pd
    import polars as pl

    from collabready.instrument.model import Instrument
    from collabready.stats import Margins, RakingResult

#: The column that identifies a respondent's organisation (the PSU when present).
ORGANISATION_COLUMN = "organisation_id"
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
#: Figures withheld with the count of a suppressed cell.
WITHHELD = ("estimate", "se", "ci_low", "ci_high", "weighted_n")


class AnalyseError(UserError, ValueError):
    """The responses, margins or options cannot be analysed as given."""


def outcome_variables(inst: Instrument) -> tuple[str, ...]:
    """The score columns the command estimates: index, six blocks, commitment, capacity, gap."""
    return ("index", *inst.block_ids, "commitment", "capacity", "gap")


@dataclass(frozen=True, slots=True)
class Analysis:
    """What :func:`analyse_responses` computed.

    ``results`` is the long-format table after disclosure control (withheld
    cells hold nulls and say why in ``disclosure``); ``raking`` carries the
    weights and their diagnostics.
    """

    results: pd.DataFrame
    raking: RakingResult
    n_respondents: int
    n_psu: int
    clustered: bool
    by: tuple[str, ...]
    variables: tuple[str, ...]
    k: int


def _protect(frame: pd.DataFrame, *, groupings: Sequence[str], k: int) -> pd.DataFrame:
    """Disclosure control for each variable's one-way tables (domains add up to the whole)."""
    import pandas as pd

    from collabready.stats import apply_disclosure_control
    from collabready.stats.estimate import OVERALL

    pieces: list[pd.DataFrame] = []
    for variable in dict.fromkeys(frame["variable"]):
        rows = frame[frame["variable"] == variable]
        whole = rows[rows["grouping"] == OVERALL]
        if not groupings:
            table = apply_disclosure_control(whole, by=(), value_columns=WITHHELD, k=k)
            pieces.append(table.frame)
            continue
        for i, grouping in enumerate(groupings):
            # the whole-sample row is the total of each grouping's domains (null key)
            part = pd.concat([whole.assign(domain=None), rows[rows["grouping"] == grouping]])
            table = apply_disclosure_control(part, by=("domain",), value_columns=WITHHELD, k=k)
            protected = table.frame
            protected.loc[0, "domain"] = OVERALL
            pieces.append(protected if i == 0 else protected.iloc[1:])
    out = pd.concat(pieces, ignore_index=True)
    out["disclosure"] = out["disclosure"].astype(str)
    return out.loc[:, list(RESULT_COLUMNS)]


#: Domain label of respondents with no value in a ``--by`` column.
MISSING_LABEL = "(missing)"


def _grouping(column: pl.Series) -> pl.Series:
    """A ``--by`` column whose missing values form their own domain.

    Respondents without a label are estimated (and protected) as a domain of
    their own, so the domains add up to the whole sample: otherwise the whole
    minus the published domains would describe them, however few they are.
    """
    import polars as pl

    if column.null_count() == 0:
        return column
    return column.cast(pl.String).fill_null(MISSING_LABEL)


def analyse_responses(
    responses: pl.DataFrame,
    *,
    margins: Margins,
    inst: Instrument,
    by: Sequence[str] = (),
    k: int = 5,
    source: str = "data",
) -> Analysis:
    """Score, rake, estimate and protect (see the module docstring).

    Raises :class:`AnalyseError` (or another :class:`UserError`) naming the
    file (``source`` for the responses, ``margins.source`` for the margins)
    and the column or level at fault.
    """
    import numpy as np

    from collabready.scoring import matrix_from_columns, score_matrix
    from collabready.scoring.api import polars_codes
    from collabready.stats import StatsInputError, estimate_means, rake, raked_design

    by = tuple(dict.fromkeys(by))
    absent = [b for b in by if b not in responses.columns]
    if absent:
        raise AnalyseError(
            f"{source}: --by {absent[0]!r} is not a column of the data "
            f"(columns include {', '.join(c for c in responses.columns[:8])}, ...)"
        )
    for variable in margins.variables:
        if variable not in responses.columns:
            raise AnalyseError(
                f"{margins.source}: margin variable {variable!r} is not a column of {source}"
            )
    if responses.height == 0:
        raise AnalyseError(f"{source}: the file has no respondents")
    codes = matrix_from_columns(
        {c: polars_codes(responses.get_column(c)) for c in inst.item_ids if c in responses.columns},
        inst,
        source=source,
    )
    scores = score_matrix(codes, inst)
    try:
        raking = rake(data={v: responses.get_column(v) for v in margins.variables}, margins=margins)
    except StatsInputError as exc:
        raise AnalyseError(f"{source} with margins {margins.source}: {exc}") from None
    clustered = ORGANISATION_COLUMN in responses.columns
    try:
        design = raked_design(
            raking,
            clusters=responses.get_column(ORGANISATION_COLUMN).to_numpy() if clustered else None,
        )
    except StatsInputError as exc:
        raise AnalyseError(f"{source}: column {ORGANISATION_COLUMN!r}: {exc}") from None
    variables = outcome_variables(inst)
    table = estimate_means(
        design=design,
        variables={v: scores.column(v).astype(np.float64) for v in variables},
        by={b: _grouping(responses.get_column(b)) for b in by},
    )
    return Analysis(
        results=_protect(table.to_frame(), groupings=by, k=k),
        raking=raking,
        n_respondents=responses.height,
        n_psu=design.n_psu,
        clustered=clustered,
        by=by,
        variables=variables,
        k=k,
    )
