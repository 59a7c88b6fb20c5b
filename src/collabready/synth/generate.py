"""Seeded synthetic waves and populations (see docs/synthetic.md)."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl
from numpy.typing import NDArray

from collabready.errors import UserError
from collabready.formats.responses import write_table
from collabready.instrument.model import DONT_KNOW, MISSING, Dimension, Instrument, SectionKind
from collabready.synth import model as m
from collabready.synth.population import REGIONS, SECTORS, SIZES, population_cells

#: people simulated per batch: bounds memory, and drives the progress callback
BATCH = 250_000
Progress = Callable[[int, int], None]


class SynthError(UserError):
    """Bad arguments to the synthetic generator."""


@dataclass(frozen=True)
class SyntheticWave:
    """A synthetic wave: responses, plus the population it was drawn from."""

    responses: pl.DataFrame
    population_cells: pl.DataFrame
    population_margins: pl.DataFrame
    instrument_key: str
    seed: int
    #: the issued sample by sector (``sector``, ``invited``): how many were invited
    #: for these respondents to answer at the model's response rates. Empty for
    #: a synthetic population, where everyone answers.
    invited: pl.DataFrame = dataclasses.field(
        default_factory=lambda: pl.DataFrame(schema={"sector": pl.String, "invited": pl.Int64})
    )

    def write(self, path: Path) -> None:
        """Write the responses as Parquet or CSV (by the file's suffix), atomically."""
        write_table(self.responses, path)

    def write_margins(self, path: Path) -> None:
        """Write the population margins in the margins CSV format."""
        write_table(self.population_margins, path)

    def write_invited(self, path: Path) -> None:
        """Write the issued sample by sector (CSV ``sector,invited``), for response rates."""
        write_table(self.invited, path)


def _cells_frame() -> pl.DataFrame:
    cells = population_cells()
    return pl.DataFrame(
        {
            "sector": [c[0] for c in cells],
            "size": [c[1] for c in cells],
            "region": [c[2] for c in cells],
            "population_total": [c[3] for c in cells],
        }
    )


def _margins_frame(cells: pl.DataFrame) -> pl.DataFrame:
    parts = [
        cells.group_by(var, maintain_order=True)
        .agg(pl.col("population_total").sum())
        .select(pl.lit(var).alias("variable"), pl.col(var).alias("level"), "population_total")
        for var in ("sector", "size", "region")
    ]
    return pl.concat(parts)


def _cell_index() -> tuple[NDArray[np.intp], NDArray[np.intp], NDArray[np.intp], NDArray[np.int64]]:
    cells = population_cells()
    sec = np.array([SECTORS.index(c[0]) for c in cells])
    siz = np.array([SIZES.index(c[1]) for c in cells])
    reg = np.array([REGIONS.index(c[2]) for c in cells])
    tot = np.array([c[3] for c in cells], dtype=np.int64)
    return sec, siz, reg, tot


def _propensity(sec: NDArray[np.intp], siz: NDArray[np.intp]) -> NDArray[np.float64]:
    p_sec = np.array([m.RESPONSE_PROPENSITY[s] for s in SECTORS])
    p_siz = np.array([m.SIZE_PROPENSITY[s] for s in SIZES])
    return np.asarray(p_sec[sec] * p_siz[siz], dtype=np.float64)


def _check_instrument(instrument: Instrument) -> None:
    for qid, values in (("sector", SECTORS), ("size", SIZES), ("region", REGIONS)):
        try:
            have = {c.value for c in instrument.profile_question(qid).choices}
        except KeyError:
            raise SynthError(f"{instrument.key}: no profile question {qid!r}") from None
        if not set(values) <= have:
            missing = ", ".join(sorted(set(values) - have))
            raise SynthError(f"{instrument.key}: profile question {qid!r} lacks {missing}")


def _choose(rng: np.random.Generator, n: int, probs: dict[str, float]) -> NDArray[np.intp]:
    p = np.array(list(probs.values()))
    return np.searchsorted(np.cumsum(p / p.sum()), rng.random(n), side="right").clip(0, len(p) - 1)


def _simulate(
    rng: np.random.Generator,
    cell_counts: NDArray[np.int64],
    instrument: Instrument,
    *,
    first_respondent: int,
    first_organisation: int,
    partial: bool,
) -> tuple[dict[str, Any], int]:
    """Simulate everyone in cells given by ``cell_counts`` (people sorted by cell)."""
    sec_c, siz_c, reg_c, _ = _cell_index()
    cell = np.repeat(np.arange(cell_counts.size), cell_counts)
    n = cell.size
    sec, siz, reg = sec_c[cell], siz_c[cell], reg_c[cell]

    # organisations of 1-4 respondents, never spanning two cells
    sizes = rng.choice(np.array([1, 2, 3, 4]), size=n, p=[0.72, 0.16, 0.08, 0.04])
    starts = np.cumsum(sizes) - sizes
    is_start = np.zeros(n, dtype=bool)
    is_start[starts[starts < n]] = True
    if n:
        is_start[0] = True
        is_start[1:] |= cell[1:] != cell[:-1]
    org = np.cumsum(is_start) - 1
    n_org = int(org[-1]) + 1 if n else 0

    # sub-sector is the organisation's; role is the person's
    org_sec = sec[np.flatnonzero(is_start)]
    subsectors = [v.value for v in instrument.profile_question("subsector").choices]
    sub_org = np.empty(n_org, dtype=np.intp)
    for s, sector in enumerate(SECTORS):
        where = np.flatnonzero(org_sec == s)
        mix = m.SUBSECTORS[sector]
        pick = _choose(rng, where.size, mix)
        sub_org[where] = np.array([subsectors.index(k) for k in mix])[pick]
    role = _choose(rng, n, m.ROLES)

    # latent positions
    g = (rng.normal(0.0, m.ORG_SD, n_org)[org] + rng.normal(0.0, m.PERSON_SD, n)).astype(np.float32)
    size_shift = np.array([m.SIZE_SHIFT[s] for s in SIZES], dtype=np.float32)[siz]
    region_shift = np.array([m.REGION_SHIFT.get(r, 0.0) for r in REGIONS], dtype=np.float32)[reg]
    common = g + size_shift + region_shift
    columns: dict[str, Any] = {}
    latent_sum = np.zeros(n, dtype=np.float32)
    capacity_sum = np.zeros(n, dtype=np.float32)

    def answer(latent: NDArray[np.float32], reverse: bool, dk_rate: float) -> NDArray[np.int8]:
        u = latent + rng.standard_normal(n, dtype=np.float32) * np.float32(m.ITEM_SD)
        code = m.categorise(u)
        if reverse:
            code = (6 - code).astype(np.int8)
        code[rng.random(n, dtype=np.float32) < dk_rate] = DONT_KNOW
        return code

    for block in instrument.blocks:
        base = m.BASE.get(block.id, m.DEFAULT_BASE)
        for d, dim in enumerate((Dimension.COMMITMENT, Dimension.CAPACITY)):
            shift = np.array([m.SECTOR_SHIFT[s][d] for s in SECTORS], dtype=np.float32)[sec]
            latent = (
                common
                + shift
                + np.float32(base[d])
                + rng.normal(0.0, m.BLOCK_SD, n).astype(np.float32)
            )
            latent_sum += latent
            if dim is Dimension.CAPACITY:
                capacity_sum += latent
            for item in block.items_for(dim):
                columns[item.id] = answer(latent, item.reverse, m.DONT_KNOW_RATE[d])
    n_blocks = max(1, len(instrument.blocks))
    capacity = capacity_sum / np.float32(n_blocks)
    index = latent_sum / np.float32(2 * n_blocks)
    public = (sec == SECTORS.index("public")).astype(np.float32)
    for section in instrument.sections:
        for item in section.items:
            noise = rng.normal(0.0, 0.4, n).astype(np.float32)
            if section.kind is SectionKind.ENABLERS:
                latent = capacity + np.float32(0.1) + noise  # enablers track capacity
            elif section.kind is SectionKind.OUTCOMES:
                latent = np.float32(0.1) + np.float32(0.9) * (index - np.float32(0.35)) + noise
            elif item.facet == "hinders":
                latent = np.float32(0.45) - np.float32(0.4) * g + np.float32(0.3) * public + noise
            else:
                latent = np.float32(0.1) + np.float32(0.5) * g + noise
            columns[item.id] = answer(latent, item.reverse, m.DONT_KNOW_RATE[0])

    # partial completions: stop before some page; later items are not answered
    complete = np.ones(n, dtype=bool)
    if partial:
        pages = [b.items for b in instrument.blocks] + [s.items for s in instrument.sections]
        stopped = rng.random(n) < m.PARTIAL_RATE
        stop_page = rng.integers(0, len(pages), n)
        complete = ~stopped
        for p, items in enumerate(pages):
            gone = stopped & (stop_page <= p)
            for item in items:
                columns[item.id][gone] = MISSING

    open_text: list[str | None] = [None, *m.OPEN_ANSWERS]
    opens: dict[str, Any] = {}
    for q in instrument.open_questions:
        pick = rng.integers(1, len(open_text), n)
        pick[~complete | (rng.random(n) >= m.OPEN_RATE)] = 0
        opens[q.id] = pl.Series(q.id, open_text, dtype=pl.String).gather(pick)

    frame: dict[str, Any] = {
        "respondent_id": np.arange(first_respondent, first_respondent + n, dtype=np.int64),
        "organisation_id": (org + first_organisation).astype(np.int64),
        "sector": pl.Series(SECTORS).gather(sec),
        "subsector": pl.Series(subsectors).gather(sub_org[org]),
        "role": pl.Series([c.value for c in instrument.profile_question("role").choices]).gather(
            role
        ),
        "size": pl.Series(SIZES).gather(siz),
        "region": pl.Series(REGIONS).gather(reg),
        **{k: columns[k] for k in instrument.item_ids},
        **opens,
        "complete": complete,
    }
    return frame, n_org


def _run(
    instrument: Instrument,
    counts_per_batch: list[NDArray[np.int64]],
    seed: int,
    *,
    partial: bool,
    progress: Progress | None,
) -> pl.DataFrame:
    _check_instrument(instrument)
    total = int(sum(int(c.sum()) for c in counts_per_batch))
    seeds = np.random.SeedSequence(seed).spawn(len(counts_per_batch) + 1)
    frames: list[pl.DataFrame] = []
    done = 0
    next_org = 1
    for counts, child in zip(counts_per_batch, seeds[1:], strict=False):
        cols, n_org = _simulate(
            np.random.default_rng(child),
            counts,
            instrument,
            first_respondent=done + 1,
            first_organisation=next_org,
            partial=partial,
        )
        frames.append(pl.DataFrame(cols))
        done += int(counts.sum())
        next_org += n_org
        if progress is not None:
            progress(done, total)
    out = pl.concat(frames) if frames else pl.DataFrame()
    # shuffle rows so that the file is not sorted by cell
    perm = np.random.default_rng(seeds[0]).permutation(out.height)
    return out[perm]


def generate_wave(
    *,
    respondents: int,
    seed: int,
    instrument: Instrument,
    progress: Progress | None = None,
) -> SyntheticWave:
    """A synthetic national wave of ``respondents`` people.

    People come from population cells in proportion to the cell's size times
    its response propensity (higher in the public sector and in large
    organisations), so unweighted figures are biased and weighting matters.
    """
    if respondents < 1:
        raise SynthError(f"respondents must be at least 1, not {respondents}")
    if seed < 0:
        raise SynthError(f"seed must be 0 or more, not {seed}")
    sec, siz, _, tot = _cell_index()
    p = tot * _propensity(sec, siz)
    p /= p.sum()
    rng = np.random.default_rng(np.random.SeedSequence([seed, 1]))
    batches = []
    left = respondents
    while left > 0:
        size = min(BATCH, left)
        batches.append(rng.multinomial(size, p).astype(np.int64))
        left -= size
    responses = _run(instrument, batches, seed, partial=True, progress=progress)
    cells = _cells_frame()
    # each cell's respondents answered at its response rate: so many were invited
    per_cell = np.sum(batches, axis=0) / _propensity(sec, siz)
    invited = pl.DataFrame(
        {
            "sector": list(SECTORS),
            "invited": [round(float(per_cell[sec == i].sum())) for i in range(len(SECTORS))],
        }
    )
    return SyntheticWave(
        responses, cells, _margins_frame(cells), instrument.key, seed, invited=invited
    )


def generate_population(
    *, seed: int, instrument: Instrument, fraction: float = 0.1
) -> SyntheticWave:
    """A finite population: ``fraction`` of every cell's people, all answering fully.

    Used as the truth in coverage simulations (draw samples with
    :func:`draw_sample`); its ``population_margins`` are those of this finite
    population, not the national ones.
    """
    if not 0 < fraction <= 1:
        raise SynthError(f"fraction must be in (0, 1], not {fraction}")
    _, _, _, tot = _cell_index()
    counts = np.maximum(1, np.round(tot * fraction)).astype(np.int64)
    responses = _run(instrument, [counts], seed, partial=False, progress=None)
    cells = _cells_frame().with_columns(pl.Series("population_total", counts))
    return SyntheticWave(responses, cells, _margins_frame(cells), instrument.key, seed)


def draw_sample(population: pl.DataFrame, *, expected_n: int, seed: int) -> pl.DataFrame:
    """A Poisson sample of people with the model's response propensities."""
    sec = population.get_column("sector").to_numpy()
    siz = population.get_column("size").to_numpy()
    sec_i = np.searchsorted(np.array(SECTORS), sec, sorter=np.argsort(SECTORS))
    sec_i = np.argsort(SECTORS)[sec_i]
    siz_i = np.argsort(SIZES)[np.searchsorted(np.array(SIZES), siz, sorter=np.argsort(SIZES))]
    prop = _propensity(sec_i, siz_i)
    prob = np.minimum(1.0, prop * expected_n / prop.sum())
    keep = np.random.default_rng(seed).random(prob.size) < prob
    return population.filter(pl.Series(keep))
