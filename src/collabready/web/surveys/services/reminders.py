"""Scheduled reminders: which waves have reminders due, and sending them on the worker.

A wave's ``reminder_days`` (e.g. [7, 14]) are days after each person's
invitation. ``collabready-manage send_reminders`` (run it from cron or a systemd
timer, e.g. hourly) enqueues :func:`collabready.web.surveys.tasks.send_scheduled_reminders`
for every wave that can still send e-mail and has a schedule; the task sends
through :func:`invitations_send` with ``scheduled=True``, so the same claim,
interval and refusal rules apply and a run repeated at once sends nothing.
"""

from __future__ import annotations

import logging

from django.utils import timezone

from collabready.web.surveys.errors import EmailServerError, WaveClosedError
from collabready.web.surveys.models import Wave
from collabready.web.surveys.services.invitations import invitations_send

logger = logging.getLogger(__name__)


def reminders_send_due(*, wave_id: int) -> int:
    """Send the reminders due now for one wave; returns how many went."""
    wave = Wave.objects.get(pk=wave_id)
    try:
        result = invitations_send(wave=wave, reminder=True, scheduled=True)
    except WaveClosedError:
        return 0
    except EmailServerError:
        logger.exception("scheduled reminders of wave %s: the mail server failed", wave.slug)
        raise
    return result.sent


def reminders_enqueue_due() -> list[int]:
    """Enqueue the scheduled-reminder task for each wave with a schedule that can send."""
    from collabready.web.surveys.tasks import send_scheduled_reminders

    now = timezone.now()
    waves = [
        w.pk
        for w in Wave.objects.filter(closed_at__isnull=True, closes_at__gt=now)
        if w.reminder_days
    ]
    for wave_id in waves:
        send_scheduled_reminders.enqueue(wave_id)
    return waves
