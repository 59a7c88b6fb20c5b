"""Shared inputs for the pipeline's unit tests: a small instrument and a small wave."""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest

from collabready.instrument import MISSING, Instrument, load_instrument
from collabready.synth import generate_wave
from tests.factories import make_instrument


@pytest.fixture(scope="session")
def small() -> Instrument:
    """Six blocks of 4 + 4 items, no sections: cheap to score."""
    return make_instrument(items_per_subscale=4, with_sections=False)


@pytest.fixture(scope="session")
def cri() -> Instrument:
    return load_instrument()


@pytest.fixture(scope="session")
def wave(cri: Instrument) -> tuple[pl.DataFrame, pl.DataFrame]:
    """A synthetic CRI wave (responses, population margins)."""
    w = generate_wave(respondents=400, seed=7, instrument=cri)
    return w.responses, w.population_margins


def random_codes(
    rng: np.random.Generator, n: int, instrument: Instrument, missing: float = 0.1
) -> np.ndarray:
    """(n × items) int8 codes on the 5-point scale, ``MISSING`` (and don't know) here and there."""
    codes = rng.integers(1, 6, size=(n, len(instrument.item_ids))).astype(np.int8)
    codes[rng.random(codes.shape) < missing / 2] = 8
    codes[rng.random(codes.shape) < missing / 2] = MISSING
    return codes


def frame_of(codes: np.ndarray, instrument: Instrument, **columns: object) -> pl.DataFrame:
    """A response table: item columns (null where ``MISSING``) and the given columns."""
    items = {
        item_id: pl.Series(
            item_id, [None if c == MISSING else int(c) for c in codes[:, j]], dtype=pl.Int8
        )
        for j, item_id in enumerate(instrument.item_ids)
    }
    return pl.DataFrame({**columns, **items})
