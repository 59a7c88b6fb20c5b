"""Setting a wave's data protection terms (the back office's data protection page)."""

from __future__ import annotations

from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.auth.models import AnonymousUser
from django.db import transaction

from collabready.errors import UserError
from collabready.web.audit.services import audit_record
from collabready.web.privacy.models import LawfulBasis, WavePrivacy
from collabready.web.surveys.models import Wave

#: The longest retention the platform accepts, in days after the wave closes (ten years).
MAX_RETENTION_DAYS = 3650


class PrivacySettingsError(UserError, ValueError):
    """The settings cannot be stored as given; ``problems`` lists every one."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("; ".join(problems))
        self.problems = problems


def wave_privacy_set(
    *,
    wave_id: int,
    controller: str,
    controller_contact: str,
    lawful_basis: str,
    retention_days: int,
    purge_open_answers: bool,
    notice_cy: str,
    actor: AbstractBaseUser | AnonymousUser | None = None,
) -> WavePrivacy:
    """Store the wave's privacy terms (all or nothing, every problem named), audited.

    Once the wave's personal data has been purged the terms can no longer change:
    what the notice promised then is what was done.
    """
    problems = []
    if not controller.strip():
        problems.append("controller: enter who decides how the data is used")
    if lawful_basis not in LawfulBasis.values:
        problems.append(
            f"lawful basis: {lawful_basis!r} is not one of {', '.join(LawfulBasis.values)}"
        )
    if not 0 <= retention_days <= MAX_RETENTION_DAYS:
        problems.append(f"retention: between 0 and {MAX_RETENTION_DAYS} days")
    with transaction.atomic():
        wave = Wave.objects.select_for_update().get(pk=wave_id)
        stored = WavePrivacy.objects.filter(wave=wave).first()
        if stored is not None and stored.purged_at is not None:
            problems.append(
                "the wave's personal data has already been purged under these terms; "
                "they cannot change now"
            )
        if problems:
            raise PrivacySettingsError(problems)
        terms, created = WavePrivacy.objects.update_or_create(
            wave=wave,
            defaults={
                "controller": " ".join(controller.split()),
                "controller_contact": controller_contact.strip(),
                "lawful_basis": lawful_basis,
                "retention_days": retention_days,
                "purge_open_answers": purge_open_answers,
                "notice_cy": notice_cy.strip(),
            },
        )
        audit_record(
            "wave.privacy",
            actor=actor,
            obj=wave,
            created=created,
            lawful_basis=lawful_basis,
            retention_days=retention_days,
            purge_open_answers=purge_open_answers,
        )
    return terms
