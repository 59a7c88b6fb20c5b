"""Staff roles, what a convenor is linked to, and API tokens.

No rules here: who may do what is :mod:`collabready.web.access.policy`; roles and
tokens change only through :mod:`collabready.web.access.services` (audited).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models


class Role(models.TextChoices):
    """The staff roles (respondents are not users: they hold a personal link)."""

    ADMIN = "admin", "Admin"
    RESEARCHER = "researcher", "Researcher"
    CONVENOR = "convenor", "Convenor"


class StaffRole(models.Model):
    """The role of one staff user. A superuser is an admin whatever this says; a staff
    user without a row is an admin too (what every staff user could do before roles)."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="staff_role"
    )
    role = models.CharField(max_length=20, choices=Role.choices)
    #: a researcher granted access to personal data (e-mail addresses, names)
    personal_data = models.BooleanField(default=False)
    changed_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"{self.user} is {self.role}"


class ConvenorLink(models.Model):
    """An object a convenor may see. Today a wave; a partnership model will add its own
    nullable foreign key here, and :func:`policy.linked_wave_ids` will follow it."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="convenor_links"
    )
    wave = models.ForeignKey("surveys.Wave", on_delete=models.CASCADE, related_name="+")

    class Meta:
        constraints = (
            models.UniqueConstraint(fields=("user", "wave"), name="convenor_link_unique"),
        )

    def __str__(self) -> str:
        return f"{self.user} convenes wave {self.wave_id}"


class ApiToken(models.Model):
    """An API token acting as its user (with the user's role). Only the SHA-256 of the
    token is kept; ``prefix`` (its first characters) identifies it in lists and logs."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens"
    )
    name = models.CharField(max_length=100)
    prefix = models.CharField(max_length=16)
    token_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    expires_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    last_used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ("-created_at", "-pk")

    def __str__(self) -> str:
        return f"API token {self.name} ({self.prefix}…) of {self.user}"

    @property
    def label(self) -> str:
        return f"token:{self.name}:{self.prefix}"
