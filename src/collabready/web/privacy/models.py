"""Each wave's data protection settings. No rules here: see ``services`` and ``selectors``."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from collabready.web.surveys.models import Wave


class LawfulBasis(models.TextChoices):
    """The lawful bases of UK GDPR Article 6(1)."""

    CONSENT = "consent", _("your consent")
    CONTRACT = "contract", _("a contract with you")
    LEGAL_OBLIGATION = "legal_obligation", _("a legal obligation")
    VITAL_INTERESTS = "vital_interests", _("vital interests")
    PUBLIC_TASK = "public_task", _("a task in the public interest")
    LEGITIMATE_INTERESTS = "legitimate_interests", _("legitimate interests")


class WavePrivacy(models.Model):
    """Who controls a wave's data, on what basis, how long personal data is kept.

    ``retention_days`` after the wave closes, ``collabready purge`` deletes the
    personal data (e-mail addresses, names, links, and open answers when
    ``purge_open_answers``) and keeps the anonymised answers.
    """

    wave = models.OneToOneField(Wave, on_delete=models.CASCADE, related_name="privacy")
    controller = models.CharField(max_length=300, help_text="Who decides how the data is used")
    controller_contact = models.CharField(max_length=300, blank=True)
    lawful_basis = models.CharField(
        max_length=30, choices=LawfulBasis.choices, default=LawfulBasis.PUBLIC_TASK
    )
    retention_days = models.PositiveIntegerField(default=365)
    purge_open_answers = models.BooleanField(default=True)
    #: the wave's own privacy notice in Welsh (``Wave.privacy_notice`` is the English)
    notice_cy = models.TextField(blank=True)
    purged_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name_plural = "wave privacy settings"

    def __str__(self) -> str:
        return f"privacy of {self.wave.slug}"
