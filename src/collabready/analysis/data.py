"""Scored responses: the matrix of :mod:`collabready.analysis.load` with its scores.

:func:`prepare` is the *score* step of the pipeline; :func:`grouping` and
:func:`factor_of` turn a profile column into the domains of a breakdown,
following the policy (:mod:`collabready.analysis.policy`): respondents
without a label are a domain of their own.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from collabready.analysis.load import ResponseMatrix
from collabready.analysis.policy import MISSING_LABEL, MISSING_TEXT, with_missing_domain
from collabready.instrument.model import Instrument
from collabready.scoring import ScoreResult, score_matrix
from collabready.stats import Factor, factorize

__all__ = [
    "GROUPS",
    "AnalysisData",
    "factor_of",
    "grouping",
    "label_for",
    "levels_of",
    "prepare",
    "variable_title",
]

#: The profile variables reports break results down by, in order.
GROUPS: tuple[str, ...] = ("sector", "subsector", "role", "size", "region")


@dataclass(frozen=True, slots=True)
class AnalysisData:
    """Responses with their scores (one row each, in the matrix's order)."""

    matrix: ResponseMatrix
    scores: ScoreResult

    def __len__(self) -> int:
        return len(self.scores)

    @property
    def instrument(self) -> Instrument:
        return self.matrix.instrument

    @property
    def codes(self) -> NDArray[np.int8]:
        return self.matrix.codes

    @property
    def profile(self) -> Mapping[str, NDArray[np.object_]]:
        return self.matrix.profile

    @property
    def factors(self) -> Mapping[str, Factor]:
        return self.matrix.factors

    @property
    def respondent_id(self) -> NDArray[np.int64]:
        return self.matrix.respondent_id

    @property
    def organisation_id(self) -> NDArray[np.int64]:
        """The cluster of each respondent (their organisation, or their own)."""
        return self.matrix.organisation

    @property
    def complete(self) -> NDArray[np.bool_]:
        return self.matrix.complete

    @property
    def clustered(self) -> bool:
        return self.matrix.clustered

    def col(self, name: str) -> NDArray[np.float64]:
        """One score column as float64 (NaN = missing)."""
        return self.scores.column(name).astype(np.float64)

    @property
    def n_organisations(self) -> int:
        return int(np.unique(self.organisation_id).size)

    def subset(self, mask: NDArray[np.bool_]) -> AnalysisData:
        """The respondents where ``mask`` is true."""
        return AnalysisData(self.matrix.subset(mask), self.scores.take(mask))


def prepare(matrix: ResponseMatrix) -> AnalysisData:
    """Score every respondent (the *score* step)."""
    return AnalysisData(matrix, score_matrix(matrix.codes, matrix.instrument))


def label_for(instrument: Instrument, variable: str, level: str) -> str:
    """The printed label of a profile value (falls back to the value itself)."""
    if level == MISSING_LABEL:
        return MISSING_TEXT
    try:
        return instrument.profile_question(variable).choice_by_value(level).label.get()
    except KeyError:
        return level.replace("_", " ").capitalize()


def levels_of(instrument: Instrument, variable: str, present: Iterable[object]) -> list[str]:
    """Levels in questionnaire order, then any others found in the data, then the
    missing domain."""
    try:
        ordered = [c.value for c in instrument.profile_question(variable).choices]
    except KeyError:
        ordered = []
    seen = {v for v in present if isinstance(v, str)}
    extra = sorted(seen - set(ordered) - {MISSING_LABEL})
    tail = [MISSING_LABEL] if MISSING_LABEL in seen else []
    return [lv for lv in ordered if lv in seen] + extra + tail


def variable_title(variable: str) -> str:
    return {
        "sector": "Sector",
        "subsector": "Sub-sector",
        "role": "Role",
        "size": "Organisation size",
        "region": "Region or nation",
    }.get(variable, variable.replace("_", " ").capitalize())


def _domains(data: AnalysisData, variable: str, within: NDArray[np.bool_] | None) -> Factor:
    factor = with_missing_domain(data.factors[variable])
    if within is not None:
        factor = Factor(np.where(within, factor.codes, -1), factor.levels)
    return factor


def _present(factor: Factor) -> list[str]:
    used = np.bincount(factor.codes[factor.codes >= 0], minlength=factor.n_levels)
    return [level for level, count in zip(factor.levels, used, strict=True) if count]


def grouping(data: AnalysisData, variable: str) -> Factor:
    """A profile column's domains, the unlabelled in the missing domain.

    The levels are the labels present, sorted (the order of an analysis table).
    The same factor as ``factorize(_domains(...), levels=sorted(_present(...)))``,
    from one count and one lookup over the rows.
    """
    factor = data.factors[variable]
    shifted = factor.codes + 1  # 0 = unlabelled
    used = np.bincount(shifted, minlength=factor.n_levels + 1)
    labels = [MISSING_LABEL, *factor.levels]
    levels = sorted(label for label, count in zip(labels, used.tolist(), strict=True) if count)
    position = {level: i for i, level in enumerate(levels)}
    recode = np.array([position.get(label, -1) for label in labels], dtype=np.intp)
    return Factor(recode[shifted], tuple(levels))


def factor_of(data: AnalysisData, variable: str, within: NDArray[np.bool_] | None = None) -> Factor:
    """A profile variable as a :class:`~collabready.stats.Factor`, levels in questionnaire order.

    Respondents without a label form the missing domain (policy); respondents
    outside ``within`` are outside every domain but stay in the design.
    """
    factor = _domains(data, variable, within)
    levels = levels_of(data.instrument, variable, _present(factor))
    return factorize(factor, levels=levels, name=variable)
