"""What can go wrong when reporting from the database, as one-line user errors."""

from __future__ import annotations

from collabready.errors import UserError


class UnknownWaveError(UserError):
    """No wave has the name given."""


class WaveMarginsError(UserError):
    """A margins file uploaded for a wave does not fit it."""


class ReportDatabaseError(UserError):
    """The database cannot be read for a report (not set up, not reachable)."""
