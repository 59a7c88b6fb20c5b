"""collabready: measure how ready organisations are to collaborate.

The Python API::

    import collabready
    instrument = collabready.load_instrument()          # the bundled CRI, latest version
    scores = collabready.score(responses, instrument)   # pandas or polars in, same kind out
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

__all__ = ["__version__", "load_instrument", "score"]

if TYPE_CHECKING:
    from collabready.instrument import load_instrument
    from collabready.scoring import score


def __getattr__(name: str) -> Any:
    # Keep `import collabready` cheap: heavy modules load on first use.
    if name == "load_instrument":
        from collabready.instrument import load_instrument

        return load_instrument
    if name == "score":
        from collabready.scoring import score

        return score
    raise AttributeError(f"module 'collabready' has no attribute {name!r}")
