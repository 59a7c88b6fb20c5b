"""Wave margins and report jobs. No business rules here: see ``services`` and ``selectors``."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from collabready.web.surveys.models import Wave


class WaveMargins(models.Model):
    """The population margins a wave is weighted to (a margins CSV, kept as uploaded)."""

    wave = models.OneToOneField(Wave, on_delete=models.CASCADE, related_name="margins")
    filename = models.CharField(max_length=255)
    content = models.TextField(help_text="The CSV: variable, level, population_total")
    sha256 = models.CharField(max_length=64)
    uploaded_at = models.DateTimeField(auto_now=True)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        verbose_name_plural = "wave margins"

    def __str__(self) -> str:
        return f"margins of {self.wave.slug} ({self.filename})"


class ReportJob(models.Model):
    """One report generated in the background: what was asked, how far it got, the file."""

    class Kind(models.TextChoices):
        NATIONAL = "national", "National report"
        SECTOR = "sector", "Sector briefing"

    class Format(models.TextChoices):
        PDF = "pdf", "PDF"
        HTML = "html", "HTML"

    class Source(models.TextChoices):
        WEB = "web", "Back office"
        CLI = "cli", "Command line"

    class Status(models.TextChoices):
        QUEUED = "queued", "Waiting to start"
        RUNNING = "running", "Running"
        SUCCEEDED = "succeeded", "Finished"
        FAILED = "failed", "Failed"

    wave = models.ForeignKey(Wave, on_delete=models.CASCADE, related_name="report_jobs")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    sector = models.CharField(max_length=20, blank=True)
    format = models.CharField(max_length=8, choices=Format.choices)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.QUEUED)
    step = models.CharField(max_length=100, blank=True)
    progress = models.PositiveSmallIntegerField(default=0)
    error = models.TextField(blank=True)
    title = models.CharField(max_length=300, blank=True)
    #: What was asked for beyond the kind and format (``build.ReportOptions`` as a dict):
    #: title, subtitle, foreword, roundtable note, k, draft, margin levels merged.
    options = models.JSONField(default=dict, blank=True)
    #: A checked PNG or JPEG for the cover (empty: none); its alt text is in ``options``.
    logo = models.BinaryField(blank=True, default=b"")
    source = models.CharField(max_length=8, choices=Source.choices, default=Source.WEB)
    #: The finished file, relative to ``COLLABREADY_REPORTS_DIR``.
    file_name = models.CharField(max_length=255, blank=True)
    size_bytes = models.PositiveBigIntegerField(default=0)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    #: Attempts at generating it (the fencing token: a worker writes to the row only for
    #: its own attempt, so one that was presumed dead and comes back changes nothing).
    attempt = models.PositiveIntegerField(default=0)
    #: Times it was started again because the worker running it stopped (killed, lost).
    restarts = models.PositiveIntegerField(default=0)
    #: A convenor's report: built from the submissions up to the wave's release at
    #: this moment (``surveys.services.release``). Convenors see only such reports.
    release_cutoff = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ("-created_at", "-pk")
        constraints = (
            models.CheckConstraint(
                condition=models.Q(progress__lte=100), name="report_job_progress_percent"
            ),
        )

    def __str__(self) -> str:
        what = self.get_kind_display()
        if self.sector:
            what += f" ({self.sector})"
        return f"{what} of {self.wave.slug} as {self.format}: {self.status}"

    @property
    def finished(self) -> bool:
        return self.status in (self.Status.SUCCEEDED, self.Status.FAILED)


class ExportJob(models.Model):
    """One microdata export run in the background (``exports.export_job_run``): the
    options asked for, how far it got, the file. Its creation is in the audit log."""

    class Format(models.TextChoices):
        SAV = "sav", "SPSS (.sav)"
        DTA = "dta", "Stata (.dta)"
        PARQUET = "parquet", "Parquet"
        CSV = "csv", "CSV"
        XLSX = "xlsx", "Excel (.xlsx)"

    Status = ReportJob.Status

    wave = models.ForeignKey(Wave, on_delete=models.CASCADE, related_name="export_jobs")
    format = models.CharField(max_length=8, choices=Format.choices)
    scores = models.BooleanField(default=False)
    weights = models.BooleanField(default=False)
    open_answers = models.BooleanField(default=False)
    partial = models.BooleanField(default=False)
    language = models.CharField(max_length=8, default="en")
    status = models.CharField(
        max_length=20, choices=ReportJob.Status.choices, default=ReportJob.Status.QUEUED
    )
    step = models.CharField(max_length=100, blank=True)
    progress = models.PositiveSmallIntegerField(default=0)
    error = models.TextField(blank=True)
    rows = models.PositiveIntegerField(default=0)
    #: The finished file, relative to ``COLLABREADY_REPORTS_DIR``.
    file_name = models.CharField(max_length=255, blank=True)
    size_bytes = models.PositiveBigIntegerField(default=0)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    #: Attempts at generating it (the fencing token: a worker writes to the row only for
    #: its own attempt, so one that was presumed dead and comes back changes nothing).
    attempt = models.PositiveIntegerField(default=0)
    #: Times it was started again because the worker running it stopped (killed, lost).
    restarts = models.PositiveIntegerField(default=0)

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
        return self.status in (ReportJob.Status.SUCCEEDED, ReportJob.Status.FAILED)

    @property
    def options(self) -> list[str]:
        """The options, as the command line spells them."""
        flags = [
            ("--scores", self.scores),
            ("--weights", self.weights),
            ("--open-answers", self.open_answers),
            ("--partial", self.partial),
        ]
        chosen = [name for name, on in flags if on]
        if self.language != "en":
            chosen.append(f"--language {self.language}")
        return chosen
