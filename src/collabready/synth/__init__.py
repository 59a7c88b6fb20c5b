"""Synthetic national samples and populations (see docs/synthetic.md)."""

from collabready.synth.generate import (
    SynthError,
    SyntheticWave,
    draw_sample,
    generate_population,
    generate_wave,
)
from collabready.synth.population import data_path, population_cells, population_margins

__all__ = [
    "SynthError",
    "SyntheticWave",
    "data_path",
    "draw_sample",
    "generate_population",
    "generate_wave",
    "population_cells",
    "population_margins",
]
