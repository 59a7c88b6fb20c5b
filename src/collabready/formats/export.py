"""The export table: one row per response, pseudonymous ids, codes, scores, weight.

:func:`build_export` takes a :class:`~collabready.analysis.load.ResponseMatrix`
(from a file or from the database, through the one loader) and, optionally,
its scores and raking weights, and returns an :class:`ExportTable` whose rows
the writers (:mod:`.writers`) fetch a chunk at a time with
:meth:`ExportTable.frame`. Nothing is expanded for the whole wave up front:
the table holds the matrix's int8 codes, one int8 code array per profile
question, and the score matrix; the pseudonyms are hashed chunk by chunk
(every organisation once, see :class:`Pseudonyms`).

**Pseudonymous ids** (:mod:`.pseudonyms`). ``respondent_id`` and
``organisation_id`` are the first 16 hex digits (64 bits) of HMAC-SHA256 under
``id_key`` of ``"<scope>|respondent|<internal id>"`` (``organisation``
likewise). A respondent whose organisation is not known (an open-link
response) has no ``organisation_id``. E-mail addresses and names are never
read, so they cannot appear.

**Open answers and partial responses** (``--open-answers``, ``--partial``)
are not in the matrix: they come beside it as :class:`ExportExtras`, one
value per matrix row, from the same source (the file's columns, or the
database through the web layer's export selector). Without ``partial`` only
complete responses are exported; with it, partial ones too, with the columns
``complete`` and ``last_page``. The raking weight is computed on the complete
responses (a partial response has none), as the analysis does.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Final, Protocol

import numpy as np
import polars as pl
from numpy.typing import NDArray

from collabready.errors import UserError
from collabready.formats.codebook import (
    COMPLETE,
    LAST_PAGE,
    NO_ANSWER_PROFILE,
    Kind,
    Variable,
    export_variables,
)
from collabready.formats.pseudonyms import (
    PSEUDONYM_BYTES,
    Pseudonyms,
    pseudonym_column,
    pseudonym_digests,
    pseudonyms,
)
from collabready.instrument import Instrument

if TYPE_CHECKING:
    from collabready.analysis.load import ResponseMatrix
    from collabready.scoring import ScoreResult
    from collabready.stats import Margins

__all__ = [
    "MIN_KEY_BYTES",
    "PSEUDONYM_BYTES",
    "ExportError",
    "ExportExtras",
    "ExportSource",
    "ExportTable",
    "Pseudonyms",
    "build_export",
    "export_responses",
    "extras_from_frame",
    "pseudonym_column",
    "pseudonym_digests",
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


@dataclass(frozen=True, slots=True)
class ExportExtras:
    """What an export can hold beyond the matrix, one value per matrix row.

    ``open_answers`` maps an open question id to its answers (``None`` or ``""``:
    not answered); ``last_page`` is the page each response was last saved on.
    """

    open_answers: Mapping[str, Sequence[str | None]] = field(default_factory=dict)
    last_page: Sequence[str | None] | None = None

    def check(self, n: int) -> None:
        for name, column in self.open_answers.items():
            if len(column) != n:
                raise ExportError(f"open answers {name}: {len(column):,} values, not {n:,}")
        if self.last_page is not None and len(self.last_page) != n:
            raise ExportError(f"last pages: {len(self.last_page):,} values, not {n:,}")

    def subset(self, rows: NDArray[np.intp]) -> ExportExtras:
        """The extras of the matrix rows ``rows`` (as :meth:`ResponseMatrix.subset` keeps)."""
        picked = rows.tolist()
        return ExportExtras(
            {k: [v[i] for i in picked] for k, v in self.open_answers.items()},
            None if self.last_page is None else [self.last_page[i] for i in picked],
        )


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
    pseudonyms: Pseudonyms
    extras: ExportExtras = ExportExtras()

    @property
    def height(self) -> int:
        return len(self.matrix)

    def frame(self, start: int, stop: int) -> pl.DataFrame:
        """Rows ``start:stop`` as a polars frame, one column per variable in order."""
        m = self.matrix
        rows = slice(start, stop)
        cols: list[pl.Series] = [
            *self.pseudonyms.columns(start, stop),
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
                cols.append(
                    pl.Series(v.name, self.weights[rows], dtype=pl.Float64, nan_to_null=True)
                )
            elif v.kind is Kind.OPEN:
                answers = self.extras.open_answers.get(v.name)
                texts = [a or None for a in answers[rows]] if answers is not None else None
                cols.append(pl.Series(v.name, texts or [None] * (stop - start), dtype=pl.Utf8))
            elif v.name == COMPLETE:
                cols.append(pl.Series(v.name, m.complete[rows].astype(np.int8), dtype=pl.Int8))
            elif v.name == LAST_PAGE:
                pages = self.extras.last_page
                done = m.complete[rows].tolist()
                last = (
                    [None if c else (p or None) for p, c in zip(pages[rows], done, strict=True)]
                    if pages is not None
                    else [None] * (stop - start)
                )
                cols.append(pl.Series(v.name, last, dtype=pl.Utf8))
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
    extras: ExportExtras | None = None,
    open_answers: bool = False,
    partial: bool = False,
) -> ExportTable:
    """The export of ``matrix`` (scores, weights and extras, if given, in the matrix's
    row order); ``open_answers`` and ``partial`` add their columns."""
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
    extras = extras if extras is not None else ExportExtras()
    extras.check(n)
    variables = export_variables(
        matrix.instrument,
        language=language,
        scores=scores is not None,
        weight=weights is not None,
        open_answers=open_answers,
        partial=partial,
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
        Pseudonyms(matrix, id_key, scope),
        extras,
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
    extras: ExportExtras | None = None,
    open_answers: bool = False,
    partial: bool = False,
) -> ExportTable:
    """The export of ``matrix`` through the analysis pipeline: with ``scores`` the
    score step's scores, with ``margins`` the weight step's raking weights (of the
    complete responses). Without ``partial``, partial responses are left out."""
    extras = extras if extras is not None else ExportExtras()
    extras.check(len(matrix))
    if not partial and not matrix.complete.all():
        kept = np.flatnonzero(matrix.complete)
        matrix, extras = matrix.subset(matrix.complete), extras.subset(kept)
    score_result = None
    weight_values = None
    if scores or margins is not None:
        from collabready.analysis.data import prepare
        from collabready.analysis.weighting import weight

        prepared = prepare(matrix)
        score_result = prepared.scores if scores else None
        if margins is not None:
            complete = matrix.complete
            weighted = prepared if complete.all() else prepare(matrix.subset(complete))
            raking, _ = weight(weighted, margins, source=source)
            assert raking is not None
            weight_values = np.full(len(matrix), np.nan)
            weight_values[complete] = raking.weights
    return build_export(
        matrix,
        id_key=id_key,
        scope=scope,
        language=language,
        scores=score_result,
        weights=weight_values,
        extras=extras,
        open_answers=open_answers,
        partial=partial,
    )


def extras_from_frame(frame: pl.DataFrame, instrument: Instrument) -> ExportExtras:
    """The open answers (columns named by open question id) and ``last_page`` of a
    response file, in its row order (the order :func:`~collabready.analysis.load.from_frame`
    keeps)."""
    opens = {
        oq.id: frame.get_column(oq.id).cast(pl.Utf8).to_list()
        for oq in instrument.open_questions
        if oq.id in frame.columns
    }
    pages = (
        frame.get_column(LAST_PAGE).cast(pl.Utf8).to_list() if LAST_PAGE in frame.columns else None
    )
    return ExportExtras(opens, pages)
