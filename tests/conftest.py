"""Suite-wide test configuration: the Hypothesis profiles.

Every property-based test runs under one profile, chosen by the environment
variable ``HYPOTHESIS_PROFILE``:

- ``fast`` (the default, and what CI runs): few examples, derandomized so that
  every run tries the same examples (a red CI run is reproducible), no deadline
  (the machines are shared, so timing says nothing about correctness);
- ``thorough``: many random examples, to look for new counterexamples before a
  release or after changing a kernel. A failure prints the blob to reproduce it.

Tests set their own ``max_examples`` only where one example is far dearer than
usual, with a comment saying why (see :func:`tests.profiles.scaled`).
"""

from __future__ import annotations

import os

import pytest
from hypothesis import settings

from tests.profiles import PROFILES

for _name, _profile in PROFILES.items():
    settings.register_profile(_name, _profile)

_chosen = os.environ.get("HYPOTHESIS_PROFILE", "fast")
if _chosen not in PROFILES:
    raise pytest.UsageError(
        f"HYPOTHESIS_PROFILE={_chosen!r} is not a profile of this suite "
        f"(choose from {', '.join(PROFILES)})"
    )
settings.load_profile(_chosen)
