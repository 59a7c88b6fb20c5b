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
    from collabready.formats.export import ExportExtras
    from collabready.instrument import Instrument
    from collabready.web.surveys.selectors.monitoring import Monitoring


@dataclass(frozen=True, slots=True)
class WaveForReport:
    """A wave read for a report: its responses loaded as a ``--data`` file would be."""

    slug: str
    name: str
    #: the title the public knows the survey by ("" when none is set), for the cover
    public_title: str
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


def _check_database(wave: str, *, label: str | None = None) -> None:
    """A one-line error when there is no database to read, rather than a traceback
    (``label`` starts it; by default ``--wave NAME``)."""
    start = label if label is not None else f"--wave {wave}"
    from django.conf import settings
    from django.db import DatabaseError, connection

    db = settings.DATABASES["default"]
    name = str(db["NAME"])
    if db["ENGINE"].endswith("sqlite3") and name != ":memory:" and not name.startswith("file:"):
        path = Path(str(db["NAME"]))
        if not path.exists():
            raise UserError(
                f"{start}: no database at {path}; run `collabready demo --no-serve` first, "
                "or set COLLABREADY_DATA_DIR or DATABASE_URL to the web platform's database"
            )
    try:
        tables = set(connection.introspection.table_names())
    except DatabaseError as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise UserError(f"{start}: cannot read the database {db['NAME']}: {first}") from None
    if "surveys_wave" not in tables or "reports_wavemargins" not in tables:
        raise UserError(
            f"{start}: the database {db['NAME']} is not set up (or not migrated) for "
            "collabready; run `collabready-manage migrate` or `collabready demo --no-serve`"
        )


@dataclass(frozen=True, slots=True)
class WaveForExport:
    """A wave read for an export: its responses and what the matrix does not hold."""

    slug: str
    responses: ResponseMatrix
    extras: ExportExtras
    #: the margins uploaded for the wave (None: none uploaded)
    margins: pl.DataFrame | None


def load_wave_for_export(name: str, *, partial: bool, open_answers: bool) -> WaveForExport:
    """The responses of the wave called ``name`` for ``collabready export --wave``."""
    _setup_django()
    _check_database(name)
    from collabready.web.reports.selectors import wave_by_name, wave_margins
    from collabready.web.surveys.selectors.exports import wave_export_data

    wave = wave_by_name(name=name)
    data = wave_export_data(wave=wave, partial=partial, open_answers=open_answers)
    if len(data.matrix) == 0:
        raise UserError(f"--wave {name}: no responses to export yet")
    stored = wave_margins(wave=wave)
    return WaveForExport(
        slug=wave.slug,
        responses=data.matrix,
        extras=data.extras,
        margins=stored.frame if stored is not None else None,
    )


def record_export(slug: str, *, fmt: str, options: list[str], rows: int) -> None:
    """Record in the audit log an export of wave ``slug`` written by the command line."""
    import getpass

    from django.db import connection

    from collabready.web.reports.services import export_record_cli
    from collabready.web.surveys.models import Wave

    # the connection sat idle while the file was written (minutes for a large SPSS
    # file): if the server dropped it meanwhile, connect afresh
    idle = connection.connection is not None and not connection.in_atomic_block
    if idle and not connection.is_usable():
        connection.close()
    export_record_cli(
        wave=Wave.objects.get(slug=slug),
        actor_label=f"command line ({getpass.getuser()})",
        fmt=fmt,
        options=options,
        rows=rows,
    )


def open_database(wave: str) -> None:
    """Set Django up for a command given ``--wave``, with a one-line error if the
    database cannot be read (``collabready import`` uses it too)."""
    _setup_django()
    _check_database(wave)


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
        public_title=wave.public_title,
        instrument=instrument_get(wave.instrument_key),
        responses=data.responses,
        margins=data.margins,
        margins_sha256=data.margins_sha256,
        margins_filename=stored_name,
        start=data.fieldwork.start,
        end=data.fieldwork.end,
        invited=data.fieldwork.invited,
    )


def record_report_for_wave(
    name: str, *, kind: str, path: Path, title: str, sector: str = ""
) -> int:
    """List a report the CLI wrote from wave ``name`` in the wave's back-office reports."""
    _setup_django()
    from collabready.web.reports.selectors import wave_by_name
    from collabready.web.reports.services import report_job_record_cli

    wave = wave_by_name(name=name)
    job = report_job_record_cli(wave=wave, kind=kind, path=path, title=title, sector=sector)
    return int(job.pk)


def load_wave_monitoring(name: str) -> tuple[str, Monitoring]:
    """The monitoring figures of the wave called ``name`` (``collabready status``): the
    same selector as the back office's monitoring page."""
    _setup_django()
    _check_database(name)
    from collabready.web.reports.selectors import wave_by_name
    from collabready.web.surveys.selectors.monitoring import wave_monitoring

    wave = wave_by_name(name=name)
    return wave.name, wave_monitoring(wave=wave)
