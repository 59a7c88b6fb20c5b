"""The synthetic population: how many senior leaders there are in each cell.

A cell is sector x size band x nation/region. The totals are made by a fixed
formula (:func:`population_cells`) and shipped as CSV files in
``collabready/synth/data/`` so that weighting can be tested against known
margins:

- ``population_cells.csv``: ``sector,size,region,population_total``;
- ``margins.csv``: the one-way margins in the documented margins format
  ``variable,level,population_total`` (see docs/statistics.md).

Regenerate both with ``python -m collabready.synth.population`` (a test checks
the shipped files equal the formula).
"""

from __future__ import annotations

import csv
from importlib import resources
from pathlib import Path
from typing import Final

SECTORS: Final = ("public", "private", "third")
SIZES: Final = ("small", "medium", "large", "very_large")
REGIONS: Final = (
    "north_east",
    "north_west",
    "yorkshire_humber",
    "east_midlands",
    "west_midlands",
    "east_of_england",
    "london",
    "south_east",
    "south_west",
    "wales",
    "scotland",
    "northern_ireland",
)

#: senior leaders (chief executives, directors, senior managers) by sector
SECTOR_TOTALS: Final = {"public": 620_000, "private": 1_480_000, "third": 310_000}
SIZE_SHARES: Final = {
    "public": (0.12, 0.20, 0.26, 0.42),
    "private": (0.46, 0.25, 0.15, 0.14),
    "third": (0.55, 0.25, 0.12, 0.08),
}
#: roughly each nation's and region's share of the UK population
REGION_SHARES: Final = (
    0.040, 0.110, 0.082, 0.073, 0.088, 0.094, 0.134, 0.138, 0.085, 0.047, 0.082, 0.027,
)  # fmt: skip
#: London and the South East hold more private-sector head offices
PRIVATE_TILT: Final = {"london": 1.35, "south_east": 1.1, "northern_ireland": 0.85}


def population_cells() -> list[tuple[str, str, str, int]]:
    """Every (sector, size, region, population_total) cell, by the fixed formula."""
    cells: list[tuple[str, str, str, int]] = []
    for sector in SECTORS:
        tilt = [PRIVATE_TILT.get(r, 1.0) if sector == "private" else 1.0 for r in REGIONS]
        shares = [s * t for s, t in zip(REGION_SHARES, tilt, strict=True)]
        norm = sum(shares)
        for size, size_share in zip(SIZES, SIZE_SHARES[sector], strict=True):
            for region, share in zip(REGIONS, shares, strict=True):
                total = round(SECTOR_TOTALS[sector] * size_share * share / norm)
                cells.append((sector, size, region, total))
    return cells


def population_margins() -> list[tuple[str, str, int]]:
    """One-way margins (variable, level, population_total) for sector, size and region."""
    cells = population_cells()
    out: list[tuple[str, str, int]] = []
    for position, variable, levels in ((0, "sector", SECTORS), (1, "size", SIZES)):
        for level in levels:
            out.append((variable, level, sum(c[3] for c in cells if c[position] == level)))
    for region in REGIONS:
        out.append(("region", region, sum(c[3] for c in cells if c[2] == region)))
    return out


def data_path(name: str) -> Path:
    """Path of a shipped data file (``population_cells.csv`` or ``margins.csv``)."""
    return Path(str(resources.files("collabready.synth") / "data" / name))


def write_data_files(directory: Path) -> None:
    directory.mkdir(parents=True, exist_ok=True)
    with (directory / "population_cells.csv").open("w", newline="") as fh:
        w = csv.writer(fh, lineterminator="\n")
        w.writerow(["sector", "size", "region", "population_total"])
        w.writerows(population_cells())
    with (directory / "margins.csv").open("w", newline="") as fh:
        w = csv.writer(fh, lineterminator="\n")
        w.writerow(["variable", "level", "population_total"])
        w.writerows(population_margins())


if __name__ == "__main__":  # pragma: no cover - maintenance entry point
    write_data_files(Path(__file__).parent / "data")
