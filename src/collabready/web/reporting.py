"""The adapter ``collabready report --wave NAME`` uses to read a wave from the database.

The CLI (``collabready.commands.report``) imports this module only when
``--wave`` is given, so the pure core never depends on Django. The database is
the one ``collabready demo`` uses: SQLite in ``COLLABREADY_DATA_DIR`` (default
``./var``), or ``DATABASE_URL``.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

from collabready.errors import UserError

if TYPE_CHECKING:
    import polars as pl

    from collabready.analysis.load import ResponseMatrix
    from collabready.instrument import Instrument
    from collabready.web.surveys.selectors.monitoring import Monitoring


@dataclass(frozen=True, slots=True)
class WaveForReport:
    """A wave read for a report: its responses loaded as a ``--data`` file would be."""

    slug: str
    name: str
    instrument: Instrument
    responses: ResponseMatrix
    #: the margins uploaded for the wave (None: none uploaded)
    margins: pl.DataFrame | None
    margins_sha256: str | None
    margins_filename: str | None
    start: date | None
    end: date | None
    invited: tuple[tuple[str, int], ...]


def _setup_django() -> None:
    from django.conf import settings

    if not settings.configured:
        os.environ.setdefault("DJANGO_SETTINGS_MODULE", "collabready.web.settings.base")
    import django
    from django.apps import apps

    if not apps.ready:
        django.setup()


def _check_database(wave: str) -> None:
    """A one-line error when there is no database to read, rather than a traceback."""
    from django.conf import settings
    from django.db import DatabaseError, connection

    db = settings.DATABASES["default"]
    name = str(db["NAME"])
    if db["ENGINE"].endswith("sqlite3") and name != ":memory:" and not name.startswith("file:"):
        path = Path(str(db["NAME"]))
        if not path.exists():
            raise UserError(
                f"--wave {wave}: no database at {path}; run `collabready demo --no-serve` first, "
                "or set COLLABREADY_DATA_DIR or DATABASE_URL to the web platform's database"
            )
    try:
        tables = set(connection.introspection.table_names())
    except DatabaseError as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise UserError(f"--wave {wave}: cannot read the database {db['NAME']}: {first}") from None
    if "surveys_wave" not in tables or "reports_wavemargins" not in tables:
        raise UserError(
            f"--wave {wave}: the database {db['NAME']} is not set up (or not migrated) for "
            "collabready; run `collabready-manage migrate` or `collabready demo --no-serve`"
        )


def load_wave_for_report(name: str) -> WaveForReport:
    """The submitted responses, margins and fieldwork of the wave called ``name``."""
    _setup_django()
    _check_database(name)
    from collabready.web.reports.build import stored_wave
    from collabready.web.reports.selectors import wave_by_name
    from collabready.web.surveys.instruments import instrument_get

    wave = wave_by_name(name=name)
    data = stored_wave(wave=wave)
    stored_name = None
    if data.margins is not None:
        from collabready.web.reports.models import WaveMargins

        stored_name = WaveMargins.objects.get(wave=wave).filename
    return WaveForReport(
        slug=wave.slug,
        name=wave.name,
        instrument=instrument_get(wave.instrument_key),
        responses=data.responses,
        margins=data.margins,
        margins_sha256=data.margins_sha256,
        margins_filename=stored_name,
        start=data.fieldwork.start,
        end=data.fieldwork.end,
        invited=data.fieldwork.invited,
    )


def load_wave_monitoring(name: str) -> tuple[str, Monitoring]:
    """The monitoring figures of the wave called ``name`` (``collabready status``): the
    same selector as the back office's monitoring page."""
    _setup_django()
    _check_database(name)
    from collabready.web.reports.selectors import wave_by_name
    from collabready.web.surveys.selectors.monitoring import wave_monitoring

    wave = wave_by_name(name=name)
    return wave.name, wave_monitoring(wave=wave)
