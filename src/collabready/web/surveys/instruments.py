"""Which :class:`Instrument` a wave uses, by its key ``id@version``.

Bundled instruments come from :func:`collabready.instrument.load_instrument`;
others (tests, a deployment's own questionnaire) are registered in-process with
:func:`instrument_register`.
"""

from __future__ import annotations

from functools import lru_cache

from collabready.errors import UserError
from collabready.instrument import Instrument

_REGISTERED: dict[str, Instrument] = {}


class UnknownInstrumentError(UserError):
    """A wave names an instrument version that is neither bundled nor registered."""


def instrument_register(instrument: Instrument) -> None:
    """Make ``instrument`` available to waves under ``instrument.key``."""
    _REGISTERED[instrument.key] = instrument
    instrument_get.cache_clear()


@lru_cache(maxsize=32)
def instrument_get(key: str) -> Instrument:
    """The instrument called ``key`` (``id@version``)."""
    if key in _REGISTERED:
        return _REGISTERED[key]
    instrument_id, _, version = key.partition("@")
    try:
        from collabready.instrument import load_instrument

        instrument: Instrument = load_instrument(version or None)
    except (ImportError, UserError) as exc:
        raise UnknownInstrumentError(f"instrument {key!r} is not available: {exc}") from exc
    if instrument.id != instrument_id:
        raise UnknownInstrumentError(
            f"instrument {key!r} is not available: the bundled instrument is {instrument.key}"
        )
    return instrument


def instrument_latest() -> Instrument:
    """The latest bundled instrument version."""
    from collabready.instrument import load_instrument

    instrument: Instrument = load_instrument()
    return instrument


def instruments_available() -> list[Instrument]:
    """Every instrument a wave can use: the bundled versions and those registered."""
    from collabready.instrument import load_instrument
    from collabready.instrument.loader import available_versions

    found: dict[str, Instrument] = {}
    for version in available_versions():
        try:
            bundled: Instrument = load_instrument(version)
        except UserError:
            continue
        found[bundled.key] = bundled
    found.update(_REGISTERED)
    return [found[k] for k in sorted(found)]


def instrument_published() -> list[str]:
    """The instrument versions a wave can use (bundled, then registered), newest first."""
    from collabready.instrument.loader import available_versions

    keys: list[str] = []
    try:
        bundled = [instrument_get(f"cri@{v}").key for v in available_versions()]
    except (ImportError, UserError):
        bundled = []
    keys.extend(reversed(bundled))
    keys.extend(k for k in _REGISTERED if k not in keys)
    return keys
