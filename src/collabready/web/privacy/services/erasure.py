"""Erasing one response completely, on the respondent's request or staff's.

What goes, in one transaction: the response (answers, profile, open answers), its
personal links and resume codes, its invitation (e-mail address, name,
organisation), its idempotency records and throttle counters. Microdata exports
of the wave are withdrawn (queued and running jobs cancelled, finished files
deleted), because they may hold the response. After commit the sector's peer
snapshot is taken again without it; the convenors' figures are withheld until their
release can move on (``surveys.services.release``). Scores are never stored (they are computed
from the answers), so none remain.

Reports already generated are not rewritten (a published report is a record of
what was published); the audit event says so, with how many there are.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib.auth.models import User
from django.db import transaction

from collabready.web.audit.services import audit_record
from collabready.web.reports.models import ReportJob
from collabready.web.reports.services import export_jobs_withdraw
from collabready.web.surveys.models import AccessThrottle, AccessToken, Response

NOT_REWRITTEN = (
    "published reports are not rewritten: reports generated before the erasure may "
    "still include this response"
)


@dataclass(frozen=True, slots=True)
class Erased:
    response_id: int
    wave_id: int
    invitation_deleted: bool
    links_deleted: int
    exports_withdrawn: int
    reports_not_rewritten: int


def response_erase(
    *,
    response_id: int,
    by: str,
    actor: User | None = None,
    actor_label: str | None = None,
    reason: str = "",
) -> Erased:
    """Erase response ``response_id`` and everything personal tied to it (audited).

    ``by`` says who asked: ``respondent`` (through their own link) or ``staff``.
    Raises ``Response.DoesNotExist`` when there is no such response.
    """
    from collabready.web.surveys.selectors.counts import monitoring_forget
    from collabready.web.surveys.services.peers import peer_snapshot_refresh
    from collabready.web.surveys.services.release import release_note_erasure

    with transaction.atomic():
        response = Response.objects.select_for_update().get(pk=response_id)
        wave_id, sector = response.wave_id, response.sector
        verified = bool(response.organisation_ref) or response.invitation_id is not None
        invitation_id = response.invitation_id
        links = AccessToken.objects.filter(response=response).count()
        AccessThrottle.objects.filter(key=f"resume-email:response:{response_id}").delete()
        release_note_erasure(response=response)  # convenors' figures are withheld
        response.delete()  # links and idempotency records go with it (CASCADE)
        monitoring_forget(wave_id=wave_id)  # the snapshot may count it
        if invitation_id is not None:
            from collabready.web.surveys.models import Invitation

            Invitation.objects.filter(pk=invitation_id).delete()
        withdrawn = export_jobs_withdraw(wave_id=wave_id, reason="a response was erased")
        reports = ReportJob.objects.filter(
            wave_id=wave_id, status=ReportJob.Status.SUCCEEDED
        ).count()
        audit_record(
            "response.erase",
            actor=actor,
            actor_label=actor_label,
            object_type="surveys.response",
            object_id=response_id,
            by=by,
            reason=reason[:200],
            wave=wave_id,
            invitation_deleted=invitation_id is not None,
            links_deleted=links,
            exports_withdrawn=withdrawn,
            reports_not_rewritten=reports,
            note=NOT_REWRITTEN,
        )
        if verified and sector:
            transaction.on_commit(
                lambda: peer_snapshot_refresh(wave_id=wave_id, sector=sector, force=True),
                robust=True,
            )
    return Erased(response_id, wave_id, invitation_id is not None, links, withdrawn, reports)


def email_erase(
    *, email: str, actor: User | None = None, actor_label: str | None = None, reason: str = ""
) -> list[Erased]:
    """Erase every response (and invitation) of ``email`` in every wave."""
    from collabready.web.surveys.models import Invitation

    address = email.strip().lower()
    erased = []
    with transaction.atomic():
        for invitation in Invitation.objects.filter(email=address).select_related("response"):
            response = getattr(invitation, "response", None)
            if response is not None:
                erased.append(
                    response_erase(
                        response_id=response.pk,
                        by="staff",
                        actor=actor,
                        actor_label=actor_label,
                        reason=reason,
                    )
                )
            else:
                audit_record(
                    "invitation.erase",
                    actor=actor,
                    actor_label=actor_label,
                    object_type="surveys.invitation",
                    object_id=invitation.pk,
                    by="staff",
                    reason=reason[:200],
                )
                invitation.delete()
    return erased
