"""The analysis policy: the rules every output follows (docs/statistics.md, "Policy").

- **k.** No published figure describes fewer than :data:`DEFAULT_K`
  respondents; every command's ``--k`` defaults to it.
- **Respondents without an organisation** (an open-link response, or a file
  row with no ``organisation_id``) are kept, each as a cluster (primary
  sampling unit) of their own: :func:`cluster_ids`.
- **Respondents without a grouping label** (no sector, no sub-sector, ...)
  form a domain of their own, :data:`MISSING_LABEL`, estimated and protected
  like any other, so that a whole minus its published parts never describes
  them: :func:`with_missing_domain`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import numpy as np
    from numpy.typing import NDArray

    from collabready.stats.factor import Factor

__all__ = ["DEFAULT_K", "MISSING_LABEL", "MISSING_TEXT", "cluster_ids", "with_missing_domain"]

#: The disclosure threshold: no published figure describes fewer respondents. Every
#: ``--k`` option and every function's ``k`` defaults to it. (This module imports
#: nothing at load time, so the command line can read it cheaply.)
DEFAULT_K = 5

#: Domain key of the respondents with no value for a grouping.
MISSING_LABEL = "(missing)"
#: How reports print that domain.
MISSING_TEXT = "Not answered"


def cluster_ids(organisation: NDArray[np.int64], known: NDArray[np.bool_]) -> NDArray[np.int64]:
    """One cluster label per respondent: the organisation where ``known``, else their own.

    Own clusters get labels below every organisation's (-1, -2, ... when the
    organisations are numbered from 0 up), so no own cluster merges with one.
    """
    import numpy as np

    floor = min(0, int(organisation[known].min())) if known.any() else 0
    own = floor - np.arange(1, organisation.shape[0] + 1, dtype=np.int64)
    out: NDArray[np.int64] = np.where(known, organisation, own).astype(np.int64)
    return out


def with_missing_domain(factor: Factor) -> Factor:
    """A grouping with the unlabelled respondents in a level of their own, :data:`MISSING_LABEL`."""
    import numpy as np

    from collabready.stats.factor import Factor

    blank = factor.codes < 0
    if not blank.any():
        return factor
    return Factor(np.where(blank, factor.n_levels, factor.codes), (*factor.levels, MISSING_LABEL))
