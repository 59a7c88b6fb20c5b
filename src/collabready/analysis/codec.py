"""The answer byte codec: how one response's answers are stored, and decoded in bulk.

A response's rated answers are one ``bytes`` value holding an int8 code per
item in ``Instrument.item_ids`` order (``MISSING``, 9, marks an item not yet
answered); its profile answers are one byte per question in
``Instrument.profile`` order (:data:`PROFILE_MISSING`, 0, marks a question not
yet answered; choice codes start at 1). See docs/adr/0001-response-storage.md.

:func:`matrix_from_rows` stacks many stored rows into the column-major code
matrix in one copy; :func:`profile_lookup` is the one code → choice-value
table per question, built once per instrument.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from functools import cache

import numpy as np
from numpy.typing import NDArray

from collabready.instrument import MISSING, Instrument, ProfileQuestion
from collabready.stats.factor import Factor

PROFILE_MISSING = 0

__all__ = [
    "PROFILE_MISSING",
    "answers_decode",
    "answers_empty",
    "answers_update",
    "matrix_from_rows",
    "profile_decode",
    "profile_empty",
    "profile_factor",
    "profile_lookup",
    "profile_update",
    "profile_values",
]


def answers_empty(instrument: Instrument) -> bytes:
    """Answers for a response that has answered nothing."""
    return bytes([MISSING]) * len(instrument.item_ids)


def profile_empty(instrument: Instrument) -> bytes:
    return bytes([PROFILE_MISSING]) * len(instrument.profile)


def answers_decode(data: bytes, instrument: Instrument) -> dict[str, int]:
    """Item id -> code, leaving out items not answered."""
    _check_length(data, len(instrument.item_ids), "answers")
    return {
        item_id: code
        for item_id, code in zip(instrument.item_ids, data, strict=True)
        if code != MISSING
    }


def answers_update(data: bytes, instrument: Instrument, values: Mapping[str, int]) -> bytes:
    """``data`` with the codes in ``values`` written at their items' positions."""
    _check_length(data, len(instrument.item_ids), "answers")
    out = bytearray(data)
    position = {item_id: j for j, item_id in enumerate(instrument.item_ids)}
    for item_id, code in values.items():
        if not 0 <= code <= 127:
            raise ValueError(f"answers: code {code} for item {item_id!r} is not an int8 code")
        out[position[item_id]] = code
    return bytes(out)


def profile_decode(data: bytes, instrument: Instrument) -> dict[str, int]:
    """Profile question id -> choice code, leaving out questions not answered."""
    _check_length(data, len(instrument.profile), "profile")
    return {
        q.id: code
        for q, code in zip(instrument.profile, data, strict=True)
        if code != PROFILE_MISSING
    }


def profile_update(data: bytes, instrument: Instrument, values: Mapping[str, int]) -> bytes:
    _check_length(data, len(instrument.profile), "profile")
    out = bytearray(data)
    position = {q.id: j for j, q in enumerate(instrument.profile)}
    for question_id, code in values.items():
        if not 1 <= code <= 127:
            raise ValueError(
                f"profile: code {code} for question {question_id!r} is not a choice code"
            )
        out[position[question_id]] = code
    return bytes(out)


def matrix_from_rows(rows: Sequence[bytes] | bytes, width: int, n: int = -1) -> NDArray[np.int8]:
    """Stack equal-length byte rows into an (n, width) column-major int8 matrix.

    ``rows`` may also be the ``n`` rows already joined into one ``bytes`` value
    (as the database concatenates them).
    """
    if isinstance(rows, bytes):
        if n < 0 or len(rows) != n * width:
            raise ValueError(f"{len(rows)} bytes are not {n} response rows of {width} codes")
        flat = np.frombuffer(rows, dtype=np.int8)
        return column_major(flat.reshape(n, width))
    if not rows:
        return np.empty((0, width), dtype=np.int8, order="F")
    if set(map(len, rows)) != {width}:  # every row, not only the total
        raise ValueError(f"response rows do not all hold {width} codes")
    flat = np.frombuffer(b"".join(rows), dtype=np.int8)
    return column_major(flat.reshape(len(rows), width))


#: Rows copied at a time by :func:`column_major` (a block of them fits in the cache).
_BLOCK_ROWS = 1024


def column_major(rows: NDArray[np.int8]) -> NDArray[np.int8]:
    """A row-major (n, width) code matrix as a column-major copy.

    Copied in blocks of rows, each small enough for the CPU cache: about six times
    faster than :func:`numpy.asfortranarray` on a national wave's 1,000,000 × 81
    codes (whose strided copy misses the cache on every column).
    """
    n = rows.shape[0]
    out = np.empty(rows.shape, dtype=rows.dtype, order="F")
    for start in range(0, n, _BLOCK_ROWS):
        out[start : start + _BLOCK_ROWS] = rows[start : start + _BLOCK_ROWS]
    return out


def profile_lookup(question: ProfileQuestion) -> NDArray[np.object_]:
    """Code -> choice value for one question (256 entries; ``None`` where no choice).

    Built once per distinct set of choices.
    """
    return _lookup(tuple((c.code, c.value) for c in question.choices))


@cache
def _lookup(choices: tuple[tuple[int, str], ...]) -> NDArray[np.object_]:
    lookup = np.full(256, None, dtype=object)
    for code, value in choices:
        lookup[code] = value
    lookup.setflags(write=False)
    return lookup


def profile_factor(codes: NDArray[np.int8], question: ProfileQuestion) -> Factor:
    """A column of profile codes as a :class:`~collabready.stats.Factor`: one level per
    choice in questionnaire order, ``-1`` where not answered (one table lookup)."""
    out = _positions(tuple(c.code for c in question.choices))[np.asarray(codes).view(np.uint8)]
    return Factor(codes=out, levels=tuple(c.value for c in question.choices))


@cache
def _positions(codes: tuple[int, ...]) -> NDArray[np.intp]:
    table = np.full(256, -1, dtype=np.intp)
    table[list(codes)] = np.arange(len(codes))
    table.setflags(write=False)
    return table


def profile_values(codes: NDArray[np.int8], question: ProfileQuestion) -> NDArray[np.object_]:
    """A column of profile codes as choice values (``None`` where not answered)."""
    out: NDArray[np.object_] = profile_lookup(question)[np.asarray(codes).view(np.uint8)]
    return out


def _check_length(data: bytes, width: int, what: str) -> None:
    if len(data) != width:
        raise ValueError(f"{what}: stored {len(data)} codes but the instrument has {width}")
