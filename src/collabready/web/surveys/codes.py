"""The compact answer encoding: one int8 code per item, as bytes.

``answers`` bytes follow ``Instrument.item_ids``; ``MISSING`` (9) marks an item
not yet answered. ``profile`` bytes follow ``Instrument.profile``; 0 marks a
question not yet answered (choice codes start at 1).
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
from numpy.typing import NDArray

from collabready.instrument import MISSING, Instrument

PROFILE_MISSING = 0


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


def matrix_from_rows(rows: list[bytes], width: int) -> NDArray[np.int8]:
    """Stack equal-length byte rows into an (n, width) column-major int8 matrix."""
    if not rows:
        return np.empty((0, width), dtype=np.int8, order="F")
    flat = np.frombuffer(b"".join(rows), dtype=np.int8)
    if flat.size != len(rows) * width:
        raise ValueError(f"response rows do not all hold {width} codes")
    return np.asfortranarray(flat.reshape(len(rows), width))


def _check_length(data: bytes, width: int, what: str) -> None:
    if len(data) != width:
        raise ValueError(f"{what}: stored {len(data)} codes but the instrument has {width}")
