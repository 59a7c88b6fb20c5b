"""Background tasks of the survey: refreshing a sector's peer benchmark snapshot."""

from __future__ import annotations

from django_tasks import task

from collabready.web.surveys.services.peers import peer_snapshot_refresh


@task()
def refresh_peer_snapshot(wave_id: int, sector: str) -> None:
    """Take the sector's snapshot again (see ``services.peers``)."""
    peer_snapshot_refresh(wave_id=wave_id, sector=sector)


@task()
def send_scheduled_reminders(wave_id: int) -> int:
    """Send the wave's reminders that are due by its schedule (``Wave.reminder_days``)."""
    from collabready.web.surveys.services.reminders import reminders_send_due

    return reminders_send_due(wave_id=wave_id)
