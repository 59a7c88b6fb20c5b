"""``analyse_responses`` against the statistics engine called directly."""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest

from collabready.analysis import MISSING_LABEL, analyse_responses, from_frame
from collabready.analysis.tables import AnalyseError, outcome_variables
from collabready.instrument import Instrument
from collabready.scoring import matrix_from_columns, score_matrix
from collabready.stats import estimate_means, margins_from_frame, rake, raked_design
from collabready.stats.disclosure import CellStatus

VALUES = ("estimate", "se", "ci_low", "ci_high", "df", "weighted_n")
BY = ("sector", "subsector")


@pytest.fixture(scope="module")
def responses(wave: tuple[pl.DataFrame, pl.DataFrame]) -> pl.DataFrame:
    """The wave with some organisations unknown and some sub-sectors unanswered."""
    frame, _ = wave
    row = pl.int_range(pl.len())

    def blank(column: str, where: pl.Expr) -> pl.Expr:
        return pl.when(where).then(None).otherwise(pl.col(column)).alias(column)

    return frame.with_columns(
        blank("organisation_id", row % 9 == 2), blank("subsector", row % 11 == 5)
    )


def expected(responses: pl.DataFrame, margins: pl.DataFrame, instrument: Instrument):
    """The statistics API called directly: score, rake, cluster, estimate_means."""
    cols = {i: responses[i].fill_null(9).to_numpy() for i in instrument.item_ids}
    scores = score_matrix(matrix_from_columns(cols, instrument, source="test"), instrument)
    raking = rake(
        data={v: responses[v].to_numpy() for v in ("sector", "size", "region")},
        margins=margins_from_frame(margins),
    )
    # a respondent without an organisation is a cluster of their own: any label of its own
    organisation = responses["organisation_id"].to_numpy()
    own = 10**9 + np.arange(responses.height)
    clusters = np.where(responses["organisation_id"].is_null().to_numpy(), own, organisation)
    design = raked_design(raking, clusters=clusters.astype(np.int64))
    subsector = responses["subsector"].fill_null("unanswered").to_numpy()
    table = estimate_means(
        design=design,
        variables={v: scores.column(v).astype(np.float64) for v in outcome_variables(instrument)},
        by={"sector": responses["sector"].to_numpy(), "subsector": subsector},
    )
    frame = pl.from_pandas(table.to_frame())
    return frame.with_columns(pl.col("domain").replace("unanswered", MISSING_LABEL)), design.n_psu


def test_analyse_responses_equals_the_statistics_engine(
    responses: pl.DataFrame, wave: tuple[pl.DataFrame, pl.DataFrame], cri: Instrument
) -> None:
    margins = margins_from_frame(wave[1])
    got = analyse_responses(from_frame(responses, cri), margins=margins, by=BY, k=5)
    want, n_psu = expected(responses, wave[1], cri)
    results = pl.from_pandas(got.results)
    keys = ["variable", "grouping", "domain"]
    assert results.height == want.height
    joined = want.join(results, on=keys, suffix="_got", how="left", validate="1:1")
    published = joined.filter(pl.col("disclosure") == "published")
    assert published.height >= want.height - 2 * len(got.variables)
    for column in VALUES:
        np.testing.assert_allclose(
            published[f"{column}_got"].to_numpy(), published[column].to_numpy(), rtol=1e-9
        )
    np.testing.assert_array_equal(published["n_got"].to_numpy(), published["n"].to_numpy())
    # withheld cells say why and carry no figures
    withheld = joined.filter(pl.col("disclosure") != "published")
    assert withheld["estimate_got"].null_count() == withheld.height
    assert got.n_psu == n_psu
    assert got.n_respondents == responses.height


def test_unknown_organisations_and_missing_sub_sectors(
    responses: pl.DataFrame, wave: tuple[pl.DataFrame, pl.DataFrame], cri: Instrument
) -> None:
    got = analyse_responses(
        from_frame(responses, cri), margins=margins_from_frame(wave[1]), by=BY, k=5
    )
    known = responses["organisation_id"].drop_nulls()
    unknown = responses["organisation_id"].null_count()
    assert unknown > 0
    # each respondent without an organisation is one more primary sampling unit
    assert got.n_psu == known.n_unique() + unknown
    missing = [c for c in got.cells if c.grouping == "subsector" and c.domain == MISSING_LABEL]
    assert [c.variable for c in missing] == list(outcome_variables(cri))
    index = next(c for c in missing if c.variable == "index")
    assert index.status is CellStatus.PUBLISHED
    assert index.estimate is not None
    blank = responses["subsector"].is_null().to_numpy()
    answered = np.isfinite(got.data.col("index"))
    assert index.estimate.n == int((blank & answered).sum())


def test_cells_below_k_are_withheld(
    responses: pl.DataFrame, wave: tuple[pl.DataFrame, pl.DataFrame], cri: Instrument
) -> None:
    k = 40  # more than the smallest sub-sectors hold
    got = analyse_responses(
        from_frame(responses, cri), margins=margins_from_frame(wave[1]), by=("subsector",), k=k
    )
    shown = [c for c in got.cells if c.estimate is not None]
    assert shown
    assert all(c.estimate.n >= k and c.estimate.k == k for c in shown)
    assert any(c.status is CellStatus.SUPPRESSED_PRIMARY for c in got.cells)
    for c in got.cells:
        assert (c.estimate is None) == (c.status is not CellStatus.PUBLISHED)


def test_by_a_column_that_is_not_in_the_data(
    responses: pl.DataFrame, wave: tuple[pl.DataFrame, pl.DataFrame], cri: Instrument
) -> None:
    with pytest.raises(AnalyseError, match=r"--by 'colour' is not a column of the data"):
        analyse_responses(
            from_frame(responses, cri), margins=margins_from_frame(wave[1]), by=("colour",)
        )
