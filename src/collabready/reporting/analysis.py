"""Every number a report prints, computed once from the responses.

:func:`prepare` turns a response table into the score matrix, the code matrix
and the profile columns; :func:`analyse_wave` weights the sample and computes
the estimates, comparisons, reliability and validation results that the
report builders turn into sentences, tables and charts. Disclosure control is
applied here, before anything leaves: a domain with fewer than ``k``
respondents has no estimate at all in the result.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import polars as pl
from numpy.typing import NDArray

from collabready.errors import UserError
from collabready.instrument.model import MISSING, Instrument
from collabready.reporting import engine
from collabready.reporting.disclosure import suppress_levels
from collabready.reporting.model import Estimate
from collabready.scoring import ScoreResult, matrix_from_columns, score_matrix

GROUPS: tuple[str, ...] = ("sector", "subsector", "role", "size", "region")
MAIN_COLUMNS: tuple[str, ...] = ("index", "commitment", "capacity", "gap")
SECTION_COLUMNS: tuple[str, ...] = (
    "enablers",
    "environment_helps",
    "environment_hinders",
    "outcomes",
)

Step = Callable[[str], None]


class ReportInputError(UserError, ValueError):
    """The data cannot be reported on as given."""


def _no_step(_: str) -> None:
    return None


@dataclass(frozen=True, slots=True)
class WaveData:
    """Responses ready for analysis."""

    instrument: Instrument
    scores: ScoreResult
    codes: NDArray[np.int8]
    profile: Mapping[str, NDArray[np.object_]]
    respondent_id: NDArray[np.int64]
    organisation_id: NDArray[np.int64]
    complete: NDArray[np.bool_]

    def __len__(self) -> int:
        return len(self.scores)

    def col(self, name: str) -> NDArray[np.float64]:
        """One score column as float64 (NaN = missing)."""
        return self.scores.column(name).astype(np.float64)


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
        i: responses.get_column(i).fill_null(MISSING).to_numpy()
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
    oid = (
        responses.get_column("organisation_id").fill_null(-1).to_numpy().astype(np.int64)
        if "organisation_id" in responses.columns
        else rid.copy()
    )
    complete = (
        responses.get_column("complete").fill_null(False).to_numpy().astype(bool)
        if "complete" in responses.columns
        else np.ones(n, dtype=bool)
    )
    return WaveData(instrument, scores, codes, profile, rid, oid, complete)


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


@dataclass(frozen=True, slots=True)
class WeightingSummary:
    variables: tuple[str, ...]
    margins: tuple[tuple[str, str, float], ...]
    kish_deff: float
    n_effective: float
    weight_min: float
    weight_max: float
    weight_cv: float
    iterations: int
    max_residual: float


def weight(
    data: WaveData, margins: pl.DataFrame | None
) -> tuple[engine.Weights | None, WeightingSummary | None]:
    """Rake to the margins (variable, level, population_total), or unit weights."""
    if margins is None:
        return None, None
    missing = {"variable", "level", "population_total"} - set(margins.columns)
    if missing:
        raise ReportInputError(
            "margins: needs columns variable, level, population_total; "
            f"missing {', '.join(sorted(missing))}"
        )
    totals: dict[str, dict[str, float]] = {}
    for var, level, total in margins.select("variable", "level", "population_total").iter_rows():
        totals.setdefault(str(var), {})[str(level)] = float(total)
    groups: dict[str, tuple[NDArray[np.int64], tuple[str, ...]]] = {}
    for var in totals:
        if var not in data.profile:
            raise ReportInputError(f"margins: variable {var!r} is not a column of the data")
        values = data.profile[var]
        levels = tuple(levels_of(data.instrument, var, values))
        if any(not isinstance(v, str) for v in values):
            raise ReportInputError(f"data: {var} is missing for some respondents; cannot weight")
        index = {lv: i for i, lv in enumerate(levels)}
        groups[var] = (np.array([index[v] for v in values], dtype=np.int64), levels)
    w = engine.rake(groups=groups, totals=totals)
    if not w.converged:
        raise ReportInputError(
            f"margins: raking did not converge in {w.iterations} iterations "
            f"(largest margin residual {w.max_residual:.2e})"
        )
    summary = WeightingSummary(
        variables=tuple(totals),
        margins=tuple((v, lv, t) for v, d in totals.items() for lv, t in d.items()),
        kish_deff=w.kish_deff,
        n_effective=w.n_effective,
        weight_min=float(w.weights.min()),
        weight_max=float(w.weights.max()),
        weight_cv=w.cv,
        iterations=w.iterations,
        max_residual=w.max_residual,
    )
    return w, summary


@dataclass(frozen=True, slots=True)
class GroupRow:
    """One level of a breakdown; ``estimates`` is None when suppressed."""

    level: str
    label: str
    estimates: Mapping[str, Estimate] | None
    status: str = "shown"


@dataclass(frozen=True, slots=True)
class Breakdown:
    variable: str
    title: str
    columns: tuple[str, ...]
    rows: tuple[GroupRow, ...]

    def row(self, level: str) -> GroupRow:
        for r in self.rows:
            if r.level == level:
                return r
        raise KeyError(level)


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
        return self.p_adjusted < 0.05


def estimate_of(res: engine.DomainMeans, d: int) -> Estimate:
    return Estimate(
        value=float(res.estimate[d]),
        ci_low=float(res.low[d]),
        ci_high=float(res.high[d]),
        n=int(res.n[d]),
        se=float(res.se[d]),
    )


def domain_codes(data: WaveData, variable: str) -> tuple[NDArray[np.int64], list[str]]:
    values = data.profile[variable]
    levels = levels_of(data.instrument, variable, values)
    index = {lv: i for i, lv in enumerate(levels)}
    # respondents with no answer go to an extra domain that is never reported
    codes = np.array(
        [index.get(v, len(levels)) if isinstance(v, str) else len(levels) for v in values]
    )
    return codes.astype(np.int64), levels


def breakdown(
    *,
    data: WaveData,
    design: engine.Design,
    variable: str,
    columns: tuple[str, ...],
    k: int,
) -> tuple[Breakdown, dict[str, engine.DomainMeans], list[str]]:
    """Domain estimates of ``columns`` for each level of ``variable``, disclosure-controlled."""
    codes, levels = domain_codes(data, variable)
    results = {
        c: engine.domain_means(
            y=data.col(c), design=design, domain=codes, n_domains=len(levels) + 1
        )
        for c in columns
    }
    counts = np.bincount(codes, minlength=len(levels) + 1)[: len(levels)]
    status = suppress_levels(counts=counts, k=k)
    rows = []
    for d, lv in enumerate(levels):
        label = label_for(data.instrument, variable, lv)
        if status[d] != "shown":
            rows.append(GroupRow(lv, label, None, status[d]))
            continue
        ests = {c: estimate_of(results[c], d) for c in columns}
        # a column answered by fewer than k in this domain is suppressed on its own
        if any(e.n < k for e in ests.values()):
            rows.append(GroupRow(lv, label, None, "suppressed"))
            continue
        rows.append(GroupRow(lv, label, ests))
    title = _variable_title(data.instrument, variable)
    return Breakdown(variable, title, columns, tuple(rows)), results, levels


def _variable_title(instrument: Instrument, variable: str) -> str:
    return {
        "sector": "Sector",
        "subsector": "Sub-sector",
        "role": "Role",
        "size": "Organisation size",
        "region": "Region or nation",
    }.get(variable, variable.replace("_", " ").capitalize())


def overall(
    *, data: WaveData, design: engine.Design, columns: tuple[str, ...]
) -> dict[str, Estimate]:
    out = {}
    for c in columns:
        res = engine.domain_means(y=data.col(c), design=design)
        out[c] = estimate_of(res, 0)
    return out


def paired(
    *, data: WaveData, design: engine.Design, a: str, b: str
) -> tuple[engine.Difference, int]:
    return engine.paired_difference(a=data.col(a), b=data.col(b), design=design)


def difference_estimate(diff: engine.Difference, n: int) -> Estimate:
    return Estimate(diff.estimate, diff.low, diff.high, n, diff.se)


def as_any(x: Any) -> Any:
    return x
