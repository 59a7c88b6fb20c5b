"""The retention policy: ``collabready purge`` deletes personal data once a wave's
retention period after closing has passed, and keeps the anonymised answers.

For each wave whose ``closed + retention_days`` has passed, in one transaction per
wave: every invitation's e-mail address becomes ``erased-<id>@erased.invalid``
and its name and extra details are emptied (its organisation and sector stay:
they are what the analysis clusters and groups on); every personal link and
resume code is deleted; open answers are emptied when the wave's policy says so;
idempotency records (which hold copies of answers) are deleted. The answers and
profiles stay, so reports and exports of the wave still work. Audited.
A dry run lists what would go and changes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from collabready.web.audit.services import audit_record
from collabready.web.privacy.models import WavePrivacy
from collabready.web.privacy.selectors import purge_due_at, wave_privacy
from collabready.web.surveys.models import AccessToken, Invitation, Response, Wave

ERASED_DOMAIN = "erased.invalid"


@dataclass(frozen=True, slots=True)
class WavePurge:
    """What purging one wave removes (or would remove, in a dry run)."""

    wave_slug: str
    due_at: datetime
    invitations: int
    links: int
    open_answers: int
    idempotency_records: int


def _plan(wave: Wave) -> WavePurge:
    from collabready.web.api.models import IdempotentRequest

    terms = wave_privacy(wave=wave)
    invitations = Invitation.objects.filter(wave=wave).exclude(email__endswith=f"@{ERASED_DOMAIN}")
    open_answers = (
        Response.objects.filter(wave=wave).exclude(open_answers={}).count()
        if terms.purge_open_answers
        else 0
    )
    return WavePurge(
        wave_slug=wave.slug,
        due_at=purge_due_at(wave=wave),
        invitations=invitations.count(),
        links=AccessToken.objects.filter(response__wave=wave).count(),
        open_answers=open_answers,
        idempotency_records=IdempotentRequest.objects.filter(response__wave=wave).count(),
    )


def purge_due(*, now: datetime | None = None) -> list[Wave]:
    """The waves whose retention period has run out."""
    moment = now or timezone.now()
    closed = Wave.objects.filter(Q(closed_at__isnull=False) | Q(closes_at__lte=moment))
    return [w for w in closed.order_by("pk") if purge_due_at(wave=w) <= moment]


def purge(*, dry_run: bool, now: datetime | None = None) -> list[WavePurge]:
    """Purge (or, with ``dry_run``, list) the personal data of every wave that is due."""
    from collabready.web.api.models import IdempotentRequest

    done = []
    for wave in purge_due(now=now):
        plan = _plan(wave)
        if not (plan.invitations or plan.links or plan.open_answers or plan.idempotency_records):
            continue
        done.append(plan)
        if dry_run:
            continue
        with transaction.atomic():
            for invitation in Invitation.objects.filter(wave=wave).exclude(
                email__endswith=f"@{ERASED_DOMAIN}"
            ):
                invitation.email = f"erased-{invitation.pk}@{ERASED_DOMAIN}"
                invitation.name = ""
                invitation.details = {}
                invitation.save(update_fields=["email", "name", "details"])
            AccessToken.objects.filter(response__wave=wave).delete()
            IdempotentRequest.objects.filter(response__wave=wave).delete()
            if wave_privacy(wave=wave).purge_open_answers:
                Response.objects.filter(wave=wave).exclude(open_answers={}).update(open_answers={})
            WavePrivacy.objects.filter(wave=wave).update(purged_at=timezone.now())
            audit_record(
                "wave.purge",
                obj=wave,
                invitations=plan.invitations,
                links=plan.links,
                open_answers=plan.open_answers,
                idempotency_records=plan.idempotency_records,
            )
    return done
