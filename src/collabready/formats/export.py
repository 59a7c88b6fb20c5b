"""The export table: one row per response, pseudonymous ids, codes, scores, weight.

:func:`build_export` takes a :class:`~collabready.analysis.load.ResponseMatrix`
(from a file or from the database, through the one loader) and, optionally,
its scores and raking weights, and returns an :class:`ExportTable` whose rows
the writers (:mod:`.writers`) fetch a chunk at a time with
:meth:`ExportTable.frame`. Nothing is expanded for the whole wave up front:
the table holds the matrix's int8 codes, one int8 code array per profile
question, and the score matrix; ids are computed chunk by chunk.

**Pseudonymous ids.** ``respondent_id`` and ``organisation_id`` are the first
16 hex digits (64 bits) of HMAC-SHA256 under ``id_key`` of
``"<scope>|respondent|<internal id>"`` (``organisation`` likewise). The same
key and scope give the same pseudonym in every export of the wave; without the
key a pseudonym cannot be traced back. A respondent whose organisation is not
known (an open-link response) has no ``organisation_id``. E-mail addresses and
names are never read, so they cannot appear.

Open answers and partial responses are not exported yet: the matrix holds
neither.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Final, Protocol

import numpy as np
import polars as pl
from numpy.typing import NDArray

from collabready.errors import UserError
from collabready.formats.codebook import NO_ANSWER_PROFILE, Kind, Variable, export_variables
from collabready.instrument import Instrument

if TYPE_CHECKING:
    from collabready.analysis.load import ResponseMatrix
    from collabready.scoring import ScoreResult
    from collabready.stats import Margins

__all__ = [
    "MIN_KEY_BYTES",
    "ExportError",
    "ExportSource",
    "ExportTable",
    "build_export",
    "export_responses",
    "pseudonyms",
]

MIN_KEY_BYTES: Final = 16
#: digits of the score columns kept (scores are computed in float32: ~7 significant digits)
SCORE_DECIMALS: Final = 4


class ExportError(UserError, ValueError):
    """The responses cannot be exported as asked."""


class ExportSource(Protocol):
    """What a writer needs: the instrument, the variables and the rows by chunk."""

    @property
    def instrument(self) -> Instrument: ...

    @property
    def variables(self) -> tuple[Variable, ...]: ...

    @property
    def height(self) -> int: ...

    @property
    def language(self) -> str: ...

    def frame(self, start: int, stop: int) -> pl.DataFrame: ...


def pseudonyms(
    key: bytes, scope: str, kind: str, ids: Sequence[int] | NDArray[np.int64]
) -> list[str]:
    """The pseudonym of each internal id (see the module docstring)."""
    prefix = f"{scope}|{kind}|".encode()
    return [
        hmac.new(key, prefix + str(int(i)).encode(), hashlib.sha256).hexdigest()[:16] for i in ids
    ]


@dataclass(frozen=True, slots=True)
class ExportTable:
    """A wave ready to write (see :func:`build_export`)."""

    instrument: Instrument
    variables: tuple[Variable, ...]
    matrix: ResponseMatrix
    profile_codes: dict[str, NDArray[np.int8]]
    scores: ScoreResult | None
    weights: NDArray[np.float64] | None
    id_key: bytes
    scope: str
    language: str

    @property
    def height(self) -> int:
        return len(self.matrix)

    def frame(self, start: int, stop: int) -> pl.DataFrame:
        """Rows ``start:stop`` as a polars frame, one column per variable in order."""
        m = self.matrix
        rows = slice(start, stop)
        organisation = pseudonyms(self.id_key, self.scope, "organisation", m.organisation[rows])
        known = m.verified[rows]
        cols: list[pl.Series] = [
            pl.Series(
                "respondent_id",
                pseudonyms(self.id_key, self.scope, "respondent", m.respondent_id[rows]),
                dtype=pl.Utf8,
            ),
            pl.Series(
                "organisation_id",
                [o if k else None for o, k in zip(organisation, known, strict=True)],
                dtype=pl.Utf8,
            ),
        ]
        positions = {item: j for j, item in enumerate(self.instrument.item_ids)}
        for v in self.variables[2:]:
            if v.kind is Kind.PROFILE:
                cols.append(pl.Series(v.name, self.profile_codes[v.name][rows], dtype=pl.Int8))
            elif v.kind is Kind.ITEM:
                cols.append(pl.Series(v.name, m.codes[rows, positions[v.name]], dtype=pl.Int8))
            elif v.kind is Kind.SCORE:
                assert self.scores is not None
                values = np.round(
                    self.scores.column(v.name)[rows].astype(np.float64), SCORE_DECIMALS
                )
                cols.append(pl.Series(v.name, values, dtype=pl.Float64, nan_to_null=True))
            elif v.kind is Kind.LEVEL:
                assert self.scores is not None
                level = pl.Series(v.name, self.scores.level[rows].astype(np.int8) + 1)
                cols.append(pl.select(pl.when(level > 0).then(level)).to_series().alias(v.name))
            elif v.kind is Kind.WEIGHT:
                assert self.weights is not None
                cols.append(pl.Series(v.name, self.weights[rows], dtype=pl.Float64))
        return pl.DataFrame(cols)


def _profile_codes(matrix: ResponseMatrix) -> dict[str, NDArray[np.int8]]:
    out: dict[str, NDArray[np.int8]] = {}
    for q in matrix.instrument.profile:
        factor = matrix.factors.get(q.id)
        if factor is None:
            out[q.id] = np.full(len(matrix), NO_ANSWER_PROFILE, dtype=np.int8)
            continue
        lookup = {c.value: c.code for c in q.choices}
        used = np.bincount(factor.codes[factor.codes >= 0], minlength=factor.n_levels)
        unknown = [lv for lv, n in zip(factor.levels, used, strict=True) if n and lv not in lookup]
        if unknown:
            raise ExportError(
                f"column {q.id!r}: {unknown[0]!r} is not a choice of {q.id} ({', '.join(lookup)})"
            )
        table = np.array(
            [lookup.get(lv, NO_ANSWER_PROFILE) for lv in factor.levels] + [NO_ANSWER_PROFILE],
            dtype=np.int8,
        )
        out[q.id] = table[factor.codes]
    return out


def build_export(
    matrix: ResponseMatrix,
    *,
    id_key: bytes,
    scope: str = "",
    language: str = "en",
    scores: ScoreResult | None = None,
    weights: NDArray[np.float64] | None = None,
) -> ExportTable:
    """The export of ``matrix`` (scores and weights, if given, in the matrix's row order)."""
    if len(id_key) < MIN_KEY_BYTES:
        raise ExportError(f"the id key must be at least {MIN_KEY_BYTES} bytes long")
    if language not in matrix.instrument.languages:
        raise ExportError(
            f"--language {language}: {matrix.instrument.key} has "
            f"{', '.join(matrix.instrument.languages)}"
        )
    n = len(matrix)
    if scores is not None and len(scores) != n:
        raise ExportError(f"scores for {len(scores):,} responses, not {n:,}")
    if weights is not None and weights.shape[0] != n:
        raise ExportError(f"weights for {weights.shape[0]:,} responses, not {n:,}")
    variables = export_variables(
        matrix.instrument, language=language, scores=scores is not None, weight=weights is not None
    )
    return ExportTable(
        matrix.instrument,
        variables,
        matrix,
        _profile_codes(matrix),
        scores,
        None if weights is None else np.asarray(weights, dtype=np.float64),
        id_key,
        scope,
        language,
    )


def export_responses(
    matrix: ResponseMatrix,
    *,
    id_key: bytes,
    scope: str = "",
    language: str = "en",
    scores: bool = False,
    margins: Margins | pl.DataFrame | None = None,
    source: str = "data",
) -> ExportTable:
    """The export of ``matrix`` through the analysis pipeline: with ``scores`` the
    score step's scores, with ``margins`` the weight step's raking weights."""
    score_result = None
    weight_values = None
    if scores or margins is not None:
        from collabready.analysis.data import prepare
        from collabready.analysis.weighting import weight

        prepared = prepare(matrix)
        score_result = prepared.scores if scores else None
        if margins is not None:
            raking, _ = weight(prepared, margins, source=source)
            assert raking is not None
            weight_values = raking.weights
    return build_export(
        matrix,
        id_key=id_key,
        scope=scope,
        language=language,
        scores=score_result,
        weights=weight_values,
    )
