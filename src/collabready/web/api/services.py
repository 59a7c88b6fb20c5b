"""Idempotent writes: an ``Idempotency-Key`` makes a retried request safe.

Following draft-ietf-httpapi-idempotency-key-header: the first request with a
key is carried out and its answer stored with the key and the request's
fingerprint (SHA-256 of the method, path and canonical JSON body), in the same
transaction as the write. The same key with the same request again answers the
stored answer (nothing is written twice); the same key with a different request
is refused with 422. Two requests racing with one key are serialised by the
unique constraint on (token, key): the second waits for the first to commit,
then replays its answer. A request that fails (invalid answers, a closed wave)
stores nothing, so it can be corrected and retried with the same key.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.db import IntegrityError, transaction

from collabready.web.access.models import ApiToken
from collabready.web.api.common import ApiError
from collabready.web.api.models import IdempotentRequest

MAX_KEY_LENGTH = 255


@dataclass(frozen=True, slots=True)
class Outcome:
    status: int
    body: dict[str, Any]
    replayed: bool


def fingerprint(*, method: str, path: str, payload: Any) -> str:
    canonical = json.dumps(payload, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(f"{method} {path}\n{canonical}".encode()).hexdigest()


def _replay(stored: IdempotentRequest, print_: str) -> Outcome:
    if stored.fingerprint != print_:
        raise ApiError(
            422,
            "Idempotency-Key: this key was already used for a different request; use a new "
            "key for a new request",
            errors=[{"loc": ["header", "Idempotency-Key"], "msg": "reused with another payload"}],
        )
    return Outcome(stored.status, dict(stored.body), replayed=True)


def idempotent(
    *,
    token: ApiToken,
    key: str | None,
    print_: str,
    run: Callable[[], tuple[int, dict[str, Any], int | None]],
) -> Outcome:
    """Carry out ``run`` once per (token, key) and request fingerprint ``print_``;
    ``run`` returns the status, the body and the id of the response it stored."""
    if key is None or not key.strip():
        raise ApiError(
            400,
            "Idempotency-Key: this request needs the header (a unique value, such as a UUID, "
            "per response you submit) so that a retry cannot store it twice",
            errors=[{"loc": ["header", "Idempotency-Key"], "msg": "missing"}],
        )
    key = key.strip()
    if len(key) > MAX_KEY_LENGTH or "\x00" in key:
        raise ApiError(
            400,
            f"Idempotency-Key: at most {MAX_KEY_LENGTH} characters, and no NUL",
            errors=[{"loc": ["header", "Idempotency-Key"], "msg": "too long or NUL"}],
        )
    stored = IdempotentRequest.objects.filter(token=token, key=key).first()
    if stored is not None:
        return _replay(stored, print_)
    try:
        with transaction.atomic():
            # Claim the key first: a concurrent request with the same key blocks here
            # until this transaction ends, then fails the unique constraint and replays.
            claim = IdempotentRequest.objects.create(
                token=token, key=key, fingerprint=print_, status=0, body={}
            )
            status, body, response_id = run()
            claim.status, claim.body, claim.response_id = status, body, response_id
            claim.save(update_fields=["status", "body", "response"])
    except IntegrityError:
        stored = IdempotentRequest.objects.filter(token=token, key=key).first()
        if stored is None:  # pragma: no cover - the other request rolled back: try again
            raise ApiError(
                409, "Idempotency-Key: a request with this key is in progress; retry"
            ) from None
        return _replay(stored, print_)
    return Outcome(status, body, replayed=False)
