"""Reading what data protection needs: a wave's privacy settings, and everything held
about one e-mail address (subject access)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings

from collabready.web.audit.models import AuditEvent
from collabready.web.privacy.models import LawfulBasis, WavePrivacy
from collabready.web.surveys.models import AccessToken, Invitation, Wave


@dataclass(frozen=True, slots=True)
class PrivacyTerms:
    """What the privacy notice states (the wave's settings, or the installation's defaults)."""

    controller: str
    controller_contact: str
    lawful_basis: str
    lawful_basis_label: str
    retention_days: int
    purge_open_answers: bool
    notice_en: str
    notice_cy: str

    def notice(self, language: str) -> str:
        return self.notice_cy if language == "cy" and self.notice_cy else self.notice_en


def wave_privacy(*, wave: Wave) -> PrivacyTerms:
    stored = WavePrivacy.objects.filter(wave=wave).first()
    if stored is None:
        basis = LawfulBasis.PUBLIC_TASK
        return PrivacyTerms(
            controller=str(settings.COLLABREADY_CONTROLLER),
            controller_contact=str(settings.COLLABREADY_CONTROLLER_CONTACT),
            lawful_basis=basis.value,
            lawful_basis_label=str(basis.label),
            retention_days=int(settings.COLLABREADY_RETENTION_DAYS),
            purge_open_answers=True,
            notice_en=wave.privacy_notice,
            notice_cy="",
        )
    return PrivacyTerms(
        controller=stored.controller,
        controller_contact=stored.controller_contact,
        lawful_basis=stored.lawful_basis,
        lawful_basis_label=str(LawfulBasis(stored.lawful_basis).label),
        retention_days=stored.retention_days,
        purge_open_answers=stored.purge_open_answers,
        notice_en=wave.privacy_notice,
        notice_cy=stored.notice_cy,
    )


def wave_closed_at(wave: Wave) -> datetime:
    """When the wave closed (closed early, or its closing date)."""
    return wave.closed_at if wave.closed_at is not None else wave.closes_at


def purge_due_at(*, wave: Wave) -> datetime:
    return wave_closed_at(wave) + timedelta(days=wave_privacy(wave=wave).retention_days)


def subject_access(*, email: str) -> dict[str, Any]:
    """Everything held about ``email``: invitations, their responses (answers decoded),
    links issued (never the tokens), and the audit events about them."""
    from collabready.web.api.selectors import response_data
    from collabready.web.surveys.instruments import instrument_get

    address = email.strip().lower()
    invitations = Invitation.objects.filter(email=address).select_related("wave")
    people = []
    object_ids: list[tuple[str, str]] = []
    for invitation in invitations:
        wave = invitation.wave
        response = getattr(invitation, "response", None)
        entry: dict[str, Any] = {
            "wave": {"id": wave.pk, "slug": wave.slug, "name": wave.name},
            "invitation": {
                "id": invitation.pk,
                "email": invitation.email,
                "name": invitation.name,
                "organisation": invitation.organisation,
                "sector": invitation.sector,
                "details": invitation.details,
                "created_at": invitation.created_at,
                "invited_at": invitation.invited_at,
                "reminded_at": invitation.reminded_at,
                "reminders_sent": invitation.reminders_sent,
            },
            "response": None,
            "links": [],
        }
        object_ids.append(("surveys.invitation", str(invitation.pk)))
        if response is not None:
            instrument = instrument_get(wave.instrument_key)
            data = response_data(response, instrument, personal=True)
            data["item_order"] = list(instrument.item_ids)
            data["started_at"] = response.started_at
            entry["response"] = data
            entry["links"] = [
                {"purpose": t.purpose, "created_at": t.created_at, "last_used_at": t.last_used_at}
                for t in AccessToken.objects.filter(response=response).order_by("pk")
            ]
            object_ids.append(("surveys.response", str(response.pk)))
        people.append(entry)
    events = []
    for object_type, object_id in object_ids:
        for e in AuditEvent.objects.filter(object_type=object_type, object_id=object_id):
            events.append(
                {"at": e.at, "action": e.action, "by": e.actor_label, "object": object_type}
            )
    return {"email": address, "held": people, "audit": events}
