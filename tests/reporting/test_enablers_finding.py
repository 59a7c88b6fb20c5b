"""The third headline finding, "Staff unsupported and unequipped", follows the data.

The enablers' answers of a synthetic wave are moved one point towards
disagreement (or agreement) in some components; the statistics engine, run
directly, says whether fewer than half agree with every component at the 5%
level, and the sentence is in the report exactly when it does.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import polars as pl
import pytest

from collabready.analysis.enablers import enabler_facets, facet_title
from collabready.instrument import Instrument
from collabready.stats import estimate_proportions

from .conftest import Engine, engine_for
from .test_findings import build

STAFF = "Staff are unsupported and unequipped"


def shifted(responses: pl.DataFrame, cri: Instrument, shifts: dict[str, int]) -> pl.DataFrame:
    """Answers to each facet's statements moved ``shifts[facet]`` points (1 to 5 kept)."""
    exprs = []
    for section in cri.sections:
        for item in section.items:
            if item.facet not in shifts:
                continue
            step = -shifts[item.facet] if item.reverse else shifts[item.facet]
            col = pl.col(item.id)
            answered = (col >= 1) & (col <= 5)
            exprs.append(
                pl.when(answered)
                .then((col.cast(pl.Int16) + step).clip(1, 5))
                .otherwise(col.cast(pl.Int16))
                .cast(responses.schema[item.id])
                .alias(item.id)
            )
    return responses.with_columns(exprs)


def engine_shares(engine: Engine, cri: Instrument) -> dict[str, tuple[float, float]]:
    """Share agreeing with each component and its upper 95% limit, from the engine."""
    variables = {}
    for facet in enabler_facets(cri):
        score = engine.col(f"enablers_{facet}")
        variables[facet] = np.where(np.isfinite(score), (score > 50).astype(float), np.nan)
    table = estimate_proportions(design=engine.design, variables=variables)
    return {
        f: (float(table.estimate[table.index(f)]), float(table.ci_high[table.index(f)]))
        for f in variables
    }


def test_components_come_from_the_instrument(cri: Instrument) -> None:
    assert enabler_facets(cri) == ("leaders", "incentives", "tools_skills", "time_resources")
    assert [facet_title(f) for f in enabler_facets(cri)] == [
        "Leaders",
        "Incentives",
        "Tools and skills",
        "Time and resources",
    ]


@pytest.mark.parametrize(
    ("case", "shifts", "expected"),
    [
        (
            "every component lowered",
            dict.fromkeys(("leaders", "incentives", "tools_skills", "time_resources"), -1),
            True,
        ),
        (
            "every component raised",
            dict.fromkeys(("leaders", "incentives", "tools_skills", "time_resources"), 1),
            False,
        ),
        (
            "one component raised",
            {"leaders": -1, "incentives": 1, "tools_skills": -1, "time_resources": -1},
            False,
        ),
    ],
)
def test_staff_unsupported_follows_the_data(
    cri: Instrument, wave, tmp_path: Path, case: str, shifts: dict[str, int], expected: bool
) -> None:
    responses, margins = wave
    changed = shifted(responses, cri, shifts)
    engine = engine_for(changed, margins, cri, tmp_path)
    shares = engine_shares(engine, cri)
    supported = all(high < 0.5 for _, high in shares.values())
    assert supported is expected, (case, shares)  # the engine agrees with the case
    printed = build(changed, margins, cri)
    assert ("enablers" in printed.findings) is expected
    assert (STAFF in printed.html) is expected
    assert (STAFF in printed.pdf) is expected
    # the components' shares are in the report either way, each with its CI
    html = printed.html
    for facet, (p, _high) in shares.items():
        assert facet_title(facet) in html
        assert f'data-value="{100 * p}"' in html or f"{100 * p:.1f}" in html
    if expected:
        for facet, (p, _high) in shares.items():
            assert f"{facet_title(facet).lower()} {100 * p:.1f}% (95% CI" in printed.html
