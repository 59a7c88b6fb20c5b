"""Grouping variables as integer codes plus level labels.

The kernels of the statistics engine work on integer codes (``-1`` meaning
missing) so that they can use :func:`numpy.bincount`. :func:`factorize` turns
whatever the caller has (a numpy array, a pandas or polars Series, a list) into
a :class:`Factor` once; the result can be reused by every estimate.

Levels are sorted (or taken from ``levels=`` when given), never ordered by first
appearance, so that results do not depend on the order of the rows.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np
import numpy.typing as npt

from collabready.stats.errors import FactorError

IntArray = npt.NDArray[np.intp]

#: Largest code range renumbered with a dense bincount rather than by sorting.
_DENSE_LIMIT = 50_000_000


@dataclass(frozen=True, slots=True)
class Factor:
    """Integer codes (``-1`` = missing) and the label of each code."""

    codes: IntArray
    levels: tuple[str, ...]

    def __post_init__(self) -> None:
        if self.codes.ndim != 1:
            raise FactorError("factor codes must be one-dimensional")
        if self.codes.size and (self.codes.max() >= len(self.levels) or self.codes.min() < -1):
            raise FactorError(
                f"factor codes must lie in -1..{len(self.levels) - 1} for {len(self.levels)} levels"
            )

    def __len__(self) -> int:
        return int(self.codes.shape[0])

    @property
    def n_levels(self) -> int:
        """Number of levels."""
        return len(self.levels)


def _is_polars(values: object) -> bool:
    return type(values).__module__.startswith("polars")


def _factorize_polars(values: Any, levels: Sequence[str] | None, name: str) -> Factor:
    import polars as pl  # only when the caller already uses polars

    series = values if values.dtype == pl.String else values.cast(pl.String)
    if levels is None:
        levels = sorted(v for v in series.unique().drop_nulls().to_list() if v is not None)
    # a non-strict cast turns unknown values into nulls: more nulls than before means
    # some value is not a level (cheaper than listing the distinct values first)
    coded = series.cast(pl.Enum(list(levels)), strict=False)
    if coded.null_count() > series.null_count():
        unknown = sorted(series.filter(coded.is_null() & series.is_not_null()).unique().to_list())
        raise FactorError(
            f"{name}: value {unknown[0]!r} is not one of the known levels ({', '.join(levels)})"
        )
    codes = coded.to_physical().fill_null(-1).to_numpy()
    return Factor(codes=np.asarray(codes, dtype=np.intp), levels=tuple(levels))


def factorize(
    values: Factor | npt.ArrayLike | Any,
    *,
    levels: Sequence[str] | None = None,
    name: str = "values",
) -> Factor:
    """Turn labels into a :class:`Factor`.

    ``values`` may be a :class:`Factor` (returned as is, or recoded to
    ``levels``), a numpy array, list, pandas or polars Series. Missing values
    (``None``, ``NaN``, null) get code ``-1``. Labels are compared as strings.
    With ``levels`` given, a value outside them raises :class:`FactorError`
    naming ``name`` and the value.

    >>> f = factorize(["b", "a", None, "b"])
    >>> f.levels, f.codes.tolist()
    (('a', 'b'), [1, 0, -1, 1])
    """
    if isinstance(values, Factor):
        if levels is None or tuple(levels) == values.levels:
            return values
        unknown = sorted(set(values.levels) - set(levels))
        used = np.bincount(values.codes[values.codes >= 0], minlength=values.n_levels)
        unknown = [u for u in unknown if used[values.levels.index(u)] > 0]
        if unknown:
            raise FactorError(
                f"{name}: value {unknown[0]!r} is not one of the known levels ({', '.join(levels)})"
            )
        position = {level: i for i, level in enumerate(levels)}
        recode = np.array([position.get(v, -1) for v in values.levels] + [-1], dtype=np.intp)
        return Factor(codes=recode[values.codes], levels=tuple(levels))
    if _is_polars(values):
        return _factorize_polars(values, levels, name)
    import pandas as pd  # here: the loader and the exports import this module, not pandas

    array = np.asarray(values)
    if array.ndim != 1:
        raise FactorError(f"{name}: expected one value per row, got shape {array.shape}")
    if array.dtype.kind in "iub":
        # numbers: sort numerically, label by their text
        raw_codes, uniques = pd.factorize(array, sort=True)
        labels: list[str] = [str(v) for v in uniques]
    else:
        # text or objects: pandas hashes them in C and maps None / NaN to -1
        try:
            raw_codes, uniques = pd.factorize(array, sort=True)
        except TypeError:  # mixed types cannot be sorted: compare them as text
            missing = pd.isna(array)
            as_text = array.astype(str).astype(object)
            as_text[missing] = None
            raw_codes, uniques = pd.factorize(as_text, sort=True)
        labels = [str(v) for v in uniques]
    codes = np.asarray(raw_codes, dtype=np.intp)
    if levels is None:
        return Factor(codes=codes, levels=tuple(labels))
    unknown = sorted(set(labels) - set(levels))
    if unknown:
        raise FactorError(
            f"{name}: value {unknown[0]!r} is not one of the known levels ({', '.join(levels)})"
        )
    position = {level: i for i, level in enumerate(levels)}
    recode = np.array([position[v] for v in labels] + [-1], dtype=np.intp)
    return Factor(codes=recode[codes], levels=tuple(levels))


def compact_codes(code: npt.NDArray[np.int64], size: int) -> tuple[IntArray, IntArray]:
    """Renumber codes in ``0..size-1`` (``-1`` = missing) to ``0..k-1`` in sorted order.

    Returns the new codes (``-1`` kept) and the original code of each new one.
    Uses a dense bincount when ``size`` is moderate, sorting otherwise.
    """
    valid = code >= 0
    if size <= _DENSE_LIMIT:
        present = np.flatnonzero(
            np.bincount(code[valid] if not valid.all() else code, minlength=size)
        )
        remap = np.full(size + 1, -1, dtype=np.intp)
        remap[present] = np.arange(present.size)
        return remap[code].astype(np.intp), present.astype(np.intp)
    present, inverse = np.unique(code[valid], return_inverse=True)
    out = np.full(code.shape, -1, dtype=np.intp)
    out[valid] = inverse
    return out, present.astype(np.intp)


def cross(*factors: Factor, separator: str = " × ") -> Factor:
    """The crossing of several factors (for example sector × size) as one factor.

    Only combinations that occur get a level; a row missing in any factor is
    missing in the result.
    """
    if not factors:
        raise FactorError("cross() needs at least one factor")
    n = len(factors[0])
    if any(len(f) != n for f in factors):
        raise FactorError("cross(): factors have different lengths")
    code = np.zeros(n, dtype=np.int64)
    missing = np.zeros(n, dtype=bool)
    for f in factors:
        code = code * f.n_levels + np.maximum(f.codes, 0)
        missing |= f.codes < 0
    size = int(np.prod([f.n_levels for f in factors], dtype=np.float64))
    compact, present = compact_codes(np.where(missing, np.int64(-1), code), size)
    codes = compact
    labels = []
    for value in present:
        parts = []
        rest = int(value)
        for f in reversed(factors):
            rest, level = divmod(rest, f.n_levels)
            parts.append(f.levels[level])
        labels.append(separator.join(reversed(parts)))
    return Factor(codes=codes.astype(np.intp), levels=tuple(labels))


class ColumnSource(Protocol):
    """Anything with named columns: a dict of arrays, a pandas or polars DataFrame."""

    def __getitem__(self, key: str, /) -> Any: ...

    def __contains__(self, key: object, /) -> bool: ...
