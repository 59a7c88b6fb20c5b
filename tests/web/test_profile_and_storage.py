"""The readiness profile's peer comparison and the wave matrix loader."""

from __future__ import annotations

import numpy as np
from django.test import Client, override_settings
from django.utils import timezone

from collabready.instrument import MISSING, Instrument
from collabready.web.surveys import codes
from collabready.web.surveys.models import Response, Wave
from collabready.web.surveys.selectors.profile import readiness_profile
from collabready.web.surveys.selectors.responses import wave_matrix
from collabready.web.surveys.services.responses import response_new
from tests.web.conftest import Invited, answer_everything


def _peers(
    wave: Wave, instrument: Instrument, n: int, *, sector: str = "public", code: int = 2
) -> None:
    sector_code = instrument.profile_question("sector").choice_by_value(sector).code
    rows = []
    for _ in range(n):
        r = response_new(wave=wave, instrument=instrument)
        r.answers = bytes([code]) * len(instrument.item_ids)
        r.profile = codes.profile_update(bytes(r.profile), instrument, {"sector": sector_code})
        r.sector = sector
        r.submitted_at = timezone.now()
        rows.append(r)
    Response.objects.bulk_create(rows)


def _submit(client: Client, instrument: Instrument) -> None:
    answer_everything(client, instrument)
    client.post("/survey/check-your-answers/", {})


def test_peer_benchmark_hidden_below_k(
    respondent: Client, instrument: Instrument, wave: Wave, invited: Invited
) -> None:
    _peers(wave, instrument, 4)
    _peers(wave, instrument, 10, sector="private")  # other sectors do not count
    _submit(respondent, instrument)
    profile = readiness_profile(response_id=invited.response.pk)
    assert profile.peers.peers == 4
    assert not profile.peers.shown
    html = respondent.get("/survey/profile/").content.decode()
    assert 'id="peers-hidden"' in html
    assert "at least 5 other organisations" in html
    assert "Sector median" not in html


def test_peer_benchmark_shown_from_k(
    respondent: Client, instrument: Instrument, wave: Wave, invited: Invited
) -> None:
    _peers(wave, instrument, 5)  # all "Disagree": 25 out of 100
    _submit(respondent, instrument)  # all "Agree": 75
    profile = readiness_profile(response_id=invited.response.pk)
    assert profile.peers.shown
    assert profile.peers.median == 25.0
    assert profile.peers.percentile == 100.0
    html = respondent.get("/survey/profile/").content.decode()
    assert "Sector median" in html
    assert 'id="peers-hidden"' not in html


@override_settings(COLLABREADY_PEER_MIN_K=20)
def test_k_comes_from_settings(
    respondent: Client, instrument: Instrument, wave: Wave, invited: Invited
) -> None:
    _peers(wave, instrument, 10)
    _submit(respondent, instrument)
    assert not readiness_profile(response_id=invited.response.pk).peers.shown


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
