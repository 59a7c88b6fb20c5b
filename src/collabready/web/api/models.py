"""Idempotency keys of API writes. No rules here: see ``services``."""

from __future__ import annotations

from django.db import models

from collabready.web.access.models import ApiToken
from collabready.web.surveys.models import Response


class IdempotentRequest(models.Model):
    """One write made with an ``Idempotency-Key``: the request's fingerprint and the
    answer given, replayed when the same key comes again with the same request."""

    token = models.ForeignKey(ApiToken, on_delete=models.CASCADE, related_name="+")
    key = models.CharField(max_length=255)
    fingerprint = models.CharField(max_length=64)
    status = models.PositiveSmallIntegerField()
    body = models.JSONField(default=dict)
    #: the response the request stored (erasing the response deletes this record too)
    response = models.ForeignKey(
        Response, on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = (
            models.UniqueConstraint(fields=("token", "key"), name="idempotent_request_unique"),
        )

    def __str__(self) -> str:
        return f"idempotency key {self.key} of token {self.token_id}"
