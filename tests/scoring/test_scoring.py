"""Worked examples and rules of scoring (see docs/scoring.md)."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import polars as pl
import pytest

from collabready.instrument.model import DONT_KNOW, MISSING
from collabready.scoring import (
    ScoringInputError,
    reverse_code,
    score,
    score_matrix,
    score_organisations,
)
from tests.factories import make_instrument


def full(instrument, value: int, n: int = 1) -> np.ndarray:
    return np.full((n, len(instrument.item_ids)), value, dtype=np.int8, order="F")


def test_all_fives_give_100_and_all_ones_give_0():
    inst = make_instrument()
    top = score_matrix(full(inst, 5), inst)
    bottom = score_matrix(full(inst, 1), inst)
    for name in ("citizens_commitment", "markets_capacity", "places", "index", "commitment"):
        assert top.column(name)[0] == 100.0
        assert bottom.column(name)[0] == 0.0
    assert top.column("gap")[0] == 0.0
    assert top.level_labels()[0] == "leading"
    assert bottom.level_labels()[0] == "emerging"


def test_middle_of_scale_is_50_and_worked_example():
    inst = make_instrument()
    codes = full(inst, 3)
    cols = list(inst.item_ids)
    # citizens commitment answers 5,4,4,3,2 -> points 4,3,3,2,1 = 13 of 20 -> 65
    for k, v in enumerate((5, 4, 4, 3, 2), start=1):
        codes[0, cols.index(f"citizens_com_{k}")] = v
    # citizens capacity 2,2,3,DK,missing -> points 1,1,2 of 3 answered -> 4/12 -> 33.33
    for k, v in enumerate((2, 2, 3, DONT_KNOW, MISSING), start=1):
        codes[0, cols.index(f"citizens_cap_{k}")] = v
    r = score_matrix(codes, inst)
    assert r.column("citizens_commitment")[0] == pytest.approx(65.0)
    assert r.column("citizens_capacity")[0] == pytest.approx(100 * 4 / 12)
    assert r.column("citizens")[0] == pytest.approx((65.0 + 100 * 4 / 12) / 2)
    assert r.column("citizens_gap")[0] == pytest.approx(65.0 - 100 * 4 / 12)
    assert r.column("behaviours")[0] == 50.0
    expected_index = (r.column("citizens")[0] + 5 * 50.0) / 6
    assert r.column("index")[0] == pytest.approx(expected_index)
    assert r.column("commitment")[0] == pytest.approx((65 + 5 * 50) / 6)
    assert r.column("gap")[0] == pytest.approx(r.column("commitment")[0] - r.column("capacity")[0])


def test_reverse_coded_items_are_flipped():
    inst = make_instrument(reverse=frozenset({"citizens_com_1", "citizens_com_2"}))
    codes = full(inst, 5)
    r = score_matrix(codes, inst)
    # two of five answers flipped from 4 points to 0 -> 12 of 20
    assert r.column("citizens_commitment")[0] == pytest.approx(60.0)
    codes[:, [0, 1]] = 1  # agreeing with none of the reverse-worded statements is top marks
    assert score_matrix(codes, inst).column("citizens_commitment")[0] == 100.0


def test_reverse_code_function():
    codes = np.array([1, 2, 3, 4, 5, DONT_KNOW, MISSING], dtype=np.int8)
    assert reverse_code(codes, 5).tolist() == [5, 4, 3, 2, 1, DONT_KNOW, MISSING]


def test_dont_know_and_missing_are_excluded_not_zero():
    inst = make_instrument()
    codes = full(inst, 5)
    cols = list(inst.item_ids)
    codes[0, cols.index("systems_com_1")] = DONT_KNOW
    codes[0, cols.index("systems_com_2")] = MISSING
    r = score_matrix(codes, inst)
    assert r.column("systems_commitment")[0] == 100.0


def test_subscale_with_fewer_than_half_answered_is_missing():
    inst = make_instrument()
    codes = full(inst, 4, n=2)
    cols = list(inst.item_ids)
    # row 0: 3 of 5 answered (enough); row 1: 2 of 5 answered (missing)
    for k in (1, 2):
        codes[0, cols.index(f"services_cap_{k}")] = DONT_KNOW
    for k in (1, 2, 3):
        codes[1, cols.index(f"services_cap_{k}")] = MISSING
    r = score_matrix(codes, inst)
    assert r.column("services_capacity")[0] == 75.0
    assert np.isnan(r.column("services_capacity")[1])
    # a block needs both subscales; its gap too
    assert np.isnan(r.column("services")[1])
    assert np.isnan(r.column("services_gap")[1])
    # the index still stands on the five other blocks
    assert r.column("index")[1] == 75.0


def test_even_sized_subscale_needs_exactly_half():
    inst = make_instrument(items_per_subscale=4)
    codes = full(inst, 5, n=2)
    cols = list(inst.item_ids)
    for k in (1, 2):
        codes[0, cols.index(f"places_com_{k}")] = MISSING  # 2 of 4: half, kept
    for k in (1, 2, 3):
        codes[1, cols.index(f"places_com_{k}")] = MISSING  # 1 of 4: missing
    r = score_matrix(codes, inst)
    assert r.column("places_commitment")[0] == 100.0
    assert np.isnan(r.column("places_commitment")[1])


def test_index_needs_min_blocks():
    inst = make_instrument(min_blocks_for_index=4)
    codes = full(inst, 5, n=2)
    cols = list(inst.item_ids)
    blank3 = ("citizens", "behaviours", "systems")
    blank2 = ("citizens", "behaviours")
    for b in blank3:
        for c in cols:
            if c.startswith(f"{b}_com"):
                codes[0, cols.index(c)] = MISSING
    for b in blank2:
        for c in cols:
            if c.startswith(f"{b}_com"):
                codes[1, cols.index(c)] = MISSING
    r = score_matrix(codes, inst)
    # row 0: three blocks lack commitment -> only 3 blocks -> index missing
    assert np.isnan(r.column("index")[0])
    assert np.isnan(r.column("commitment")[0])
    assert r.column("capacity")[0] == 100.0  # capacity answered in all six
    assert r.level[0] == -1
    assert r.level_labels()[0] is None
    # row 1: four blocks remain
    assert r.column("index")[1] == 100.0


def test_sections_scored_separately():
    inst = make_instrument()
    codes = full(inst, 3)
    cols = list(inst.item_ids)
    codes[0, cols.index("env_help_1")] = 5
    codes[0, cols.index("env_help_2")] = 5
    codes[0, cols.index("enb_leaders_1")] = 5
    r = score_matrix(codes, inst)
    assert r.column("environment_helps")[0] == 100.0
    assert r.column("environment_hinders")[0] == 50.0
    assert r.column("enablers_leaders")[0] == 100.0
    assert r.column("enablers")[0] == pytest.approx((100 + 3 * 50) / 4)
    assert r.column("outcomes")[0] == 50.0


def test_many_rows_across_chunks_and_threads_match_row_by_row():
    inst = make_instrument(reverse=frozenset({"markets_cap_3"}))
    rng = np.random.default_rng(7)
    n = 100_003  # several chunks, with a ragged last one
    codes = np.asfortranarray(rng.choice([1, 2, 3, 4, 5, 8, 9], size=(n, len(inst.item_ids))))
    codes = codes.astype(np.int8, order="F")
    whole = score_matrix(codes, inst)
    picks = rng.choice(n, size=50, replace=False)
    for i in picks:
        one = score_matrix(codes[i : i + 1], inst)
        np.testing.assert_array_equal(one.values[0], whole.values[i])


def test_row_major_input_is_accepted():
    inst = make_instrument()
    codes = np.ascontiguousarray(full(inst, 4, n=3))
    assert score_matrix(codes, inst).column("index").tolist() == [75.0, 75.0, 75.0]


def test_wrong_shape_is_a_clear_error():
    inst = make_instrument()
    with pytest.raises(ValueError, match=r"expected \(n, 72\)"):
        score_matrix(np.ones((3, 7), dtype=np.int8), inst)


def test_score_pandas_and_polars_agree_and_keep_ids():
    inst = make_instrument()
    rng = np.random.default_rng(3)
    data = {i: rng.integers(1, 6, 20).astype("int8") for i in inst.item_ids}
    pdf = pd.DataFrame({"respondent_id": np.arange(20), **data})
    pdf.loc[3, "citizens_com_1"] = np.nan  # a null counts as missing
    out_pd = score(pdf, inst)
    pldf = pl.from_pandas(pdf).with_columns(pl.col("citizens_com_1").cast(pl.Int8))
    out_pl = score(pldf, inst)
    assert isinstance(out_pd, pd.DataFrame)
    assert isinstance(out_pl, pl.DataFrame)
    assert out_pd.columns[0] == "respondent_id"
    assert out_pl.columns[0] == "respondent_id"
    np.testing.assert_allclose(
        out_pd["index"].to_numpy(), out_pl["index"].to_numpy().astype(float), equal_nan=True
    )
    assert out_pd["level"].tolist() == out_pl["level"].to_list()


def test_score_missing_column_and_bad_code_errors_name_the_problem():
    inst = make_instrument()
    pdf = pd.DataFrame({i: [3] for i in inst.item_ids}).drop(columns=["places_cap_2"])
    with pytest.raises(ScoringInputError, match=r"missing 1 item column.*places_cap_2"):
        score(pdf, inst)
    pdf = pd.DataFrame({i: [3, 3] for i in inst.item_ids})
    pdf.loc[1, "markets_com_4"] = 300
    with pytest.raises(ScoringInputError, match=r"'markets_com_4', row 2: code 300"):
        score(pdf, inst)


def test_organisation_scores_average_subscales_then_derive():
    inst = make_instrument()
    codes = np.vstack([full(inst, 5), full(inst, 1), full(inst, 4)])
    cols = list(inst.item_ids)
    codes[1, [cols.index(f"citizens_cap_{k}") for k in (1, 2, 3)]] = MISSING
    r = score_matrix(np.asfortranarray(codes), inst)
    orgs, org = score_organisations(r, np.array([10, 10, 20]), inst)
    assert orgs.tolist() == [10, 20]
    # org 10: citizens capacity from respondent 0 only (respondent 1's is missing)
    assert org.column("citizens_capacity")[0] == 100.0
    assert org.column("citizens_commitment")[0] == 50.0
    assert org.column("citizens")[0] == 75.0
    assert org.column("behaviours")[0] == 50.0
    assert org.column("index")[1] == 75.0
    assert org.level_labels()[1] == "leading"


@pytest.mark.parametrize(
    ("value", "message"),
    [
        (7, "column 'citizens_com_1', row 3: code 7 is not valid (answers are 1-5"),
        (0, "row 3: code 0 is not valid"),
        (3.5, "row 3: 3.5 is not a code"),
        (200, "row 3: code 200 is not valid"),
    ],
)
def test_codes_outside_the_scale_are_refused_with_column_and_row(value, message):
    inst = make_instrument()
    frame = pd.DataFrame({i: [1, 2, 3, 4] for i in inst.item_ids}, dtype="float64")
    frame.loc[2, "citizens_com_1"] = value
    with pytest.raises(ScoringInputError, match=re.escape(message)):
        score(frame, inst)


def test_an_item_nobody_answered_is_missing_not_an_error():
    inst = make_instrument()
    frame = pl.DataFrame({i: [5, 5, 5] for i in inst.item_ids}).with_columns(
        pl.lit(None, dtype=pl.String).alias("citizens_com_1")
    )
    out = score(frame, inst)
    # four of five commitment items answered: still a score, from those four
    assert out["citizens_commitment"].to_list() == [100.0, 100.0, 100.0]


def test_no_respondents_scores_to_an_empty_table():
    inst = make_instrument()
    empty = pl.DataFrame({i: pl.Series([], dtype=pl.Int8) for i in inst.item_ids})
    out = score(empty, inst)
    assert out.height == 0
    assert "index" in out.columns


def test_score_per_organisation_from_pandas_and_polars():
    inst = make_instrument()
    rows = {i: [5, 1, 3] for i in inst.item_ids}
    frame = pl.DataFrame({"organisation_id": [7, 7, 2], **rows})
    out = score(frame, inst, per="organisation")
    assert out["organisation_id"].to_list() == [2, 7]
    assert out["respondents"].to_list() == [1, 2]
    # organisation 7: subscale means of 100 and 0 -> 50; organisation 2 answered 3s -> 50
    assert out["index"].to_list() == [50.0, 50.0]
    assert score(frame.to_pandas(), inst, per="organisation")["respondents"].tolist() == [1, 2]
    with pytest.raises(ScoringInputError, match="organisation_id"):
        score(frame.drop("organisation_id"), inst, per="organisation")
