"""Errors a user can cause and fix.

Every error that a person can fix by changing a file, an option or an input
derives from :class:`UserError`. Its message says what was wrong, where (file,
row, column, field) and, where it helps, what to do. The CLI, the web pages and
the API show the message and never a traceback.
"""

from __future__ import annotations


class UserError(Exception):
    """An error in the user's input, with a message fit to show them."""


class InputFileError(UserError):
    """A file that cannot be read or does not have the expected content."""
