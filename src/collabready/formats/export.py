"""The export table: one row per response, pseudonymous ids, codes, scores, weight.

:func:`build_export` takes a :class:`~collabready.analysis.load.ResponseMatrix`
(from a file or from the database, through the one loader) and, optionally,
its scores and raking weights, and returns an :class:`ExportTable` whose rows
the writers (:mod:`.writers`) fetch a chunk at a time with
:meth:`ExportTable.frame`. Nothing is expanded for the whole wave up front:
the table holds the matrix's int8 codes, one int8 code array per profile
question, and the score matrix; the pseudonyms are hashed chunk by chunk
(every organisation once, see :class:`Pseudonyms`).

**Pseudonymous ids.** ``respondent_id`` and ``organisation_id`` are the first
16 hex digits (64 bits) of HMAC-SHA256 under ``id_key`` of
``"<scope>|respondent|<internal id>"`` (``organisation`` likewise). The same
key and scope give the same pseudonym in every export of the wave; without the
key a pseudonym cannot be traced back. A respondent whose organisation is not
known (an open-link response) has no ``organisation_id``. E-mail addresses and
names are never read, so they cannot appear.

**Open answers and partial responses** (``--open-answers``, ``--partial``)
are not in the matrix: they come beside it as :class:`ExportExtras`, one
value per matrix row, from the same source (the file's columns, or the
database through the web layer's export selector). Without ``partial`` only
complete responses are exported; with it, partial ones too, with the columns
``complete`` and ``last_page``. The raking weight is computed on the complete
responses (a partial response has none), as the analysis does.
"""

from __future__ import annotations

import hashlib
import threading
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
#: bytes of the HMAC kept in a pseudonym (16 hex digits, 64 bits)
PSEUDONYM_BYTES: Final = 8
_SHA256_BYTES: Final = 32
#: ids hashed into one joined buffer at a time (bounds the temporary bytes objects)
_HASH_BATCH: Final = 65_536
_HEX_DIGITS: Final = np.frombuffer(b"0123456789abcdef", dtype=np.uint8)
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


def pseudonym_digests(
    key: bytes, scope: str, kind: str, ids: Sequence[int] | NDArray[np.int64]
) -> NDArray[np.uint8]:
    """The first :data:`PSEUDONYM_BYTES` bytes of each id's HMAC-SHA256, one row per id.

    HMAC-SHA256 computed from its two precomputed SHA-256 states (RFC 2104: the
    key padded and XORed with ``ipad`` and ``opad``, the common prefix
    ``"<scope>|<kind>|"`` already hashed into the inner state): each id then
    costs two state copies and one compression each, the same digests as
    :func:`hmac.new` at about a third of the time of ``hmac.digest`` (which sets
    the key up again for every message). The ids are hashed a batch at a time into
    one array, so no Python string is made per id (:func:`pseudonym_column` formats
    them, vectorised).
    """
    block = hashlib.sha256().block_size
    padded = (hashlib.sha256(key).digest() if len(key) > block else key).ljust(block, b"\0")
    inner = hashlib.sha256(bytes(b ^ 0x36 for b in padded))
    inner.update(f"{scope}|{kind}|".encode())
    outer = hashlib.sha256(bytes(b ^ 0x5C for b in padded))
    inner_copy, outer_copy = inner.copy, outer.copy
    values = np.asarray(ids, dtype=np.int64)
    out = np.empty((values.shape[0], PSEUDONYM_BYTES), dtype=np.uint8)
    for start in range(0, values.shape[0], _HASH_BATCH):
        digests: list[bytes] = []
        append = digests.append
        for i in values[start : start + _HASH_BATCH].tolist():
            h = inner_copy()
            h.update(b"%d" % i)
            o = outer_copy()
            o.update(h.digest())
            append(o.digest())
        full = np.frombuffer(b"".join(digests), dtype=np.uint8).reshape(-1, _SHA256_BYTES)
        out[start : start + full.shape[0]] = full[:, :PSEUDONYM_BYTES]
    return out


def pseudonym_column(
    name: str, digests: NDArray[np.uint8], valid: NDArray[np.bool_] | None = None
) -> pl.Series:
    """Digests from :func:`pseudonym_digests` as a text column of lower-case hex
    (null where ``valid`` is false), built from one buffer: no Python string per row."""
    import pyarrow as pa

    n = digests.shape[0]
    chars = np.empty((n, 2 * PSEUDONYM_BYTES), dtype=np.uint8)
    chars[:, 0::2] = _HEX_DIGITS[digests >> 4]
    chars[:, 1::2] = _HEX_DIGITS[digests & 0x0F]
    offsets = np.arange(0, 2 * PSEUDONYM_BYTES * n + 1, 2 * PSEUDONYM_BYTES, dtype=np.int64)
    validity = (
        None
        if valid is None or valid.all()
        else pa.py_buffer(np.packbits(np.asarray(valid, dtype=np.bool_), bitorder="little"))
    )
    array = pa.Array.from_buffers(
        pa.large_string(), n, [validity, pa.py_buffer(offsets), pa.py_buffer(chars)]
    )
    series = pl.from_arrow(array)
    assert isinstance(series, pl.Series)
    return series.alias(name)


def pseudonyms(
    key: bytes, scope: str, kind: str, ids: Sequence[int] | NDArray[np.int64]
) -> list[str]:
    """The pseudonym of each internal id (see the module docstring).

    >>> import hmac
    >>> one = pseudonyms(b"k" * 16, "wave:w", "respondent", [7])[0]
    >>> one == hmac.new(b"k" * 16, b"wave:w|respondent|7", hashlib.sha256).hexdigest()[:16]
    True
    """
    return pseudonym_column("id", pseudonym_digests(key, scope, kind, ids)).to_list()


class Pseudonyms:
    """The ``respondent_id`` and ``organisation_id`` columns of an export, a chunk at a time.

    Respondents are hashed chunk by chunk; each known organisation is hashed once,
    the first time a chunk holds one of its respondents, and its digest kept (8
    bytes an organisation) for the later chunks. The columns are the same
    whatever the order the chunks are asked for in; a lock lets a writer build
    chunks in a thread of its own.
    """

    def __init__(self, matrix: ResponseMatrix, key: bytes, scope: str) -> None:
        self._key, self._scope = key, scope
        self._respondent = np.asarray(matrix.respondent_id, dtype=np.int64)
        self._known = np.asarray(matrix.verified, dtype=np.bool_)
        self._organisations, index = np.unique(
            matrix.organisation[self._known], return_inverse=True
        )
        #: each response's organisation, as a position in ``_organisations`` (-1: not known)
        self._index = np.full(self._known.shape[0], -1, dtype=np.int64)
        self._index[self._known] = index
        self._digests = np.zeros((self._organisations.shape[0], PSEUDONYM_BYTES), np.uint8)
        self._hashed = np.zeros(self._organisations.shape[0], dtype=np.bool_)
        self._lock = threading.Lock()

    def columns(self, start: int, stop: int) -> tuple[pl.Series, pl.Series]:
        """``respondent_id`` and ``organisation_id`` of rows ``start:stop``."""
        rows = slice(start, stop)
        respondent = pseudonym_digests(self._key, self._scope, "respondent", self._respondent[rows])
        index = self._index[rows]
        known = index >= 0
        organisation = np.zeros((index.shape[0], PSEUDONYM_BYTES), dtype=np.uint8)
        if known.any():
            with self._lock:
                needed = np.unique(index[known])
                todo = needed[~self._hashed[needed]]
                if todo.size:
                    self._digests[todo] = pseudonym_digests(
                        self._key, self._scope, "organisation", self._organisations[todo]
                    )
                    self._hashed[todo] = True
                organisation[known] = self._digests[index[known]]
        return (
            pseudonym_column("respondent_id", respondent),
            pseudonym_column("organisation_id", organisation, known),
        )


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
