"""Every number a report prints, computed by the statistics engine from the responses.

:func:`prepare` turns a response table into the score matrix, the code matrix
and the profile columns. The helpers here then hand the work to
:mod:`collabready.stats`: :func:`weight` rakes to the population margins
(``rake``), :func:`design_for` builds the survey design with organisations as
clusters (``raked_design`` / ``survey_design``), :func:`breakdown` estimates
domain means (``estimate_means`` with ``by=``), :func:`paired_contrast` and
:func:`domain_contrasts` test differences (``paired_difference``,
``compare_domains``, ``adjust_p_values``). Disclosure control
(``apply_disclosure_control``) is applied before anything leaves: a domain
with fewer than ``k`` respondents has no estimate at all in the result, and
a second domain is withheld where the first could be recovered from a total.

The breakdowns are linked across documents (the national report shows each
sub-sector, size, role and region nationally; each sector briefing shows it
within the sector), so :func:`disclosure_pattern` protects the sector × level
tables of every breakdown as one table, from the counts of the whole sample,
and every document applies that one pattern (:func:`breakdowns` with
``pattern=``, :func:`pattern_statuses`).
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
import polars as pl
from numpy.typing import NDArray
from scipy import stats as sps

from collabready.errors import UserError
from collabready.instrument.model import Instrument
from collabready.reporting.model import Estimate
from collabready.scoring import ScoreResult, matrix_from_columns, score_matrix
from collabready.scoring.api import polars_codes
from collabready.stats import (
    EstimateTable,
    Factor,
    Margins,
    PAdjust,
    ProtectedTable,
    RakingResult,
    SurveyDesign,
    WeightDiagnostics,
    adjust_p_values,
    apply_disclosure_control,
    apply_pattern,
    compare_domains,
    estimate_means,
    factorize,
    margins_from_frame,
    paired_difference,
    rake,
    raked_design,
    survey_design,
    weight_diagnostics,
)
from collabready.stats.disclosure import DEFAULT_K, STATUS_COLUMN
from collabready.stats.disclosure import CellStatus as DisclosureStatus

GROUPS: tuple[str, ...] = ("sector", "subsector", "role", "size", "region")
MAIN_COLUMNS: tuple[str, ...] = ("index", "commitment", "capacity", "gap")
SECTION_COLUMNS: tuple[str, ...] = (
    "enablers",
    "environment_helps",
    "environment_hinders",
    "outcomes",
)
#: Significance level of every test behind a finding.
ALPHA = 0.05

Step = Callable[[str], None]

__all__ = [
    "ALPHA",
    "DEFAULT_K",
    "GROUPS",
    "MAIN_COLUMNS",
    "SECTION_COLUMNS",
    "Breakdown",
    "Contrast",
    "DisclosurePattern",
    "GroupRow",
    "ReportInputError",
    "Step",
    "WaveData",
    "WeightingSummary",
    "breakdown",
    "breakdowns",
    "design_for",
    "disclosure_pattern",
    "domain_contrasts",
    "factor_of",
    "frame_sha256",
    "label_for",
    "levels_of",
    "overall",
    "paired_contrast",
    "pattern_statuses",
    "prepare",
    "protect_counts",
    "weight",
]


class ReportInputError(UserError, ValueError):
    """The data cannot be reported on as given."""


def _no_step(_: str) -> None:
    return None


@dataclass(frozen=True, slots=True)
class WaveData:
    """Responses ready for analysis.

    ``organisation_id`` holds one cluster label per respondent; ``clustered``
    is False when the data had no organisation column, so that every
    respondent is their own primary sampling unit.
    """

    instrument: Instrument
    scores: ScoreResult
    codes: NDArray[np.int8]
    profile: Mapping[str, NDArray[np.object_]]
    respondent_id: NDArray[np.int64]
    organisation_id: NDArray[np.int64]
    complete: NDArray[np.bool_]
    clustered: bool = True

    def __len__(self) -> int:
        return len(self.scores)

    def col(self, name: str) -> NDArray[np.float64]:
        """One score column as float64 (NaN = missing)."""
        return self.scores.column(name).astype(np.float64)

    @property
    def n_organisations(self) -> int:
        return int(np.unique(self.organisation_id).size)

    def subset(self, mask: NDArray[np.bool_]) -> WaveData:
        """The respondents where ``mask`` is true."""
        s = self.scores
        scores = ScoreResult(
            s.instrument_key, s.columns, s.values[mask], s.level[mask], s.level_ids
        )
        return WaveData(
            self.instrument,
            scores,
            self.codes[mask],
            {k: v[mask] for k, v in self.profile.items()},
            self.respondent_id[mask],
            self.organisation_id[mask],
            self.complete[mask],
            self.clustered,
        )


def frame_sha256(frame: pl.DataFrame) -> str:
    """SHA-256 of a table's content (column names, types and values, in order)."""
    h = hashlib.sha256()
    for name, dtype in frame.schema.items():
        h.update(f"{name}:{dtype};".encode())
    h.update(frame.hash_rows(seed=0).to_numpy().tobytes())
    return h.hexdigest()


def prepare(responses: pl.DataFrame, instrument: Instrument, *, source: str = "data") -> WaveData:
    """Score the responses and pull out profile, organisation and completion columns."""
    if responses.height == 0:
        raise ReportInputError(f"{source}: has no rows")
    cols = {
        i: polars_codes(responses.get_column(i))
        for i in instrument.item_ids
        if i in responses.columns
    }
    codes = matrix_from_columns(cols, instrument, source=source)
    scores = score_matrix(codes, instrument)
    n = responses.height
    profile: dict[str, NDArray[np.object_]] = {}
    for var in GROUPS:
        if var in responses.columns:
            profile[var] = responses.get_column(var).cast(pl.Utf8).to_numpy().astype(object)
    if "sector" not in profile:
        raise ReportInputError(f"{source}: no 'sector' column; reports break results down by it")
    rid = (
        responses.get_column("respondent_id").to_numpy().astype(np.int64)
        if "respondent_id" in responses.columns
        else np.arange(1, n + 1, dtype=np.int64)
    )
    clustered = "organisation_id" in responses.columns
    if clustered:
        raw = responses.get_column("organisation_id").cast(pl.Int64)
        # a respondent with no organisation is a cluster of their own (negative ids)
        own = -np.arange(1, n + 1, dtype=np.int64)
        oid = np.where(raw.is_null().to_numpy(), own, raw.fill_null(0).to_numpy())
    else:
        oid = np.arange(1, n + 1, dtype=np.int64)
    complete = (
        responses.get_column("complete").fill_null(False).to_numpy().astype(bool)
        if "complete" in responses.columns
        else np.ones(n, dtype=bool)
    )
    return WaveData(
        instrument, scores, codes, profile, rid, oid.astype(np.int64), complete, clustered
    )


def label_for(instrument: Instrument, variable: str, level: str) -> str:
    """The printed label of a profile value (falls back to the value itself)."""
    try:
        return instrument.profile_question(variable).choice_by_value(level).label.get()
    except KeyError:
        return level.replace("_", " ").capitalize()


def levels_of(instrument: Instrument, variable: str, present: NDArray[np.object_]) -> list[str]:
    """Levels in questionnaire order, then any others found in the data."""
    try:
        ordered = [c.value for c in instrument.profile_question(variable).choices]
    except KeyError:
        ordered = []
    seen = {v for v in present if isinstance(v, str)}
    return [lv for lv in ordered if lv in seen] + sorted(seen - set(ordered))


def variable_title(variable: str) -> str:
    return {
        "sector": "Sector",
        "subsector": "Sub-sector",
        "role": "Role",
        "size": "Organisation size",
        "region": "Region or nation",
    }.get(variable, variable.replace("_", " ").capitalize())


def factor_of(data: WaveData, variable: str, within: NDArray[np.bool_] | None = None) -> Factor:
    """A profile variable as a :class:`~collabready.stats.Factor`, levels in questionnaire order.

    Respondents outside ``within`` (and those who did not answer) are missing,
    so they are outside every domain but stay in the design.
    """
    values = data.profile[variable]
    if within is not None:
        values = values.copy()
        values[~within] = None
    levels = levels_of(data.instrument, variable, values)
    return factorize(values, levels=levels, name=variable)


# --------------------------------------------------------------------------- weighting


@dataclass(frozen=True, slots=True)
class WeightingSummary:
    """How the sample was weighted, for the methodology section."""

    variables: tuple[str, ...]
    margins: tuple[tuple[str, str, float], ...]
    diagnostics: WeightDiagnostics
    iterations: int
    max_residual: float

    @property
    def kish_deff(self) -> float:
        return self.diagnostics.kish_deff

    @property
    def n_effective(self) -> float:
        return self.diagnostics.effective_n

    @property
    def weight_min(self) -> float:
        return self.diagnostics.minimum

    @property
    def weight_max(self) -> float:
        return self.diagnostics.maximum

    @property
    def weight_cv(self) -> float:
        return self.diagnostics.cv


def as_margins(margins: pl.DataFrame | pd.DataFrame | Margins) -> Margins:
    """Margins as the statistics engine takes them (a table in the file layout, or Margins)."""
    if isinstance(margins, Margins):
        return margins
    return margins_from_frame(margins, source="margins")


def weight(
    data: WaveData, margins: pl.DataFrame | pd.DataFrame | Margins | None
) -> tuple[RakingResult | None, WeightingSummary | None]:
    """Rake to the margins (variable, level, population_total) with ``collabready.stats.rake``."""
    if margins is None:
        return None, None
    m = as_margins(margins)
    for var in m.variables:
        if var not in data.profile:
            raise ReportInputError(f"margins: variable {var!r} is not a column of the data")
    raking = rake(data={v: data.profile[v] for v in m.variables}, margins=m)
    summary = WeightingSummary(
        variables=m.variables,
        margins=tuple(
            (mg.variable, lv, float(t))
            for mg in m
            for lv, t in zip(mg.levels, mg.totals, strict=True)
        ),
        diagnostics=weight_diagnostics(raking.weights),
        iterations=raking.iterations,
        max_residual=raking.max_relative_residual,
    )
    return raking, summary


def design_for(data: WaveData, raking: RakingResult | None) -> SurveyDesign:
    """The design: raked weights (calibration-aware) or unit weights; organisations as PSUs."""
    clusters = data.organisation_id if data.clustered else None
    if raking is None:
        return survey_design(weights=np.ones(len(data)), clusters=clusters)
    return raked_design(raking, clusters=clusters)


# --------------------------------------------------------------------------- disclosure


def published(status: object) -> bool:
    return str(status) == str(DisclosureStatus.PUBLISHED)


def row_status(status: object) -> str:
    """``shown``, ``suppressed`` (primary) or ``secondary``, from a protected row's status."""
    s = str(status)
    if s == str(DisclosureStatus.PUBLISHED):
        return "shown"
    if s == str(DisclosureStatus.SUPPRESSED_SECONDARY):
        return "secondary"
    return "suppressed"


def protect_counts(
    counts: Sequence[int], *, k: int, keys: Sequence[str] | None = None
) -> list[str]:
    """Disclosure status (``shown``/``suppressed``/``secondary``) of cells with these counts.

    With ``keys`` (one level per cell) the cells are the levels of one
    breakdown, adding up to a known total, so secondary suppression applies;
    without, they are unrelated figures and only the threshold applies.
    """
    if not counts:
        return []
    frame = pd.DataFrame({"n": np.asarray(counts, dtype=np.int64)})
    by: list[str] = []
    if keys is not None:
        frame.insert(0, "level", list(keys))
        by = ["level"]
    protected = apply_disclosure_control(frame, by=by, count_column="n", value_columns=[], k=k)
    return [row_status(s) for s in protected.frame[STATUS_COLUMN]]


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
    here. :meth:`status` gives ``shown``, ``suppressed`` or ``secondary`` for
    a cell (``None`` for a cell with no respondents, which no document shows).
    """

    k: int
    variables: tuple[str, ...]
    has_sector: bool
    protected: ProtectedTable
    statuses: Mapping[_Key, str]

    def covers(self, variable: str) -> bool:
        """True when the pattern decides ``variable``'s cells."""
        return variable in self.variables or (variable == SECTOR and self.has_sector)

    def status(self, variable: str, level: str, *, sector: str | None = None) -> str | None:
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
    data: WaveData, *, k: int, variables: Sequence[str] | None = None
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
    level_columns = [c for c in MAIN_COLUMNS if c in data.scores.columns]
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
        key: row_status(st) for key, st in zip(keys, protected.frame[STATUS_COLUMN], strict=True)
    }
    return DisclosurePattern(int(k), tuple(variables), has_sector, protected, statuses)


def pattern_statuses(
    pattern: DisclosurePattern | None,
    variable: str,
    levels: Sequence[str],
    counts: Sequence[int],
    *,
    k: int,
) -> list[str]:
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
        out.append("suppressed" if st is None else st)
    return out


def _estimates_frame(
    table: EstimateTable, rows: Mapping[str, Mapping[str, int]]
) -> tuple[pd.DataFrame, list[str]]:
    """One row per key of ``rows``; for each column its estimate, CI, se and n."""
    records = []
    columns: list[str] = []
    for key, positions in rows.items():
        rec: dict[str, object] = {"key": key}
        for col, i in positions.items():
            if col not in columns:
                columns.append(col)
            rec[f"{col}:estimate"] = float(table.estimate[i])
            rec[f"{col}:ci_low"] = float(table.ci_low[i])
            rec[f"{col}:ci_high"] = float(table.ci_high[i])
            rec[f"{col}:se"] = float(table.se[i])
            rec[f"{col}:n"] = int(table.n[i])
        records.append(rec)
    return pd.DataFrame.from_records(records), columns


def _estimate_from(row: pd.Series, col: str) -> Estimate:
    return Estimate(
        value=float(row[f"{col}:estimate"]),
        ci_low=float(row[f"{col}:ci_low"]),
        ci_high=float(row[f"{col}:ci_high"]),
        n=int(row[f"{col}:n"]),
        se=float(row[f"{col}:se"]),
    )


# --------------------------------------------------------------------------- estimates


def table_positions(table: EstimateTable) -> dict[tuple[str, str, str], int]:
    """Row of each (variable, grouping, domain) in an estimate table."""
    return {
        key: i
        for i, key in enumerate(zip(table.variable, table.grouping, table.domain, strict=True))
    }


def overall(
    *, data: WaveData, design: SurveyDesign, columns: Sequence[str], k: int
) -> dict[str, Estimate]:
    """Whole-sample means of ``columns``; a column answered by fewer than ``k`` is left out."""
    table = estimate_means(design=design, variables={c: data.col(c) for c in columns})
    pos = table_positions(table)
    rows = {c: {"value": pos[(c, "all", "all")]} for c in columns}
    frame, _ = _estimates_frame(table, rows)
    values = [c for c in frame.columns if c not in ("key", "value:n")]
    protected = apply_disclosure_control(
        frame, by=[], count_column="value:n", value_columns=values, k=k
    )
    out: dict[str, Estimate] = {}
    for i, c in enumerate(columns):
        prow = protected.frame.iloc[i]
        if published(prow[STATUS_COLUMN]):
            out[c] = _estimate_from(prow, "value")
    return out


@dataclass(frozen=True, slots=True)
class GroupRow:
    """One level of a breakdown; ``estimates`` is None when suppressed."""

    level: str
    label: str
    estimates: Mapping[str, Estimate] | None
    status: str = "shown"
    respondents: int | None = None


@dataclass(frozen=True, slots=True)
class Breakdown:
    variable: str
    title: str
    columns: tuple[str, ...]
    rows: tuple[GroupRow, ...]
    protected: ProtectedTable | None = None

    def row(self, level: str) -> GroupRow:
        for r in self.rows:
            if r.level == level:
                return r
        raise KeyError(level)


def breakdowns(
    *,
    data: WaveData,
    design: SurveyDesign,
    variables: Sequence[str],
    columns: tuple[str, ...],
    k: int,
    within: NDArray[np.bool_] | None = None,
    pattern: DisclosurePattern | None = None,
    sector: str | None = None,
) -> dict[str, Breakdown]:
    """Domain means of ``columns`` for each level of each of ``variables``, protected.

    One ``estimate_means(by=...)`` call gives the domain estimates of every
    grouping; each grouping's table of levels then goes through
    ``apply_disclosure_control``: the count behind a row is the smallest number
    of respondents behind any of its figures, so a level is withheld if any
    figure in it rests on fewer than ``k``, and a second level where the first
    could be recovered from the total. ``within`` restricts the domains to a
    subpopulation (for example one sector) without leaving the design.

    With ``pattern`` (:func:`disclosure_pattern`) a variable it covers is not
    protected on its own: its levels are withheld exactly where the joint
    sector × level table withholds them (within ``sector`` when given, which
    ``within`` must then select), with ``apply_pattern``.
    """
    if not variables:
        return {}
    if pattern is not None and pattern.k != k:
        raise ValueError(f"the disclosure pattern was made with k = {pattern.k}, not {k}")
    factors = {var: factor_of(data, var, within) for var in variables}
    table = estimate_means(
        design=design,
        variables={c: data.col(c) for c in columns},
        by=factors,
        overall=False,
    )
    pos = table_positions(table)
    out: dict[str, Breakdown] = {}
    for variable, factor in factors.items():
        rows = {lv: {c: pos[(c, variable, lv)] for c in columns} for lv in factor.levels}
        frame, _ = _estimates_frame(table, rows)
        counts = np.bincount(factor.codes[factor.codes >= 0], minlength=len(rows))
        frame.insert(1, "respondents", counts)
        frame.insert(1, "n_min", frame[[f"{c}:n" for c in columns]].min(axis=1).astype(np.int64))
        frame = frame.rename(columns={"key": variable})
        if pattern is not None and pattern.covers(variable):
            linked = [pattern.status(variable, lv, sector=sector) for lv in factor.levels]
            if any(st is None for st in linked):
                absent = factor.levels[linked.index(None)]
                raise ValueError(f"{variable}={absent!r} has no cell in the disclosure pattern")
            protected = apply_pattern(
                frame,
                primary=[st == "suppressed" for st in linked],
                secondary=[st == "secondary" for st in linked],
                by=[variable],
                count_column="n_min",
                k=k,
            )
        else:
            protected = apply_disclosure_control(frame, by=[variable], count_column="n_min", k=k)
        group_rows = []
        for i, lv in enumerate(factor.levels):
            prow = protected.frame.iloc[i]
            label = label_for(data.instrument, variable, lv)
            status = row_status(prow[STATUS_COLUMN])
            if status != "shown":
                group_rows.append(GroupRow(lv, label, None, status))
                continue
            ests = {c: _estimate_from(prow, c) for c in columns}
            group_rows.append(GroupRow(lv, label, ests, "shown", int(prow["respondents"])))
        out[variable] = Breakdown(
            variable, variable_title(variable), columns, tuple(group_rows), protected
        )
    return out


def breakdown(
    *,
    data: WaveData,
    design: SurveyDesign,
    variable: str,
    columns: tuple[str, ...],
    k: int,
    within: NDArray[np.bool_] | None = None,
    pattern: DisclosurePattern | None = None,
    sector: str | None = None,
) -> Breakdown:
    """Domain means of ``columns`` for each level of ``variable`` (see :func:`breakdowns`)."""
    return breakdowns(
        data=data,
        design=design,
        variables=[variable],
        columns=columns,
        k=k,
        within=within,
        pattern=pattern,
        sector=sector,
    )[variable]


# --------------------------------------------------------------------------- comparisons


@dataclass(frozen=True, slots=True)
class Contrast:
    """A tested difference: ``a`` minus ``b``."""

    a: str
    b: str
    difference: Estimate
    p_value: float
    p_adjusted: float
    adjustment: str = "none"

    @property
    def significant(self) -> bool:
        return self.p_adjusted < ALPHA


def t_test_p(estimate: float, se: float, df: float) -> float:
    """Two-sided p-value of ``estimate / se`` on Student's t with ``df`` degrees of freedom."""
    if not (math.isfinite(estimate) and math.isfinite(se)) or se <= 0 or df < 1:
        return math.nan
    return float(2 * sps.t.sf(abs(estimate / se), df))


def paired_contrast(
    *, data: WaveData, design: SurveyDesign, first: str, second: str, a: str, b: str
) -> Contrast:
    """Mean within-respondent difference ``first - second`` (``paired_difference``), t test."""
    table = paired_difference(design=design, first=data.col(first), second=data.col(second))
    e = Estimate(
        float(table.estimate[0]),
        float(table.ci_low[0]),
        float(table.ci_high[0]),
        int(table.n[0]),
        float(table.se[0]),
    )
    p = t_test_p(e.value, e.se, float(table.df[0]))
    return Contrast(a, b, e, p, p)


def holm(contrasts: Sequence[Contrast]) -> tuple[Contrast, ...]:
    """The contrasts with Holm-adjusted p-values (``adjust_p_values``) as one family."""
    adjusted = adjust_p_values([c.p_value for c in contrasts], method=PAdjust.HOLM)
    return tuple(
        Contrast(c.a, c.b, c.difference, c.p_value, float(p), "holm")
        for c, p in zip(contrasts, adjusted, strict=True)
    )


def domain_contrasts(
    *,
    data: WaveData,
    design: SurveyDesign,
    column: str,
    factor: Factor,
    pairs: Sequence[tuple[str, str]],
    labels: Mapping[str, str],
    adjust: PAdjust,
) -> tuple[Contrast, ...]:
    """Differences between domain means (``compare_domains``), adjusted as one family.

    ``n`` of each difference is the respondents behind the two domain means.
    """
    if not pairs:
        return ()
    variables = {column: data.col(column)}
    cmp = compare_domains(
        design=design, variables=variables, by={"group": factor}, pairs=pairs, adjust=adjust
    )
    means = estimate_means(design=design, variables=variables, by={"group": factor}, overall=False)
    n = {lv: int(means.n[i]) for i, lv in enumerate(means.domain)}
    out = []
    for i in range(len(cmp)):
        first, second = cmp.first[i], cmp.second[i]
        out.append(
            Contrast(
                labels.get(first, first),
                labels.get(second, second),
                Estimate(
                    float(cmp.difference[i]),
                    float(cmp.ci_low[i]),
                    float(cmp.ci_high[i]),
                    n[first] + n[second],
                    float(cmp.se[i]),
                ),
                float(cmp.p_value[i]),
                float(cmp.p_adjusted[i]),
                str(adjust),
            )
        )
    return tuple(out)
