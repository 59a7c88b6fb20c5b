"""The readiness profile's peer comparison and the wave matrix loader."""

from __future__ import annotations

import dataclasses
import math

import numpy as np
from django.test import Client, override_settings
from django.utils import timezone

from collabready.instrument import MISSING, Instrument
from collabready.scoring import score_matrix
from collabready.analysis import codec as codes
from collabready.web.surveys.models import Invitation, Response, Wave
from collabready.web.surveys.selectors.profile import (
    PEER_SCORE_STEP,
    PEER_SHARE_STEP,
    PeerComparison,
    PeerUnit,
    peer_minimum,
    readiness_profile,
)
from collabready.web.surveys.selectors.responses import wave_matrix
from collabready.web.surveys.services.responses import response_new
from tests.web.conftest import Invited, answer_everything


def _peers(
    wave: Wave,
    instrument: Instrument,
    n: int,
    *,
    sector: str = "public",
    code: int = 2,
    rows: list[bytes] | None = None,
    organisations: list[str] | None = None,
) -> None:
    """``n`` submitted peers: all answering ``code``, or ``rows[i]``; open-link
    responses, or invited ones for ``organisations[i]``."""
    sector_code = instrument.profile_question("sector").choice_by_value(sector).code
    made = []
    for i in range(n):
        invitation = None
        if organisations is not None:
            invitation = Invitation.objects.create(
                wave=wave,
                email=f"peer{Invitation.objects.count()}@example.org",
                organisation=organisations[i],
                sector=sector,
            )
        r = response_new(wave=wave, instrument=instrument, invitation=invitation)
        r.answers = rows[i] if rows is not None else bytes([code]) * len(instrument.item_ids)
        r.profile = codes.profile_update(bytes(r.profile), instrument, {"sector": sector_code})
        r.sector = sector
        r.submitted_at = timezone.now()
        made.append(r)
    Response.objects.bulk_create(made)


def _submit(client: Client, instrument: Instrument) -> None:
    answer_everything(client, instrument)
    client.post("/survey/check-your-answers/", {})


def _varied_rows(instrument: Instrument, n: int, seed: int) -> tuple[list[bytes], np.ndarray]:
    """``n`` answer rows whose index scores differ and are none of them a multiple of
    the rounding step (so a published figure equal to one would be a leak)."""
    rng = np.random.default_rng(seed)
    rows: list[bytes] = []
    scores: list[float] = []
    while len(rows) < n:
        row = rng.integers(1, 6, size=len(instrument.item_ids)).astype(np.int8)
        index = float(score_matrix(row.reshape(1, -1), instrument).column("index")[0])
        if index % PEER_SCORE_STEP == 0 or any(abs(index - s) < 1e-6 for s in scores):
            continue
        rows.append(row.tobytes())
        scores.append(index)
    return rows, np.array(scores)


def test_peer_minimum_is_stricter_than_k() -> None:
    assert peer_minimum() == 10  # k = 5: max(2k, 10)
    with override_settings(COLLABREADY_PEER_MIN_K=8):
        assert peer_minimum() == 16
    with override_settings(COLLABREADY_PEER_BENCHMARK_MIN=12):
        assert peer_minimum() == 12
    with override_settings(COLLABREADY_PEER_BENCHMARK_MIN=3):
        assert peer_minimum() == 5  # never below k


def test_peer_benchmark_hidden_below_k(
    respondent: Client, instrument: Instrument, wave: Wave, invited: Invited
) -> None:
    _peers(wave, instrument, 4)
    _peers(wave, instrument, 10, sector="private")  # other sectors do not count
    _submit(respondent, instrument)
    profile = readiness_profile(response_id=invited.response.pk)
    assert profile.peers.peers == 4
    assert not profile.peers.shown
    assert math.isnan(profile.peers.median)
    html = respondent.get("/survey/profile/").content.decode()
    assert 'id="peers-hidden"' in html
    assert "at least 10 other organisations" in html
    assert "Sector median" not in html


def test_peer_benchmark_hidden_just_below_the_minimum(
    respondent: Client, instrument: Instrument, wave: Wave, invited: Invited
) -> None:
    _peers(wave, instrument, 9)  # at least k = 5, but fewer than max(2k, 10)
    _submit(respondent, instrument)
    profile = readiness_profile(response_id=invited.response.pk)
    assert profile.peers.peers == 9
    assert not profile.peers.shown
    assert math.isnan(profile.peers.median)
    assert math.isnan(profile.peers.percentile)
    html = respondent.get("/survey/profile/").content.decode()
    assert 'id="peers-hidden"' in html
    assert "at least 10 other organisations" in html
    assert "Sector median" not in html


def test_peer_benchmark_shown_at_the_minimum(
    respondent: Client, instrument: Instrument, wave: Wave, invited: Invited
) -> None:
    _peers(wave, instrument, 10)  # all "Disagree": 25 out of 100
    _submit(respondent, instrument)  # all "Agree": 75
    profile = readiness_profile(response_id=invited.response.pk)
    assert profile.peers.shown
    assert profile.peers.peers == 10
    assert profile.peers.median == 25.0
    assert profile.peers.percentile == 100.0
    # open-link peers: their organisations are not known, so they are respondents
    assert profile.peers.unit is PeerUnit.RESPONDENTS
    html = respondent.get("/survey/profile/").content.decode()
    assert "Sector median" in html
    assert 'id="peers-hidden"' not in html
    assert "Based on 10 other respondents in your sector (Public)" in html
    assert "rounded to the nearest 5 points and the share to the nearest 10%" in html
    welsh = respondent.get("/cy/survey/profile/").content.decode()
    assert "Yn seiliedig ar 10 o ymatebwyr eraill yn eich sector (Cyhoeddus)" in welsh
    assert "talgrynnu i’r 5 pwynt agosaf" in welsh


def test_no_published_figure_is_a_peers_exact_score(
    respondent: Client, instrument: Instrument, wave: Wave, invited: Invited
) -> None:
    rows, exact = _varied_rows(instrument, 10, seed=7)
    _peers(wave, instrument, 10, rows=rows)
    _submit(respondent, instrument)
    peers = readiness_profile(response_id=invited.response.pk).peers
    assert peers.shown
    published = (peers.median, peers.lower_quartile, peers.upper_quartile)
    for figure in published:
        assert figure % PEER_SCORE_STEP == 0
        assert not np.isclose(exact, figure).any(), (figure, exact)
    assert peers.percentile % PEER_SHARE_STEP == 0
    # the figures are the exact quantiles, rounded
    q1, median, q3 = np.quantile(exact, [0.25, 0.5, 0.75])
    assert abs(peers.median - median) <= PEER_SCORE_STEP / 2
    assert abs(peers.lower_quartile - q1) <= PEER_SCORE_STEP / 2
    assert abs(peers.upper_quartile - q3) <= PEER_SCORE_STEP / 2


def test_quantiles_that_land_on_a_peer_are_not_published_exactly(
    respondent: Client, instrument: Instrument, wave: Wave, invited: Invited
) -> None:
    """With 13 peers, the linear quartiles and median are exactly the 4th, 7th and
    10th peers' scores; only their rounded values are published."""
    rows, exact = _varied_rows(instrument, 13, seed=11)
    _peers(wave, instrument, 13, rows=rows)
    _submit(respondent, instrument)
    peers = readiness_profile(response_id=invited.response.pk).peers
    raw = np.quantile(exact, [0.25, 0.5, 0.75])
    assert all(np.isclose(exact, v).any() for v in raw)  # what an exact figure would leak
    for figure in (peers.lower_quartile, peers.median, peers.upper_quartile):
        assert not np.isclose(exact, figure).any()


def test_no_per_block_peer_figures(
    respondent: Client, instrument: Instrument, wave: Wave, invited: Invited
) -> None:
    _peers(wave, instrument, 12)
    _submit(respondent, instrument)
    peers = readiness_profile(response_id=invited.response.pk).peers
    assert peers.shown
    names = {f.name for f in dataclasses.fields(PeerComparison)}
    assert not any("block" in name for name in names)
    html = respondent.get("/survey/profile/").content.decode()
    assert html.count("Sector median") == 1


def test_peers_count_each_organisation_once(
    respondent: Client, instrument: Instrument, wave: Wave, invited: Invited
) -> None:
    # 12 responses, but from 3 organisations (names compared ignoring case and spacing),
    # and 2 more from the respondent's own organisation ("Org"), which are no peers
    orgs = ["Alpha Trust", "alpha  trust", "ALPHA TRUST", "Alpha Trust"]
    orgs += ["Beta Ltd"] * 4 + ["Gamma Council"] * 4 + ["Org", " org "]
    _peers(wave, instrument, len(orgs), organisations=orgs)
    _submit(respondent, instrument)
    peers = readiness_profile(response_id=invited.response.pk).peers
    assert peers.peers == 3
    assert not peers.shown
    assert peers.unit is PeerUnit.ORGANISATIONS
    # seven more organisations: ten in all, and the benchmark is shown
    _peers(wave, instrument, 7, organisations=[f"Org number {i}" for i in range(7)])
    peers = readiness_profile(response_id=invited.response.pk).peers
    assert peers.peers == 10
    assert peers.shown
    html = respondent.get("/survey/profile/").content.decode()
    assert "Based on 10 other organisations in your sector (Public)" in html
    # an open-link peer, whose organisation is not known, counts as one more
    _peers(wave, instrument, 1)
    peers = readiness_profile(response_id=invited.response.pk).peers
    assert peers.peers == 11
    assert peers.unit is PeerUnit.MIXED
    html = respondent.get("/survey/profile/").content.decode()
    assert "Based on answers from 11 other organisations and respondents" in html


def test_an_organisation_counts_with_its_respondents_combined(
    respondent: Client, instrument: Instrument, wave: Wave, invited: Invited
) -> None:
    # nine organisations answering "Disagree" (25); a tenth with one "Strongly
    # disagree" (0) and one "Strongly agree" (100) respondent: one peer at 50
    _peers(wave, instrument, 9, organisations=[f"Org {i}" for i in range(9)])
    _peers(wave, instrument, 1, code=1, organisations=["Split Org"])
    _peers(wave, instrument, 1, code=5, organisations=["Split Org"])
    _submit(respondent, instrument)
    peers = readiness_profile(response_id=invited.response.pk).peers
    assert peers.peers == 10
    assert peers.median == 25.0
    assert peers.upper_quartile == 25.0


@override_settings(COLLABREADY_PEER_MIN_K=20)
def test_k_comes_from_settings(
    respondent: Client, instrument: Instrument, wave: Wave, invited: Invited
) -> None:
    _peers(wave, instrument, 10)
    _submit(respondent, instrument)
    assert not readiness_profile(response_id=invited.response.pk).peers.shown


@override_settings(COLLABREADY_PEER_BENCHMARK_MIN=12)
def test_benchmark_minimum_comes_from_settings(
    respondent: Client, instrument: Instrument, wave: Wave, invited: Invited
) -> None:
    _peers(wave, instrument, 11)
    _submit(respondent, instrument)
    assert not readiness_profile(response_id=invited.response.pk).peers.shown
    html = respondent.get("/survey/profile/").content.decode()
    assert "at least 12 other organisations" in html
    _peers(wave, instrument, 1)
    assert readiness_profile(response_id=invited.response.pk).peers.shown


def test_weakest_blocks_get_suggested_actions(
    respondent: Client, instrument: Instrument, invited: Invited
) -> None:
    _submit(respondent, instrument)
    response = Response.objects.get(pk=invited.response.pk)
    answers = bytearray(response.answers)
    for j, item_id in enumerate(instrument.item_ids):
        if item_id.startswith(("markets_", "places_")):
            answers[j] = 1
    Response.objects.filter(pk=response.pk).update(answers=bytes(answers))
    profile = readiness_profile(response_id=response.pk)
    assert {b.block.id for b in profile.weakest} == {"markets", "places"}
    html = respondent.get("/survey/profile/").content.decode()
    assert "Agree a shared plan for markets." in html


def test_wave_matrix_is_column_major_in_item_order(wave: Wave, instrument: Instrument) -> None:
    _peers(wave, instrument, 3, code=5)
    draft = response_new(wave=wave, instrument=instrument)
    draft.save()
    matrix = wave_matrix(wave=wave)
    assert matrix.codes.shape == (3, len(instrument.item_ids))
    assert matrix.codes.flags.f_contiguous
    assert matrix.codes.dtype == np.int8
    assert (matrix.codes == 5).all()
    assert matrix.item_ids == instrument.item_ids
    assert list(matrix.profile_values("sector", instrument)) == ["public"] * 3
    everything = wave_matrix(wave=wave, submitted_only=False)
    assert len(everything) == 4
    assert (everything.codes[-1] == MISSING).all()
    frame = everything.to_frame(instrument)
    assert list(frame.columns[:4]) == ["response_id", "sector", "role", "size"]
    assert frame["citizens_com_1"].tolist() == [5, 5, 5, MISSING]


def test_codes_round_trip(instrument: Instrument) -> None:
    empty = codes.answers_empty(instrument)
    updated = codes.answers_update(empty, instrument, {"citizens_com_1": 3, "out_2": 8})
    assert codes.answers_decode(updated, instrument) == {"citizens_com_1": 3, "out_2": 8}
    rows = [updated, empty]
    matrix = codes.matrix_from_rows(rows, len(instrument.item_ids))
    assert matrix[0, 0] == 3
    assert matrix[1, 0] == MISSING
