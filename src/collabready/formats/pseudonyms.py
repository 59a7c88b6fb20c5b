"""Pseudonymous ids: HMAC-SHA256 of internal ids, the first 16 hex digits.

``respondent_id`` and ``organisation_id`` of an export are the first 16 hex
digits (64 bits) of HMAC-SHA256 under the export's id key of
``"<scope>|respondent|<internal id>"`` (``organisation`` likewise; the scope
is ``wave:<slug>`` for a wave, empty for a file). The same key and scope give
the same pseudonym in every export of the wave; without the key a pseudonym
cannot be traced back. **These bytes must not change**: analysts join exports
of a wave on them (``tests/formats/test_export.py`` pins a few).

The hashing is the export's main cost in Python, so it is done without a
Python string per id: :func:`pseudonym_digests` returns the digests as one
``uint8`` array, :func:`pseudonym_column` formats them as hex from one buffer,
and :class:`Pseudonyms` hashes an export's rows a chunk at a time, each
organisation once.
"""

from __future__ import annotations

import hashlib
import importlib
import threading
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any, Final, cast

import numpy as np
import polars as pl
from numpy.typing import NDArray

if TYPE_CHECKING:
    from collabready.analysis.load import ResponseMatrix

__all__ = [
    "PSEUDONYM_BYTES",
    "Pseudonyms",
    "pseudonym_column",
    "pseudonym_digests",
    "pseudonyms",
]

#: bytes of the HMAC kept in a pseudonym (16 hex digits, 64 bits)
PSEUDONYM_BYTES: Final = 8
_SHA256_BYTES: Final = 32
#: ids hashed into one joined buffer at a time (bounds the temporary bytes objects)
_HASH_BATCH: Final = 65_536
_HEX_DIGITS: Final = np.frombuffer(b"0123456789abcdef", dtype=np.uint8)


def _state_sha256() -> Callable[..., Any]:
    """The SHA-256 whose state is cheapest to copy: CPython's own (``_sha2`` from 3.12,
    ``_sha256`` before), whose ``copy()`` is a plain copy of the state, about a quarter
    faster here than OpenSSL's (which allocates a context per copy); ``hashlib``'s
    if neither is built. The digests are SHA-256's either way (the tests compare them)."""
    for name in ("_sha2", "_sha256"):
        try:
            module = importlib.import_module(name)
        except ImportError:
            continue
        constructor = getattr(module, "sha256", None)
        if constructor is not None:
            return cast("Callable[..., Any]", constructor)
    return hashlib.sha256


def pseudonym_digests(
    key: bytes, scope: str, kind: str, ids: Sequence[int] | NDArray[np.int64]
) -> NDArray[np.uint8]:
    """The first :data:`PSEUDONYM_BYTES` bytes of each id's HMAC-SHA256, one row per id.

    HMAC-SHA256 computed from its two precomputed SHA-256 states (RFC 2104: the
    key padded and XORed with ``ipad`` and ``opad``, the common prefix
    ``"<scope>|<kind>|"`` already hashed into the inner state): each id then
    costs two state copies and one compression each, the same digests as
    :func:`hmac.new` at about a third of the time of ``hmac.digest`` (which sets
    the key up again for every message). The states are those of
    :func:`_state_sha256`. The ids are hashed a batch at a time into
    one array, so no Python string is made per id (:func:`pseudonym_column` formats
    them, vectorised).
    """
    sha256 = _state_sha256()
    block = sha256().block_size
    padded = (hashlib.sha256(key).digest() if len(key) > block else key).ljust(block, b"\0")
    inner = sha256(bytes(b ^ 0x36 for b in padded))
    inner.update(f"{scope}|{kind}|".encode())
    outer = sha256(bytes(b ^ 0x5C for b in padded))
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
