"""The latent readiness model behind synthetic responses (see docs/synthetic.md).

Each person has a latent position for every block and dimension, on a scale
where 0 is the middle of the agreement scale and 1 is roughly one answer
category. Positions combine a block and dimension baseline, sector, size and
region shifts, an organisation effect shared by colleagues, and personal noise.
Items add their own noise and are cut into the five answer categories.
"""

from __future__ import annotations

from typing import Final

import numpy as np
from numpy.typing import NDArray

#: block baselines (commitment, capacity): Citizens lowest, ambition above practice
BASE: Final = {
    "citizens": (0.30, -0.35),
    "behaviours": (0.95, 0.30),
    "systems": (0.70, 0.05),
    "services": (0.85, 0.30),
    "places": (0.80, 0.20),
    "markets": (0.55, -0.05),
}
DEFAULT_BASE: Final = (0.6, 0.0)

#: sector shifts (commitment, capacity): the public sector's gap is the widest
SECTOR_SHIFT: Final = {
    "public": (0.15, -0.30),
    "private": (-0.10, 0.10),
    "third": (0.20, 0.00),
}
SIZE_SHIFT: Final = {"small": -0.10, "medium": 0.0, "large": 0.05, "very_large": 0.10}
REGION_SHIFT: Final = {"london": 0.05, "wales": 0.08, "scotland": 0.06, "north_east": -0.05}

ORG_SD: Final = 0.45  # shared by respondents of one organisation
PERSON_SD: Final = 0.35  # one person's general outlook
BLOCK_SD: Final = 0.30  # one person's view of one block and dimension
ITEM_SD: Final = 0.85  # one answer
#: latent cut points between answer categories 1|2, 2|3, 3|4, 4|5
THRESHOLDS: Final = np.array([-1.55, -0.55, 0.45, 1.45], dtype=np.float32)

#: probability that a person answers "don't know" to an item (higher on capacity)
DONT_KNOW_RATE: Final = (0.02, 0.045)
#: share of people who stop part way, and response propensities
PARTIAL_RATE: Final = 0.08
RESPONSE_PROPENSITY: Final = {"public": 0.30, "private": 0.09, "third": 0.20}
SIZE_PROPENSITY: Final = {"small": 0.7, "medium": 0.9, "large": 1.0, "very_large": 1.2}

#: sub-sector mix within each sector
SUBSECTORS: Final = {
    "public": {
        "health_care": 0.24,
        "social_care": 0.08,
        "local_government": 0.26,
        "education": 0.18,
        "transport": 0.04,
        "infrastructure": 0.03,
        "housing": 0.05,
        "police_justice": 0.08,
        "other": 0.04,
    },
    "private": {
        "health_care": 0.10,
        "social_care": 0.14,
        "education": 0.06,
        "transport": 0.14,
        "infrastructure": 0.20,
        "housing": 0.12,
        "other": 0.24,
    },
    "third": {
        "health_care": 0.14,
        "social_care": 0.30,
        "education": 0.10,
        "housing": 0.20,
        "police_justice": 0.04,
        "other": 0.22,
    },
}
ROLES: Final = {"chief_executive": 0.22, "director": 0.38, "senior_manager": 0.32, "other": 0.08}

OPEN_ANSWERS: Final = (
    "Pooled budgets with our health partners.",
    "Time for staff to build relationships across organisations.",
    "Shared data and information governance across the partnership.",
    "Longer-term funding instead of annual grants.",
    "Commissioning that rewards collaboration rather than competition.",
    "Leadership that models working across boundaries.",
    "A shared outcomes framework for the place.",
    "Training in co-production with residents.",
    "Simpler accountability and less duplication of inspection.",
    "A single view of the person across services.",
)
OPEN_RATE: Final = 0.3


def categorise(latent: NDArray[np.float32]) -> NDArray[np.int8]:
    """Cut latent answers into codes 1..5."""
    code = np.ones(latent.shape, dtype=np.int8)
    for cut in THRESHOLDS:
        code += latent > cut
    return code
