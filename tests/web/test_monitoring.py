"""Live monitoring: counts by profile answer against quotas, response rate, days, funnel and
median time, each checked against the stored responses; the quotas form; the CLI."""

from __future__ import annotations

import statistics
from collections import Counter
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import polars as pl
import pytest
from django.contrib.auth.models import User
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from typer.testing import CliRunner

from collabready.analysis import codec as codes
from collabready.cli import app
from collabready.instrument import Instrument
from collabready.web.privacy.services.erasure import response_erase
from collabready.web.surveys.journey import journey_pages
from collabready.web.surveys.models import Invitation, MonitoringSnapshot, Response, Wave
from collabready.web.surveys.selectors.counts import SNAPSHOT_GRACE, Counts, wave_counts
from collabready.web.surveys.selectors.monitoring import wave_monitoring
from collabready.web.surveys.services.bulk import responses_bulk_load
from collabready.web.surveys.services.invitations import invitations_import_csv
from collabready.web.surveys.services.responses import response_new

LONDON = ZoneInfo("Europe/London")


@pytest.fixture
def staff(client: Client, db: None) -> Client:
    User.objects.create_user("staff", "staff@example.org", "pw-for-tests", is_staff=True)
    assert client.login(username="staff", password="pw-for-tests")
    return client


@pytest.fixture
def fieldwork(wave: Wave, instrument: Instrument) -> Wave:
    """24 invitees over three sectors and sizes; 18 started on three days, 10 submitted,
    the rest stopped on various pages; 2 open-link starts; 1 test response (ignored)."""
    sectors = ["public", "private", "third"]
    sizes = [c.value for c in instrument.profile_question("size").choices]
    rows = "".join(
        f"p{i}@example.org,P{i},Org {i},{sectors[i % 3]},{sizes[i % len(sizes)]}\n"
        for i in range(24)
    )
    invitations_import_csv(wave=wave, data=f"email,name,organisation,sector,size\n{rows}".encode())
    Invitation.objects.update(invited_at=datetime(2026, 3, 1, 9, tzinfo=LONDON))
    pages = [p.slug for p in journey_pages(instrument)]
    for i, response in enumerate(Response.objects.order_by("pk")):
        if i >= 18:
            continue  # not started
        started = datetime(2026, 3, 2 + i % 3, 23, 30, tzinfo=LONDON)  # late evening, UK time
        response.version = 3
        response.started_at = started
        response.last_page = pages[i % len(pages)]
        if i < 10:
            response.submitted_at = started + timedelta(minutes=10 + 3 * i)
            response.last_page = pages[-1]
        response.save()
    for j in range(2):
        anon = response_new(wave=wave, instrument=instrument)
        anon.version = 1
        anon.started_at = datetime(2026, 3, 4, 12, tzinfo=LONDON)
        anon.last_page = pages[0]
        anon.profile = codes.profile_update(
            bytes(anon.profile),
            instrument,
            {"sector": instrument.profile_question("sector").choice_by_value("public").code},
        )
        anon.save()
        del j
    test = response_new(wave=wave, instrument=instrument)
    test.is_test, test.version, test.started_at = True, 5, datetime(2026, 3, 3, tzinfo=LONDON)
    test.submitted_at = datetime(2026, 3, 3, 1, tzinfo=LONDON)
    test.save()
    Wave.objects.filter(pk=wave.pk).update(quotas={"sector": {"public": 8, "third": 4}})
    wave.refresh_from_db()
    return wave


def _stored(wave: Wave, instrument: Instrument) -> list[Response]:
    return list(Response.objects.filter(wave=wave, is_test=False, version__gt=0))


def test_counts_by_profile_answer_match_the_stored_responses(
    fieldwork: Wave, instrument: Instrument
) -> None:
    m = wave_monitoring(wave=fieldwork)
    stored = _stored(fieldwork, instrument)
    assert m.started == len(stored) == 20
    assert m.submitted == sum(r.submitted_at is not None for r in stored) == 10
    for breakdown in m.breakdowns:
        question = instrument.profile_question(breakdown.variable)
        decoded = [
            codes.profile_decode(bytes(r.profile), instrument).get(question.id) for r in stored
        ]
        started = Counter(decoded)
        submitted = Counter(
            d for d, r in zip(decoded, stored, strict=True) if r.submitted_at is not None
        )
        for g in breakdown.groups:
            code = question.choice_by_value(g.key).code if g.key else None
            assert (g.started, g.submitted) == (started[code], submitted[code]), g
            assert g.label == (
                question.choice_by_value(g.key).label.get("en") if g.key else "Not answered yet"
            )
    sector = next(b for b in m.breakdowns if b.variable == "sector")
    public = next(g for g in sector.groups if g.key == "public")
    assert (public.target, public.share_of_target) == (8, round(100 * public.submitted / 8))
    assert next(g for g in sector.groups if g.key == "private").target is None
    assert [b.variable for b in m.breakdowns] == ["sector", "size"]


def test_rate_days_funnel_and_median_match_the_stored_responses(
    fieldwork: Wave, instrument: Instrument
) -> None:
    m = wave_monitoring(wave=fieldwork)
    stored = _stored(fieldwork, instrument)
    assert (m.invited, m.emailed) == (24, 24)
    invited_submitted = sum(
        r.submitted_at is not None and r.invitation_id is not None for r in stored
    )
    assert m.response_rate == pytest.approx(100 * invited_submitted / 24)
    starts = Counter(r.started_at.astimezone(LONDON).date() for r in stored if r.started_at)
    done = Counter(r.submitted_at.astimezone(LONDON).date() for r in stored if r.submitted_at)
    assert {d.day: d.starts for d in m.days if d.starts} == dict(starts)
    assert {d.day: d.completions for d in m.days if d.completions} == dict(done)
    # 23:30 UK time on 2 March is 2 March, not the UTC date
    assert m.days[0].day.isoformat() == "2026-03-02"
    stopped = Counter(r.last_page for r in stored if r.submitted_at is None)
    assert {s.slug: s.stopped_here for s in m.funnel if s.stopped_here} == dict(stopped)
    assert m.funnel[0].reached == 20
    minutes = [
        (r.submitted_at - r.started_at).total_seconds() / 60
        for r in stored
        if r.submitted_at and r.started_at
    ]
    assert m.median_minutes == pytest.approx(statistics.median(minutes))


def test_monitoring_is_a_fixed_number_of_queries_whatever_the_size(
    fieldwork: Wave, instrument: Instrument
) -> None:
    with CaptureQueriesContext(connection) as few:
        wave_monitoring(wave=fieldwork)
    extra = [response_new(wave=fieldwork, instrument=instrument) for _ in range(200)]
    for r in extra:
        r.version, r.started_at = 1, datetime(2026, 3, 5, tzinfo=LONDON)
    Response.objects.bulk_create(extra)
    with CaptureQueriesContext(connection) as many:
        wave_monitoring(wave=fieldwork)
    assert len(many.captured_queries) == len(few.captured_queries)
    assert any("GROUP BY" in q["sql"] for q in many.captured_queries)


def test_the_monitoring_page_and_quotas_form(staff: Client, fieldwork: Wave) -> None:
    page = staff.get(f"/backoffice/waves/{fieldwork.pk}/monitoring/").content.decode()
    assert '<dd class="govuk-summary-list__value" id="monitoring-submitted">20 / 10</dd>' in page
    assert "Starts and completions per day" in page
    assert "<svg" in page
    got = staff.post(
        f"/backoffice/waves/{fieldwork.pk}/quotas/",
        {"quotas": "sector, Public, 10\nsector, 3, 5\nregion, north, 4\nsize, small, lots\n"},
    )
    assert got.status_code == 400
    text = got.content.decode()
    assert "line 3: &#x27;region&#x27; is not one of sector, size" in text
    assert "line 4: the target &#x27;lots&#x27; is not a whole number above 0" in text
    fieldwork.refresh_from_db()
    assert fieldwork.quotas == {"sector": {"public": 8, "third": 4}}  # unchanged
    staff.post(
        f"/backoffice/waves/{fieldwork.pk}/quotas/", {"quotas": "sector, Public, 10\nsector, 3, 5"}
    )
    fieldwork.refresh_from_db()
    assert fieldwork.quotas == {"sector": {"public": 10, "third": 5}}


def test_collabready_status_prints_the_same_figures(fieldwork: Wave) -> None:
    got = CliRunner().invoke(app, ["status", "--wave", fieldwork.slug])
    assert got.exit_code == 0, got.output
    assert "Test wave 2026: monitoring" in got.output
    m = wave_monitoring(wave=fieldwork)
    sector = next(b for b in m.breakdowns if b.variable == "sector")
    public = next(g for g in sector.groups if g.key == "public")
    assert any(
        line.split()[:1] == [public.label.split()[0]]
        and f"{public.submitted}" in line
        and f"{public.share_of_target}%" in line
        for line in got.output.splitlines()
    ), got.output
    assert "Funnel and drop-off by page" in got.output


@pytest.mark.postgres
def test_profile_grouping_runs_on_postgresql(fieldwork: Wave, instrument: Instrument) -> None:
    test_counts_by_profile_answer_match_the_stored_responses(fieldwork, instrument)
    test_rate_days_funnel_and_median_match_the_stored_responses(fieldwork, instrument)


# --------------------------------------------------------------------------- the snapshot


def _figures(wave: Wave) -> tuple[object, ...]:
    m = wave_monitoring(wave=wave)
    return (
        m.started,
        m.submitted,
        m.invited_submitted,
        m.breakdowns,
        m.days,
        m.funnel,
        m.median_minutes,
    )


def _held(wave: Wave) -> bool:
    """Whether the wave's snapshot holds counts (an emptied row holds none)."""
    row = MonitoringSnapshot.objects.filter(wave=wave).first()
    return row is not None and row.counts.get("width", 0) > 0


def _counted_afresh(wave: Wave, settings: Any) -> tuple[object, ...]:
    """The figures counted over every response, with no snapshot."""
    MonitoringSnapshot.objects.filter(wave=wave).delete()
    settings.COLLABREADY_MONITORING_SNAPSHOT_AFTER = 10**9
    try:
        return _figures(wave)
    finally:
        settings.COLLABREADY_MONITORING_SNAPSHOT_AFTER = 1


def test_the_snapshot_plus_what_came_after_equals_counting_afresh(
    fieldwork: Wave, instrument: Instrument, settings: Any
) -> None:
    """The March submissions are long past the grace period: with a threshold of one
    they go into the snapshot, and every figure is still the count over the stored
    responses, also after new submissions, a new start and an erasure."""
    settings.COLLABREADY_MONITORING_SNAPSHOT_AFTER = 1
    fresh = _counted_afresh(fieldwork, settings)
    assert _figures(fieldwork) == fresh
    snapshot = MonitoringSnapshot.objects.get(wave=fieldwork)
    assert snapshot.counts["counts"]["submitted"] == 10  # the ten March submissions
    # the snapshot is what is read: a count altered in it shows on the page
    snapshot.counts["counts"]["submitted"] += 1000
    snapshot.save()
    assert wave_monitoring(wave=fieldwork).submitted == 1010
    snapshot.counts["counts"]["submitted"] -= 1000
    snapshot.save()
    # two submissions now (after the snapshot) and one new start
    waiting = list(
        Response.objects.filter(wave=fieldwork, submitted_at__isnull=True, version__gt=0)[:3]
    )
    for r in waiting[:2]:
        r.submitted_at = timezone.now()
        r.save()
    waiting[2].last_page = journey_pages(instrument)[1].slug
    waiting[2].save()
    assert _figures(fieldwork) == _counted_afresh(fieldwork, settings)
    # an erased response in the snapshot: the snapshot is dropped, the count stays exact
    _figures(fieldwork)
    assert _held(fieldwork)
    counted = Response.objects.filter(
        wave=fieldwork, submitted_at__lt=timezone.now() - timedelta(days=1)
    )
    response_erase(response_id=counted.first().pk, by="staff", reason="test")
    assert not _held(fieldwork)
    after = _figures(fieldwork)
    assert after[1] == 11  # 10 + 2 - 1
    assert after == _counted_afresh(fieldwork, settings)


def test_recent_submissions_do_not_rebuild_the_snapshot_at_every_reading(
    wave: Wave, instrument: Instrument, settings: Any
) -> None:
    """Submissions within the grace period are not put in a snapshot (their transactions
    may still be open elsewhere), so a burst of them does not rebuild it on each read."""
    settings.COLLABREADY_MONITORING_SNAPSHOT_AFTER = 1
    for _ in range(5):
        r = response_new(wave=wave, instrument=instrument)
        r.version, r.started_at, r.submitted_at = 1, timezone.now(), timezone.now()
        r.save()
    assert wave_monitoring(wave=wave).submitted == 5
    assert not _held(wave)
    later = timezone.now() + SNAPSHOT_GRACE + timedelta(minutes=1)
    assert wave_counts(wave=wave, now=later).submitted == 5
    snapshot = MonitoringSnapshot.objects.get(wave=wave)
    assert snapshot.counts["counts"]["submitted"] == 5


def test_a_bulk_load_drops_the_snapshot(
    fieldwork: Wave, instrument: Instrument, settings: Any
) -> None:
    """Loaded or imported responses are stored with their own submission time, which
    may fall before the snapshot's: the load drops it and the count stays exact."""
    settings.COLLABREADY_MONITORING_SNAPSHOT_AFTER = 1
    _figures(fieldwork)
    assert _held(fieldwork)
    frame = pl.DataFrame(
        {
            **{item: pl.Series([3] * 30, dtype=pl.Int8) for item in instrument.item_ids},
            "sector": ["public", "third"] * 15,
            "complete": [True] * 30,
        }
    )
    loaded = responses_bulk_load(wave=fieldwork, responses=frame)
    assert not _held(fieldwork)
    Response.objects.filter(wave=fieldwork, synthetic=True).update(
        submitted_at=datetime(2026, 3, 1, tzinfo=LONDON)  # before the old snapshot's moment
    )
    assert _figures(fieldwork) == _counted_afresh(fieldwork, settings)
    assert wave_monitoring(wave=fieldwork).started == 20 + loaded


def test_the_median_is_to_the_second_and_even_counts_take_the_middle_two() -> None:
    counts = Counts(durations={60: 1, 120: 2, 600: 1})
    assert counts.median_seconds() == 120
    assert Counts(durations={60: 1, 600: 1}).median_seconds() == 330
    assert Counts().median_seconds() is None
    both = Counts(started=1, groups={("public", 1): [1, 0]}) + Counts(
        started=2, groups={("public", 1): [1, 1], ("third", 2): [1, 1]}
    )
    assert both.started == 3
    assert both.groups == {("public", 1): [2, 1], ("third", 2): [1, 1]}
    assert Counts.from_json(both.to_json(), width=2) == both


@pytest.mark.postgres
def test_the_snapshot_on_postgresql(fieldwork: Wave, instrument: Instrument, settings: Any) -> None:
    test_the_snapshot_plus_what_came_after_equals_counting_afresh(fieldwork, instrument, settings)
