"""Exports of a wave from the database: open answers and partial responses beside the matrix."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pyreadstat
from django.utils import timezone
from typer.testing import CliRunner

from collabready.analysis import codec
from collabready.cli import app
from collabready.instrument import Instrument
from collabready.web.surveys.models import Response, Wave
from collabready.web.surveys.selectors.exports import wave_export_data
from collabready.web.surveys.services.responses import response_new
from tests.web.conftest import invite


def _response(
    wave: Wave,
    instrument: Instrument,
    *,
    code: int,
    submitted: bool,
    page: str = "",
    answer: str | None = None,
) -> Response:
    response = response_new(wave=wave, instrument=instrument)
    response.answers = codec.answers_update(
        bytes(response.answers), instrument, dict.fromkeys(instrument.item_ids[:4], code)
    )
    response.profile = codec.profile_update(bytes(response.profile), instrument, {"sector": 1})
    response.organisation_ref = f"Org {code}"
    response.last_page = page
    response.open_answers = {"open_improve": answer} if answer is not None else {}
    response.started_at = timezone.now()
    response.submitted_at = timezone.now() if submitted else None
    response.save()
    return response


def _wave_rows(wave: Wave, instrument: Instrument) -> list[Response]:
    # invited, never opened: not a partial response, so never exported
    invite(wave, instrument, "never.opened@example.org")
    return [
        _response(
            wave, instrument, code=4, submitted=True, page="open", answer="=cmd|' /C calc'!A0"
        ),
        _response(wave, instrument, code=2, submitted=False, page="systems"),
        _response(wave, instrument, code=5, submitted=True, page="open", answer="Pool budgets"),
        _response(wave, instrument, code=1, submitted=False, page="citizens", answer="Half done"),
    ]


def test_submitted_only_by_default(wave: Wave, instrument: Instrument) -> None:
    rows = _wave_rows(wave, instrument)
    data = wave_export_data(wave=wave, partial=False, open_answers=True)
    assert data.matrix.respondent_id.tolist() == [rows[0].pk, rows[2].pk]
    assert data.matrix.complete.all()
    assert data.extras.open_answers == {"open_improve": ["=cmd|' /C calc'!A0", "Pool budgets"]}
    assert data.extras.last_page is None


def test_partial_responses_with_last_page_and_open_answers(
    wave: Wave, instrument: Instrument
) -> None:
    rows = _wave_rows(wave, instrument)
    data = wave_export_data(wave=wave, partial=True, open_answers=True)
    assert data.matrix.respondent_id.tolist() == [r.pk for r in rows]
    assert data.matrix.complete.tolist() == [True, False, True, False]
    assert data.extras.last_page == ["open", "systems", "open", "citizens"]
    assert data.extras.open_answers["open_improve"] == [
        "=cmd|' /C calc'!A0",
        None,
        "Pool budgets",
        "Half done",
    ]
    assert data.matrix.codes[:, 0].tolist() == [4, 2, 5, 1]


def test_cli_export_of_a_wave_with_open_answers_and_partial(
    wave: Wave, instrument: Instrument, tmp_path: Path
) -> None:
    _wave_rows(wave, instrument)
    runner = CliRunner()
    base = ["export", "--wave", "test-wave", "--id-key", "a secret of the test wave"]
    out = tmp_path / "w.csv"
    got = runner.invoke(
        app, [*base, "--format", "csv", "-o", str(out), "--open-answers", "--partial"]
    )
    assert got.exit_code == 0, got.output
    assert "Wave 'test-wave': 4 responses" in got.stdout
    csv = pl.read_csv(out, schema_overrides={"last_page": pl.Utf8, "open_improve": pl.Utf8})
    assert csv.get_column("complete").to_list() == [1, 0, 1, 0]
    # a partial response's last page; none for a complete one
    assert csv.get_column("last_page").to_list() == [None, "systems", None, "citizens"]
    # the formula an attacker typed is shown, never run
    assert csv.get_column("open_improve").to_list() == [
        "'=cmd|' /C calc'!A0",
        None,
        "Pool budgets",
        "Half done",
    ]
    sav = tmp_path / "w.sav"
    got = runner.invoke(app, [*base, "--format", "sav", "-o", str(sav), "--open-answers"])
    assert got.exit_code == 0, got.output
    df, meta = pyreadstat.read_sav(sav)
    assert len(df) == 2
    assert df["open_improve"].tolist() == ["=cmd|' /C calc'!A0", "Pool budgets"]
    assert meta.column_names_to_labels["open_improve"] == instrument.open_questions[0].text.get()
