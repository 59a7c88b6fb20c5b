"""The synthetic wave reproduces the known shape of the findings."""

from __future__ import annotations

import csv

import numpy as np
import polars as pl
import pytest

from collabready.formats import read_table
from collabready.instrument.model import DONT_KNOW, MISSING
from collabready.scoring import score
from collabready.synth import (
    SynthError,
    data_path,
    draw_sample,
    generate_population,
    generate_wave,
    population_cells,
    population_margins,
)
from tests.factories import BLOCKS, make_instrument

INST = make_instrument(reverse=frozenset({"citizens_com_5", "systems_cap_2"}))


@pytest.fixture(scope="module")
def wave():
    return generate_wave(respondents=20_000, seed=11, instrument=INST)


@pytest.fixture(scope="module")
def scored(wave):
    s = score(wave.responses, INST)
    return pl.concat(
        [wave.responses.select("sector", "organisation_id"), s.drop("organisation_id")],
        how="horizontal",
    )


def test_same_seed_same_wave_and_different_seed_differs():
    a = generate_wave(respondents=3000, seed=5, instrument=INST).responses
    b = generate_wave(respondents=3000, seed=5, instrument=INST).responses
    c = generate_wave(respondents=3000, seed=6, instrument=INST).responses
    assert a.equals(b)
    assert not a.equals(c)


def test_columns_and_codes(wave):
    r = wave.responses
    assert r.height == 20_000
    assert r["respondent_id"].n_unique() == 20_000
    for item in INST.item_ids:
        assert r.schema[item] == pl.Int8
    codes = np.unique(r.select(INST.item_ids).to_numpy())
    assert set(codes.tolist()) == {1, 2, 3, 4, 5, DONT_KNOW, MISSING}
    assert set(r["sector"].unique()) == {"public", "private", "third"}
    assert r["region"].n_unique() == 12


def test_realism_dont_know_partials_and_shared_organisations(wave):
    r = wave.responses
    items = r.select(INST.item_ids).to_numpy()
    dk = (items == DONT_KNOW).mean()
    assert 0.01 < dk < 0.08
    partial = 1 - r["complete"].mean()
    assert 0.04 < partial < 0.12
    # partial completions lose later pages, complete ones lose none
    complete_items = items[r["complete"].to_numpy()]
    assert not (complete_items == MISSING).any()
    per_org = r.group_by("organisation_id").len()
    assert (per_org["len"] > 1).sum() > 500
    # an organisation lies in one sector and one sub-sector
    spans = r.group_by("organisation_id").agg(
        pl.col("sector").n_unique(), pl.col("subsector").n_unique()
    )
    assert spans["sector"].max() == 1
    assert spans["subsector"].max() == 1


def test_citizens_lowest_and_commitment_exceeds_capacity(scored):
    means = {b: scored[b].mean() for b in BLOCKS}
    assert min(means, key=means.get) == "citizens"
    others = sorted(v for k, v in means.items() if k != "citizens")
    assert others[0] - means["citizens"] > 3
    for b in BLOCKS:
        assert scored[f"{b}_commitment"].mean() > scored[f"{b}_capacity"].mean() + 5


def test_public_sector_gap_widest(scored):
    gaps = dict(scored.group_by("sector").agg(pl.col("gap").mean()).iter_rows())
    assert gaps["public"] > gaps["third"] + 2
    assert gaps["public"] > gaps["private"] + 2


def test_enablers_track_capacity_and_outcomes_track_index(scored):
    s = scored.drop_nulls(["enablers", "capacity", "outcomes", "index"])
    assert np.corrcoef(s["enablers"], s["capacity"])[0, 1] > 0.4
    assert np.corrcoef(s["outcomes"], s["index"])[0, 1] > 0.4


def test_response_rates_differ_so_unweighted_shares_are_biased(wave):
    shares = wave.responses["sector"].value_counts(normalize=True)
    sample = dict(zip(shares["sector"], shares["proportion"], strict=True))
    margins = wave.population_margins.filter(pl.col("variable") == "sector")
    pop = dict(
        zip(
            margins["level"],
            margins["population_total"] / margins["population_total"].sum(),
            strict=True,
        )
    )
    assert sample["public"] > pop["public"] + 0.15
    assert sample["private"] < pop["private"] - 0.15


def test_shipped_population_files_equal_the_formula():
    with data_path("population_cells.csv").open() as fh:
        rows = list(csv.reader(fh))
    assert rows[0] == ["sector", "size", "region", "population_total"]
    assert [(a, b, c, int(d)) for a, b, c, d in rows[1:]] == population_cells()
    assert len(rows) - 1 == 3 * 4 * 12
    with data_path("margins.csv").open() as fh:
        margins = list(csv.reader(fh))
    assert margins[0] == ["variable", "level", "population_total"]
    assert [(a, b, int(c)) for a, b, c in margins[1:]] == population_margins()
    totals = {}
    for var, _, total in population_margins():
        totals[var] = totals.get(var, 0) + total
    assert len(set(totals.values())) == 1  # every margin adds up to the same population


def test_population_and_poisson_sample():
    pop = generate_population(seed=3, instrument=INST, fraction=0.01)
    cells = pop.population_cells["population_total"].sum()
    assert pop.responses.height == cells
    assert pop.responses["complete"].all()
    sample = draw_sample(pop.responses, expected_n=2000, seed=4)
    assert 1700 < sample.height < 2300
    share_public = (sample["sector"] == "public").mean()
    assert share_public > (pop.responses["sector"] == "public").mean() + 0.1


def test_write_parquet_and_csv_round_trip(wave, tmp_path):
    small = generate_wave(respondents=500, seed=2, instrument=INST)
    for name in ("w.parquet", "w.csv"):
        small.write(tmp_path / name)
        back = read_table(tmp_path / name)
        assert back.height == 500
        assert back["citizens_com_1"].cast(pl.Int8).equals(small.responses["citizens_com_1"])
    with pytest.raises(SynthError):
        generate_wave(respondents=0, seed=1, instrument=INST)


def test_issued_sample_gives_the_models_response_rates(wave):
    from collabready.synth import model

    invited = dict(wave.invited.iter_rows())
    responded = dict(wave.responses["sector"].value_counts().iter_rows())
    assert set(invited) == set(responded)
    for sector, n in responded.items():
        rate = n / invited[sector]
        # a sector's rate is its base propensity times the size mix's factor (0.7-1.2)
        base = model.RESPONSE_PROPENSITY[sector]
        assert 0.7 * base <= rate <= 1.2 * base, (sector, rate)
    # the public sector answers most readily, the private sector least
    rates = {s: responded[s] / invited[s] for s in invited}
    assert rates["public"] > rates["third"] > rates["private"]
