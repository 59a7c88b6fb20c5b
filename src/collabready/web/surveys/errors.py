"""Errors the survey services raise; each message is fit to show a person."""

from __future__ import annotations

from collabready.errors import UserError


class SurveyError(UserError):
    """Base of the survey errors."""


class WaveClosedError(SurveyError):
    """The wave is not open for answers (not yet open, past its closing date, or closed)."""


class ResponseGoneError(SurveyError):
    """The session's response no longer exists (erased meanwhile, e.g. from another tab)."""


class PageNotFoundError(SurveyError):
    """The instrument has no question page of that name."""


class ResponseSubmittedError(SurveyError):
    """The response has been submitted and can no longer change."""


class ResponseIncompleteError(SurveyError):
    """Submission refused: some required questions are unanswered."""

    def __init__(self, message: str, *, page_slugs: tuple[str, ...]) -> None:
        super().__init__(message)
        self.page_slugs = page_slugs


class ResponseChangedError(SurveyError):
    """The answers changed (in another tab) after the page being submitted was shown."""


class TokenInvalidError(SurveyError):
    """No response has this link or resume code."""


class TokenExpiredError(TokenInvalidError):
    """The link or code was real, but its wave closed longer ago than the grace period."""


class TooManyAttemptsError(SurveyError):
    """Too many wrong links or codes from one address: try again later."""


class TooManyEmailsError(SurveyError):
    """Too many resume-code e-mails asked for one response, or from one address."""

    def __init__(self, message: str, *, window_seconds: int) -> None:
        super().__init__(message)
        self.window_seconds = window_seconds


class InvitationImportError(SurveyError):
    """An invitation file has bad rows; nothing was imported."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__(f"{len(problems)} problem(s) in the invitation file; nothing was imported")
        self.problems = problems


class AlreadyInvitedError(InvitationImportError):
    """The list names people already invited to the wave (they can be skipped)."""

    def __init__(self, problems: list[str], *, already: list[int]) -> None:
        rows = ", ".join(str(n) for n in already[:20]) + (" ..." if len(already) > 20 else "")
        super().__init__(
            [
                *problems,
                f"{len(already)} row(s) name people already invited to this wave (rows {rows}): "
                "tick 'Skip people already invited' and upload the file again",
            ]
        )
        self.already = already


class EmailServerError(SurveyError):
    """The mail server could not be reached or stopped answering mid-batch."""
