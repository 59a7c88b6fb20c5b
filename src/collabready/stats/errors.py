"""Errors and warnings raised by the statistics engine.

Every error here is a :class:`~collabready.errors.UserError`: its message says
what was wrong (which variable, which level, which file, row and column) and,
where it helps, what to do about it.
"""

from __future__ import annotations

from collabready.errors import InputFileError, UserError


class StatsInputError(UserError, ValueError):
    """An input to a statistics function is not usable (wrong length, NaN weights...)."""


class FactorError(StatsInputError):
    """A grouping or margin variable has values that cannot be used."""


class MarginsError(InputFileError, ValueError):
    """A margins table or file is malformed or inconsistent."""


class RakingError(StatsInputError):
    """Raking cannot reach the margins (non-convergence, impossible bounds, empty levels)."""


class DesignError(StatsInputError):
    """A survey design is not usable (for example a stratum with a single PSU)."""


class RakingWarning(UserWarning):
    """Raking stopped before reaching its tolerance (the result says ``converged=False``)."""
