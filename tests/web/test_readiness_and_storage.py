"""The readiness profile's peer benchmark (the snapshot rule) and the wave loader."""

from __future__ import annotations

import numpy as np
import pytest
from django.test import Client, override_settings
from django.utils import timezone
from hypothesis import given
from hypothesis import strategies as st

from collabready.analysis import codec as codes
from collabready.analysis.peers import PEER_SCORE_STEP, PEER_SHARE_STEP, PeerBenchmark
from collabready.instrument import MISSING, Instrument
from collabready.scoring import score_matrix
from collabready.web.surveys.models import Invitation, PeerSnapshot, Response, Wave
from collabready.web.surveys.selectors.readiness import response_readiness
from collabready.web.surveys.selectors.responses import (
    organisation_key,
    organisation_numbers,
    response_state,
    wave_responses,
)
from collabready.web.surveys.services.peers import peer_snapshot_refresh, peer_snapshot_schedule
from collabready.web.surveys.services.responses import response_new
from tests.web.conftest import Invited, answer_everything

IMMEDIATE_TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}


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
    """``n`` submitted peers: all answering ``code``, or ``rows[i]``; invited ones for
    ``organisations[i]`` (default: a new organisation each), or open-link responses
    with ``organisations=[]``."""
    sector_code = instrument.profile_question("sector").choice_by_value(sector).code
    made = []
    for i in range(n):
        invitation = None
        if organisations != []:
            name = organisations[i] if organisations else f"Peer {Invitation.objects.count()}"
            invitation = Invitation.objects.create(
                wave=wave,
                email=f"peer{Invitation.objects.count()}@example.org",
                organisation=name,
                sector=sector,
            )
        r = response_new(wave=wave, instrument=instrument, invitation=invitation)
        r.answers = rows[i] if rows is not None else bytes([code]) * len(instrument.item_ids)
        r.profile = codes.profile_update(bytes(r.profile), instrument, {"sector": sector_code})
        r.sector = sector
        r.submitted_at = timezone.now()
        made.append(r)
    Response.objects.bulk_create(made)


def _submit(client: Client, instrument: Instrument, code: int = 4) -> None:
    answer_everything(client, instrument, code)
    client.post("/survey/check-your-answers/", {})


def _benchmark(invited: Invited, *, refresh: bool = True) -> PeerBenchmark:
    """The respondent's peer benchmark, after taking the sector's snapshot again
    (what the background task does after each verified submission)."""
    if refresh:
        peer_snapshot_refresh(wave_id=invited.response.wave_id, sector="public")
    return response_readiness(state=response_state(response_id=invited.response.pk)).peers


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


def test_benchmark_hidden_below_the_minimum(
    respondent: Client, instrument: Instrument, wave: Wave, invited: Invited
) -> None:
    _peers(wave, instrument, 8)  # with the respondent's own: 9, a snapshot of 5
    _peers(wave, instrument, 10, sector="private")  # other sectors do not count
    _submit(respondent, instrument)
    peers = _benchmark(invited)
    assert peers.peers == 5
    assert not peers.shown
    assert peers.median is None
    assert peers.percentile is None
    html = respondent.get("/survey/profile/").content.decode()
    assert 'id="peers-hidden"' in html
    assert "at least 10 organisations in it that were invited" in html
    assert "Sector median" not in html


def test_benchmark_shown_at_the_minimum_in_english_and_welsh(
    respondent: Client, instrument: Instrument, wave: Wave, invited: Invited
) -> None:
    _peers(wave, instrument, 9)  # all "Disagree": 25 out of 100
    _submit(respondent, instrument, code=4)  # all "Agree": 75; ten organisations
    peers = _benchmark(invited)
    assert peers.shown
    assert peers.peers == 10
    assert peers.median is not None
    assert peers.median.value == 25.0
    assert peers.percentile is not None
    assert peers.percentile.value == 100.0  # 9 below and itself (half): 95% -> 100%
    html = respondent.get("/survey/profile/").content.decode()
    assert "Sector median" in html
    assert 'id="peers-hidden"' not in html
    assert "Based on 10 organisations in your sector (Public)" in html
    assert "updated each time another 5 organisations" in html
    assert "rounded to the nearest 5 points and the share to the nearest 10%" in html
    welsh = respondent.get("/cy/survey/profile/").content.decode()
    assert "Yn seiliedig ar 10 o sefydliadau yn eich sector (Cyhoeddus)" in welsh
    assert "talgrynnu i’r 5 pwynt agosaf" in welsh


def test_open_link_responses_never_count_as_peers(
    respondent: Client, instrument: Instrument, wave: Wave, invited: Invited
) -> None:
    _peers(wave, instrument, 30, organisations=[])  # open link: organisation unknown
    _submit(respondent, instrument)
    peers = _benchmark(invited)
    assert peers.peers == 0
    assert not peers.shown


def test_no_published_figure_is_a_peers_exact_score(
    respondent: Client, instrument: Instrument, wave: Wave, invited: Invited
) -> None:
    rows, exact = _varied_rows(instrument, 15, seed=7)
    _peers(wave, instrument, 15, rows=rows)
    _submit(respondent, instrument)  # the 16th organisation: outside the snapshot of 15
    peers = _benchmark(invited)
    assert peers.shown
    assert peers.peers == 15
    figures = [peers.median, peers.lower_quartile, peers.upper_quartile]
    for figure in figures:
        assert figure is not None
        assert figure.value % PEER_SCORE_STEP == 0
        assert not np.isclose(exact, figure.value).any(), (figure, exact)
    assert peers.percentile is not None
    assert peers.percentile.value % PEER_SHARE_STEP == 0
    # the figures are the exact quantiles (15 peers: the median is the 8th), rounded
    q1, median, q3 = np.quantile(exact, [0.25, 0.5, 0.75])
    assert np.isclose(exact, median).any()  # what an exact figure would leak
    assert abs(figures[0].value - median) <= PEER_SCORE_STEP / 2
    assert abs(figures[1].value - q1) <= PEER_SCORE_STEP / 2
    assert abs(figures[2].value - q3) <= PEER_SCORE_STEP / 2
    html = respondent.get("/survey/profile/").content.decode()
    assert html.count("Sector median") == 1  # one benchmark: the index, no block figures


def test_the_snapshot_moves_only_in_steps_of_k_organisations(
    respondent: Client, instrument: Instrument, wave: Wave, invited: Invited
) -> None:
    rows, _ = _varied_rows(instrument, 24, seed=3)
    _peers(wave, instrument, 14, rows=rows[:14])
    _submit(respondent, instrument)  # 15 organisations
    first = _benchmark(invited)
    assert first.peers == 15
    for i in range(14, 18):  # one more organisation at a time, up to 19
        _peers(wave, instrument, 1, rows=[rows[i]])
        assert _benchmark(invited) == first
    _peers(wave, instrument, 1, rows=[rows[18]])  # the 20th: a new snapshot
    assert _benchmark(invited).peers == 20
    assert PeerSnapshot.objects.get(wave=wave, sector="public").submitted == 20


def test_peers_count_each_organisation_once(
    respondent: Client, instrument: Instrument, wave: Wave, invited: Invited
) -> None:
    # 12 responses from 3 organisations (names compared ignoring case and spacing),
    # and 2 more from the respondent's own organisation ("Org")
    orgs = ["Alpha Trust", "alpha  trust", "ALPHA TRUST", "Alpha Trust"]
    orgs += ["Beta Ltd"] * 4 + ["Gamma Council"] * 4 + ["Org", " org "]
    _peers(wave, instrument, len(orgs), organisations=orgs)
    _submit(respondent, instrument)
    assert PeerSnapshot.objects.filter(wave=wave).count() == 0
    peers = _benchmark(invited)
    assert peers.peers == 0  # four organisations: no snapshot of five yet
    assert PeerSnapshot.objects.get(wave=wave, sector="public").submitted == 4
    _peers(wave, instrument, 6, organisations=[f"Org number {i}" for i in range(6)])
    peers = _benchmark(invited)
    assert peers.peers == 10
    assert peers.shown
    html = respondent.get("/survey/profile/").content.decode()
    assert "Based on 10 organisations in your sector (Public)" in html


def test_an_organisation_counts_with_its_respondents_combined(
    respondent: Client, instrument: Instrument, wave: Wave, invited: Invited
) -> None:
    # eight organisations answering "Disagree" (25); a ninth with one "Strongly
    # disagree" (0) and one "Strongly agree" (100) respondent: one peer at 50;
    # the respondent's own organisation (75) is the tenth
    _peers(wave, instrument, 8)
    _peers(wave, instrument, 1, code=1, organisations=["Split Org"])
    _peers(wave, instrument, 1, code=5, organisations=["Split Org"])
    _submit(respondent, instrument)
    peers = _benchmark(invited)
    assert peers.peers == 10
    assert peers.median is not None
    assert peers.median.value == 25.0
    stored = PeerSnapshot.objects.get(wave=wave, sector="public")
    index = np.frombuffer(bytes(stored.index), dtype=np.float64)
    assert index.tolist() == [25.0] * 8 + [50.0, 75.0]  # the split organisation once, at 50


@override_settings(COLLABREADY_PEER_MIN_K=8)
def test_k_comes_from_settings(
    respondent: Client, instrument: Instrument, wave: Wave, invited: Invited
) -> None:
    _peers(wave, instrument, 15)  # 16 organisations with the respondent's own
    _submit(respondent, instrument)
    peers = _benchmark(invited)
    assert peers.peers == 16  # a step of 8
    assert peers.minimum == 16
    assert peers.shown
    _peers(wave, instrument, 7)
    assert _benchmark(invited).peers == 16


@override_settings(COLLABREADY_PEER_REFRESH_SECONDS=3600, TASKS=IMMEDIATE_TASKS)
def test_a_verified_submission_schedules_a_refresh_at_most_once_an_interval(
    wave: Wave, instrument: Instrument, django_capture_on_commit_callbacks
) -> None:
    _peers(wave, instrument, 9)
    assert PeerSnapshot.objects.count() == 0
    assert peer_snapshot_schedule(wave_id=wave.pk, sector="public")  # ran at once here
    assert PeerSnapshot.objects.get(wave=wave).submitted == 9
    _peers(wave, instrument, 1)
    assert not peer_snapshot_schedule(wave_id=wave.pk, sector="public")  # too soon
    assert PeerSnapshot.objects.get(wave=wave).submitted == 9
    assert not peer_snapshot_schedule(wave_id=wave.pk, sector="")


@override_settings(COLLABREADY_PEER_REFRESH_SECONDS=0, TASKS=IMMEDIATE_TASKS)
def test_submitting_takes_the_snapshot_again(
    respondent: Client,
    instrument: Instrument,
    wave: Wave,
    invited: Invited,
    django_capture_on_commit_callbacks,
) -> None:
    _peers(wave, instrument, 9)
    peer_snapshot_refresh(wave_id=wave.pk, sector="public")
    assert PeerSnapshot.objects.get(wave=wave).organisations == 5
    with django_capture_on_commit_callbacks(execute=True):
        _submit(respondent, instrument)
    snapshot = PeerSnapshot.objects.get(wave=wave)
    assert snapshot.organisations == 10
    peers = _benchmark(invited, refresh=False)
    assert peers.shown


def test_a_snapshot_of_the_same_size_with_other_organisations_is_stored_and_read(
    instrument: Instrument, wave: Wave, invited: Invited
) -> None:
    """After a peer's response is erased the snapshot may hold as many organisations as
    before but other ones: it is stored again, and the page reads the new one (the
    process keeps the last snapshot it read only while the stored one is unchanged)."""
    _peers(wave, instrument, 10, code=2)
    first = _benchmark(invited)
    assert first.shown
    assert first.median is not None
    stored = bytes(PeerSnapshot.objects.get(wave=wave).index)
    erased = Response.objects.filter(wave=wave, submitted_at__isnull=False).order_by("pk")[:3]
    Response.objects.filter(pk__in=[r.pk for r in erased]).delete()
    _peers(wave, instrument, 3, code=5)  # 10 organisations again, three of them new
    again = _benchmark(invited)
    assert bytes(PeerSnapshot.objects.get(wave=wave).index) != stored
    assert again.peers == first.peers
    assert again.median is not None
    assert again.upper_quartile is not None
    assert again.upper_quartile.value > first.upper_quartile.value


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
    profile = response_readiness(state=response_state(response_id=response.pk))
    assert {b.block.id for b in profile.weakest} == {"markets", "places"}
    html = respondent.get("/survey/profile/").content.decode()
    assert "Agree a shared plan for markets." in html


def test_the_wave_loader_gives_the_core_matrix(wave: Wave, instrument: Instrument) -> None:
    _peers(wave, instrument, 2, code=5)
    _peers(wave, instrument, 1, code=5, organisations=[])  # open link
    draft = response_new(wave=wave, instrument=instrument)
    draft.save()
    matrix = wave_responses(wave=wave)
    assert matrix.codes.shape == (3, len(instrument.item_ids))
    assert matrix.codes.flags.f_contiguous
    assert matrix.codes.dtype == np.int8
    assert (matrix.codes == 5).all()
    assert list(matrix.profile["sector"]) == ["public"] * 3
    # invited responses are verified organisations; the open link is a cluster of its own
    assert matrix.verified.tolist() == [True, True, False]
    assert matrix.organisation[:2].tolist() == [1, 2]
    assert matrix.organisation[2] < 0
    everything = wave_responses(wave=wave, submitted_only=False)
    assert len(everything) == 4
    assert (everything.codes[-1] == MISSING).all()
    assert everything.profile["sector"][-1] is None
    assert len(wave_responses(wave=wave, verified_only=True)) == 2


@given(
    st.lists(
        st.text(alphabet=st.sampled_from("aA bB\t\n\x1c\xa0ßẞİé Co."), max_size=8), max_size=30
    )
)
def test_organisation_numbers_compare_names_as_organisation_key_does(names: list[str]) -> None:
    keys = [organisation_key(n) for n in names]
    first = list(dict.fromkeys(k for k in keys if k))
    expected = [first.index(k) + 1 if k else 0 for k in keys]
    assert organisation_numbers(names).tolist() == expected


def test_organisation_numbers_survive_a_hash_collision(monkeypatch: pytest.MonkeyPatch) -> None:
    """Names are grouped by hash and then checked; when two names share a hash (here
    every name does) they are grouped by the names themselves."""
    import polars as pl

    names = ["B", "a", "b ", "", "A", "c"]
    honest = organisation_numbers(names).tolist()
    monkeypatch.setattr(pl.Series, "hash", lambda self, seed=0: pl.Series([7] * len(self)))
    assert organisation_numbers(names).tolist() == honest == [1, 2, 1, 0, 2, 3]


def test_the_database_path_and_the_row_path_load_the_same_matrix(
    wave: Wave, instrument: Instrument, monkeypatch: pytest.MonkeyPatch
) -> None:
    """On PostgreSQL the loader concatenates the rows in the database; the row-by-row
    path (SQLite, or rows of the wrong width) must give the same matrix."""
    from collabready.web.surveys.selectors import responses as selector

    _peers(wave, instrument, 3, code=4, organisations=["Acme", "acme ", "Other"])
    _peers(wave, instrument, 3, code=3, organisations=["Ærø Café", "ÆRØ  café", "Straße"])
    _peers(wave, instrument, 2, code=2, organisations=[])
    _peers(wave, instrument, 2, code=3, sector="private")
    later = Response.objects.filter(wave=wave).order_by("pk").first()
    Response.objects.filter(pk=later.pk).update(submitted_at=timezone.now())  # last to submit
    options = [
        {},
        {"sector": "public"},
        {"verified_only": True, "submission_order": True},
        {"submitted_only": False},
    ]
    for kwargs in options:
        got = wave_responses(wave=wave, **kwargs)
        with monkeypatch.context() as patched:
            patched.setattr(selector, "_joins_rows_in_database", lambda: False)
            expected = wave_responses(wave=wave, **kwargs)
        assert got.respondent_id.tolist() == expected.respondent_id.tolist(), kwargs
        np.testing.assert_array_equal(got.codes, expected.codes)
        np.testing.assert_array_equal(got.organisation, expected.organisation)
        np.testing.assert_array_equal(got.verified, expected.verified)
        for q in instrument.profile:
            assert got.profile[q.id].tolist() == expected.profile[q.id].tolist()
    if selector.connection.vendor == "postgresql":  # the database path really ran
        rows = Response.objects.filter(wave=wave)
        assert selector._rows_postgresql(rows, instrument, submission_order=True) is not None
    first = wave_responses(wave=wave, submission_order=True).respondent_id
    assert first[-1] == later.pk
    assert wave_responses(wave=wave, sector="nowhere").codes.shape == (0, len(instrument.item_ids))


def test_a_stored_row_of_the_wrong_width_is_named_on_every_database(
    wave: Wave, instrument: Instrument
) -> None:
    _peers(wave, instrument, 2, code=4)
    Response.objects.filter(wave=wave).update(answers=b"\x01\x02")
    with pytest.raises(ValueError, match=f"do not all hold {len(instrument.item_ids)} codes"):
        wave_responses(wave=wave)


def test_codes_round_trip(instrument: Instrument) -> None:
    empty = codes.answers_empty(instrument)
    updated = codes.answers_update(empty, instrument, {"citizens_com_1": 3, "out_2": 8})
    assert codes.answers_decode(updated, instrument) == {"citizens_com_1": 3, "out_2": 8}
    rows = [updated, empty]
    matrix = codes.matrix_from_rows(rows, len(instrument.item_ids))
    assert matrix[0, 0] == 3
    assert matrix[1, 0] == MISSING
