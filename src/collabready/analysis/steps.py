"""The named steps of building a document, for progress reports.

One list, used by the report builders (which announce each step), the CLI's
progress bar and the web's report jobs (which record the step and its
percentage).
"""

from __future__ import annotations

from collections.abc import Callable

__all__ = ["STEPS", "Step", "no_step", "progress"]

Step = Callable[[str], None]

#: Each step: its name, what a person is told, and the percentage reached when it starts.
STEPS: tuple[tuple[str, str, int], ...] = (
    ("load", "Loading the responses", 5),
    ("score", "Scoring", 15),
    ("rake", "Weighting to the margins", 25),
    ("estimates", "Estimating", 35),
    ("validation", "Validating the index", 50),
    ("reliability", "Reliability", 60),
    ("charts", "Drawing the charts", 70),
    ("render", "Laying out the document", 80),
    ("save", "Saving the file", 95),
)


def no_step(_: str) -> None:
    """A step callback that reports nowhere."""
    return


def progress(name: str) -> tuple[str, int] | None:
    """What to tell a person at step ``name``, and the percentage; None if not a step."""
    for step, text, percent in STEPS:
        if step == name:
            return text, percent
    return None
