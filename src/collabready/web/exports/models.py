"""Export jobs. No rules here: see ``services`` (requests) and ``jobs`` (the work)."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from collabready.web.surveys.models import Wave


class ExportJob(models.Model):
    """One microdata export of a wave's submitted responses, written in the background."""

    class Format(models.TextChoices):
        SAV = "sav", "SPSS"
        DTA = "dta", "Stata"
        PARQUET = "parquet", "Parquet"
        CSV = "csv", "CSV"
        XLSX = "xlsx", "Excel"

    class Status(models.TextChoices):
        QUEUED = "queued", "Waiting to start"
        RUNNING = "running", "Running"
        SUCCEEDED = "succeeded", "Finished"
        FAILED = "failed", "Failed"

    wave = models.ForeignKey(Wave, on_delete=models.CASCADE, related_name="export_jobs")
    format = models.CharField(max_length=8, choices=Format.choices)
    language = models.CharField(max_length=8, default="en")
    scores = models.BooleanField(default=False)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.QUEUED)
    progress = models.PositiveSmallIntegerField(default=0)
    error = models.TextField(blank=True)
    rows = models.PositiveIntegerField(default=0)
    #: The finished file, relative to ``COLLABREADY_EXPORTS_DIR``.
    file_name = models.CharField(max_length=255, blank=True)
    size_bytes = models.PositiveBigIntegerField(default=0)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ("-created_at", "-pk")
        constraints = (
            models.CheckConstraint(
                condition=models.Q(progress__lte=100), name="export_job_progress_percent"
            ),
        )

    def __str__(self) -> str:
        return f"export of {self.wave.slug} as {self.format}: {self.status}"

    @property
    def finished(self) -> bool:
        return self.status in (self.Status.SUCCEEDED, self.Status.FAILED)
