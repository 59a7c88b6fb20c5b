"""The Hypothesis profiles of the suite (registered and chosen in ``tests/conftest.py``)."""

from __future__ import annotations

from hypothesis import settings

#: Examples per property test under each profile.
FAST_EXAMPLES = 40
THOROUGH_EXAMPLES = 500

PROFILES: dict[str, settings] = {
    # the default and CI's: the same examples on every run, no deadline on shared cores
    "fast": settings(max_examples=FAST_EXAMPLES, deadline=None, derandomize=True),
    # a search for new counterexamples: many random examples; a failure prints its blob
    "thorough": settings(max_examples=THOROUGH_EXAMPLES, deadline=None, print_blob=True),
}


def scaled(fraction: float, *, minimum: int) -> int:
    """``max_examples`` for a test whose examples are dear: a share of the profile's, at least
    ``minimum`` (so the thorough profile still runs more of them than the fast one).

    Read when the test module is imported, after ``tests/conftest.py`` loaded the profile.
    """
    return max(minimum, round(settings().max_examples * fraction))
