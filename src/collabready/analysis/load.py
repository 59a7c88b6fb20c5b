"""Load a wave: the column-major code matrix plus organisation and profile columns.

Everything downstream (scoring, weighting, estimates, the profile) reads a
:class:`ResponseMatrix`. It comes from a response file (Parquet or CSV, as
``collabready synth`` writes: :func:`read_responses`, :func:`from_frame`) or
from stored answer bytes (:func:`from_rows`, which the web layer's thin
adapter feeds straight from the database). There is no DataFrame in between.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

import numpy as np
import polars as pl
from numpy.typing import NDArray

from collabready.analysis import codec
from collabready.analysis.policy import cluster_ids
from collabready.errors import UserError
from collabready.instrument import Instrument
from collabready.scoring import matrix_from_columns
from collabready.scoring.api import polars_codes
from collabready.stats.factor import Factor, factorize

__all__ = [
    "ORGANISATION_COLUMN",
    "ProfileValues",
    "ResponseMatrix",
    "WaveInputError",
    "as_matrix",
    "from_frame",
    "from_rows",
    "read_responses",
]

#: The file column that identifies a respondent's organisation.
ORGANISATION_COLUMN = "organisation_id"


class WaveInputError(UserError, ValueError):
    """The responses cannot be loaded as given."""


class ProfileValues(Mapping[str, NDArray[np.object_]]):
    """The profile columns as choice values (``None`` where not answered), each made
    from its factor on first use: membership and iteration never decode a column."""

    def __init__(self, factors: Mapping[str, Factor]) -> None:
        self._factors = factors
        self._values: dict[str, NDArray[np.object_]] = {}

    def __getitem__(self, name: str) -> NDArray[np.object_]:
        values = self._values.get(name)
        if values is None:
            factor = self._factors[name]
            table = np.array([*factor.levels, None], dtype=object)
            values = self._values[name] = table[factor.codes]
        return values

    def __iter__(self) -> Iterator[str]:
        return iter(self._factors)

    def __len__(self) -> int:
        return len(self._factors)

    def __contains__(self, name: object) -> bool:
        return name in self._factors


@dataclass(frozen=True)
class ResponseMatrix:
    """A wave's responses, ready for scoring.

    ``codes`` is (respondents × ``instrument.item_ids``) int8, column-major,
    ``MISSING`` where not answered. ``factors`` maps each profile question in
    the data to its answers as a :class:`~collabready.stats.Factor` (levels:
    the choice values in questionnaire order, then any other values a file
    holds, sorted; ``-1`` where not answered); :attr:`profile` gives the same
    as choice values.
    ``organisation`` is the cluster of each respondent (see
    :func:`collabready.analysis.policy.cluster_ids`); ``verified`` says whose
    organisation is known from the sample (an invitation, an import, a file's
    ``organisation_id``) rather than unknown (an open-link response).
    ``clustered`` is False when the source had no organisations at all.
    """

    instrument: Instrument
    codes: NDArray[np.int8]
    factors: Mapping[str, Factor]
    respondent_id: NDArray[np.int64]
    organisation: NDArray[np.int64]
    verified: NDArray[np.bool_]
    complete: NDArray[np.bool_]
    clustered: bool

    @cached_property
    def profile(self) -> Mapping[str, NDArray[np.object_]]:
        """Each profile column as choice values (``None`` where not answered)."""
        return ProfileValues(self.factors)

    @cached_property
    def sha256(self) -> str:
        """SHA-256 of the content, for the report stamp (computed on first use)."""
        return _digest(self.codes, self.profile, self.respondent_id, self.organisation)

    def __len__(self) -> int:
        return int(self.codes.shape[0])

    def subset(self, mask: NDArray[np.bool_]) -> ResponseMatrix:
        """The respondents where ``mask`` is true."""
        return ResponseMatrix(
            self.instrument,
            np.asfortranarray(self.codes[mask]),
            {k: Factor(f.codes[mask], f.levels) for k, f in self.factors.items()},
            self.respondent_id[mask],
            self.organisation[mask],
            self.verified[mask],
            self.complete[mask],
            self.clustered,
        )


def _digest(
    codes: NDArray[np.int8],
    profile: Mapping[str, NDArray[np.object_]],
    ids: NDArray[np.int64],
    organisation: NDArray[np.int64],
) -> str:
    h = hashlib.sha256()
    h.update(np.ascontiguousarray(ids).tobytes())
    h.update(np.ascontiguousarray(organisation).tobytes())
    h.update(np.ascontiguousarray(codes.T).data)  # column-major: .T is contiguous
    for name, values in profile.items():
        h.update(name.encode())
        h.update(pl.Series(values.tolist(), dtype=pl.Utf8).hash(seed=0).to_numpy().tobytes())
    return h.hexdigest()


def from_frame(
    responses: pl.DataFrame, instrument: Instrument, *, source: str = "data"
) -> ResponseMatrix:
    """A response table (one row per respondent, columns named by item id) as a matrix.

    Item columns hold codes (null = not answered); profile columns hold choice
    values; ``respondent_id`` (default 1..n), ``organisation_id`` (null = not
    known) and ``complete`` (default true) are optional.
    """
    if responses.height == 0:
        raise WaveInputError(f"{source}: has no rows")
    n = responses.height
    cols = {
        i: polars_codes(responses.get_column(i))
        for i in instrument.item_ids
        if i in responses.columns
    }
    codes = matrix_from_columns(cols, instrument, source=source)
    factors = _profile_factors(responses, instrument)
    rid = (
        responses.get_column("respondent_id").to_numpy().astype(np.int64)
        if "respondent_id" in responses.columns
        else np.arange(1, n + 1, dtype=np.int64)
    )
    clustered = ORGANISATION_COLUMN in responses.columns
    if clustered:
        try:
            raw = responses.get_column(ORGANISATION_COLUMN).cast(pl.Int64)
        except pl.exceptions.PolarsError:
            raise WaveInputError(
                f"{source}: column {ORGANISATION_COLUMN!r} must hold whole numbers"
            ) from None
        known = ~raw.is_null().to_numpy()
        organisation = cluster_ids(raw.fill_null(0).to_numpy().astype(np.int64), known)
    else:
        known = np.zeros(n, dtype=np.bool_)
        organisation = cluster_ids(np.zeros(n, dtype=np.int64), known)
    complete = (
        responses.get_column("complete").fill_null(False).to_numpy().astype(bool)
        if "complete" in responses.columns
        else np.ones(n, dtype=bool)
    )
    return ResponseMatrix(
        instrument,
        codes,
        factors,
        rid,
        organisation,
        known,
        complete,
        clustered,
    )


def _profile_factors(responses: pl.DataFrame, instrument: Instrument) -> dict[str, Factor]:
    """A file's profile columns as factors (``-1`` where not answered).

    Values that are all choices of the question become codes in questionnaire
    order: one categorical cast per column, all in one ``select`` (which polars
    runs in parallel). A column holding other values keeps them as levels of
    their own, after the choices, sorted.
    """
    questions = [q for q in instrument.profile if q.id in responses.columns]
    choices = {q.id: [c.value for c in q.choices] for q in questions}
    coded = responses.select(
        pl.col(q.id).cast(pl.Utf8).cast(pl.Enum(choices[q.id]), strict=False) for q in questions
    )
    factors = {}
    for q in questions:
        column = coded.get_column(q.id)
        text = responses.get_column(q.id)
        if column.null_count() == text.null_count():
            codes = column.to_physical().fill_null(-1).to_numpy().astype(np.intp)
            factors[q.id] = Factor(codes, tuple(choices[q.id]))
        else:
            text = text.cast(pl.Utf8)
            others = sorted(set(text.drop_nulls().unique().to_list()) - set(choices[q.id]))
            factors[q.id] = factorize(text, levels=[*choices[q.id], *others], name=q.id)
    return factors


def read_responses(path: Path, instrument: Instrument) -> ResponseMatrix:
    """Load a response file (Parquet or CSV)."""
    from collabready.formats import read_table

    return from_frame(read_table(path), instrument, source=str(path))


def from_rows(
    *,
    instrument: Instrument,
    response_ids: Sequence[int] | NDArray[np.int64],
    answers: Sequence[bytes] | bytes,
    profiles: Sequence[bytes] | bytes,
    organisation: NDArray[np.int64],
    verified: NDArray[np.bool_],
) -> ResponseMatrix:
    """Stored answer bytes (one row per response) as a matrix.

    ``organisation`` holds an organisation number per response, meaningful
    where ``verified``; other responses become clusters of their own. The answer
    and profile rows may come as one ``bytes`` value each, the rows joined in order.
    """
    ids = np.asarray(response_ids, dtype=np.int64)
    n = int(ids.shape[0])
    codes = codec.matrix_from_rows(answers, len(instrument.item_ids), n)
    profile_codes = codec.matrix_from_rows(profiles, len(instrument.profile), n)
    factors = {
        q.id: codec.profile_factor(profile_codes[:, j], q) for j, q in enumerate(instrument.profile)
    }
    known = np.asarray(verified, dtype=np.bool_)
    clusters = cluster_ids(np.asarray(organisation, dtype=np.int64), known)
    return ResponseMatrix(
        instrument,
        codes,
        factors,
        ids,
        clusters,
        known,
        np.ones(ids.shape[0], dtype=np.bool_),
        True,
    )


def as_matrix(
    responses: ResponseMatrix | pl.DataFrame, instrument: Instrument, *, source: str = "data"
) -> ResponseMatrix:
    """``responses`` loaded (a matrix is returned as it is, after checking its instrument)."""
    if isinstance(responses, ResponseMatrix):
        if responses.instrument.key != instrument.key:
            raise WaveInputError(
                f"{source}: the responses are to {responses.instrument.key}, not {instrument.key}"
            )
        return responses
    return from_frame(responses, instrument, source=source)
