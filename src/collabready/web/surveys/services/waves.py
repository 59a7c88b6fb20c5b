"""Creating and closing waves."""

from __future__ import annotations

from datetime import datetime

from django.db import transaction
from django.utils import timezone

from collabready.errors import UserError
from collabready.web.surveys.instruments import instrument_get
from collabready.web.surveys.models import Wave


class WaveError(UserError):
    """A wave cannot be created or changed as asked."""


def wave_create(
    *,
    slug: str,
    name: str,
    instrument_key: str,
    opens_at: datetime,
    closes_at: datetime,
    privacy_notice: str,
    open_link_enabled: bool = False,
) -> Wave:
    """A new wave using the instrument ``instrument_key`` (``id@version``)."""
    instrument_get(instrument_key)  # raises if the version is not available
    if closes_at <= opens_at:
        raise WaveError("closing date: the wave must close after it opens")
    if not privacy_notice.strip():
        raise WaveError("privacy notice: enter the privacy notice respondents will see")
    if Wave.objects.filter(slug=slug).exists():
        raise WaveError(f"short name: a wave called {slug!r} already exists; choose another")
    wave: Wave = Wave.objects.create(
        slug=slug,
        name=name,
        instrument_key=instrument_key,
        opens_at=opens_at,
        closes_at=closes_at,
        privacy_notice=privacy_notice.strip(),
        open_link_enabled=open_link_enabled,
    )
    return wave


def wave_close(*, wave_id: int) -> bool:
    """Close a wave now; ``False`` when it was already closed."""
    with transaction.atomic():
        closed: int = Wave.objects.filter(pk=wave_id, closed_at__isnull=True).update(
            closed_at=timezone.now()
        )
    return closed == 1


def wave_set_open_link(*, wave_id: int, enabled: bool) -> None:
    Wave.objects.filter(pk=wave_id).update(open_link_enabled=enabled)


def wave_update(
    *,
    wave_id: int,
    name: str | None = None,
    closes_at: datetime | None = None,
    privacy_notice: str | None = None,
    open_link_enabled: bool | None = None,
) -> Wave:
    """Change a wave's name, closing date, privacy notice or open link (all or nothing;
    every problem named)."""
    with transaction.atomic():
        wave = Wave.objects.select_for_update().get(pk=wave_id)
        problems = []
        if name is not None:
            if not name.strip():
                problems.append("name: enter the wave's name")
            wave.name = name.strip()
        if closes_at is not None:
            if closes_at <= wave.opens_at:
                problems.append("closing date: the wave must close after it opens")
            wave.closes_at = closes_at
        if privacy_notice is not None:
            if not privacy_notice.strip():
                problems.append("privacy notice: enter the privacy notice respondents will see")
            wave.privacy_notice = privacy_notice.strip()
        if open_link_enabled is not None:
            wave.open_link_enabled = open_link_enabled
        if problems:
            raise WaveError("; ".join(problems))
        wave.save()
    return wave
