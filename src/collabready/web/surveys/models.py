"""Waves, invitations, responses and access tokens.

Storage layout (docs/adr/0001-response-storage.md): one row per response; the
rated answers are one ``bytes`` value holding an int8 code per item in
``Instrument.item_ids`` order, the profile answers one byte per profile
question. No business rules here: see ``services`` and ``selectors``.
"""

from __future__ import annotations

from enum import StrEnum

from django.conf import settings
from django.db import models
from django.db.models import Q


class Wave(models.Model):
    """One round of the survey, run with one instrument version."""

    slug = models.SlugField(max_length=60, unique=True)
    #: The research team's own name for the wave (back office, audit, provenance).
    name = models.CharField(max_length=200)
    #: The title the public sees: on the report's cover and the respondents' pages, in
    #: English and Welsh (blank: the report's cover names the fieldwork period instead,
    #: respondents see ``name``; a blank Welsh title falls back to the English one).
    public_title = models.CharField(max_length=200, blank=True, default="")
    public_title_cy = models.CharField(max_length=200, blank=True, default="")
    instrument_key = models.CharField(max_length=100, help_text="id@version, e.g. cri@1.1.0")
    opens_at = models.DateTimeField()
    closes_at = models.DateTimeField()
    privacy_notice = models.TextField()
    open_link_enabled = models.BooleanField(default=False)
    closed_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    #: The e-mails' sender name (the address is ``DEFAULT_FROM_EMAIL``), reply-to and
    #: the contact named at the foot of every e-mail.
    sender_name = models.CharField(max_length=100, blank=True, default="")
    reply_to = models.EmailField(blank=True, default="")
    contact = models.CharField(max_length=300, blank=True, default="")
    #: Days after the invitation on which the worker sends reminders, e.g. [7, 14].
    reminder_days = models.JSONField(default=list, blank=True)
    #: Nobody is reminded twice within this many days (pressing twice sends nothing).
    reminder_interval_days = models.PositiveSmallIntegerField(default=3)
    #: Target numbers of submissions: {"sector": {"public": 120, ...}, "region": {...}}.
    quotas = models.JSONField(default=dict, blank=True)
    #: The convenors' release (``services.release``): convenors see figures of the
    #: submissions up to this moment only; it is set when the wave has ended and moves
    #: on only when at least k submissions have changed since.
    released_at = models.DateTimeField(null=True, blank=True)
    #: How many submissions the release holds (when it was made).
    released_count = models.PositiveIntegerField(default=0)
    #: Submissions of the release erased since it was made: while any are, convenors'
    #: figures are withheld (showing them would tell the erased answers by difference).
    release_erasures = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ("-opens_at", "slug")
        constraints = (
            models.CheckConstraint(
                condition=Q(closes_at__gt=models.F("opens_at")), name="wave_closes_after_opening"
            ),
        )

    def __str__(self) -> str:
        return f"{self.name} ({self.slug})"


class Invitation(models.Model):
    """A person invited to a wave; their response row is created with the invitation."""

    wave = models.ForeignKey(Wave, on_delete=models.CASCADE, related_name="invitations")
    email = models.EmailField()
    name = models.CharField(max_length=200, blank=True)
    organisation = models.CharField(max_length=300, blank=True)
    sector = models.CharField(max_length=20, blank=True)
    details = models.JSONField(default=dict, blank=True)
    invited_at = models.DateTimeField(null=True, blank=True)
    reminded_at = models.DateTimeField(null=True, blank=True)
    reminders_sent = models.PositiveSmallIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)
    #: The language of the invitee's e-mails ("en" or "cy").
    language = models.CharField(max_length=8, default="en")
    opted_out_at = models.DateTimeField(null=True, blank=True)
    #: Set when the mail server refused an e-mail to this address (with its reason).
    undeliverable_at = models.DateTimeField(null=True, blank=True)
    undeliverable_reason = models.CharField(max_length=300, blank=True, default="")

    class Meta:
        ordering = ("wave", "pk")
        constraints = (
            models.UniqueConstraint(fields=("wave", "email"), name="invitation_unique_email"),
        )

    def __str__(self) -> str:
        return f"{self.email} ({self.wave.slug})"


class ImportBatch(models.Model):
    """One file of responses imported from another survey tool (``services.imports``).

    Its responses point to it (``Response.import_batch``); ``sha256`` is the
    source file's, and a file is imported into a wave at most once.
    """

    wave = models.ForeignKey(Wave, on_delete=models.PROTECT, related_name="import_batches")
    file_name = models.CharField(max_length=255)
    sha256 = models.CharField(max_length=64)
    mapping_sha256 = models.CharField(max_length=64)
    response_count = models.PositiveIntegerField()
    imported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True
    )
    imported_by_label = models.CharField(max_length=200)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ("wave", "pk")
        constraints = (
            models.UniqueConstraint(fields=("wave", "sha256"), name="import_batch_unique_file"),
        )

    def __str__(self) -> str:
        return f"import of {self.file_name} into {self.wave.slug} ({self.response_count})"


class Response(models.Model):
    """One respondent's answers to one wave.

    ``answers`` holds one int8 code per rated item (``MISSING`` until answered);
    ``profile`` one choice code per profile question (0 until answered).
    ``version`` increases with every saved page (optimistic check for two tabs);
    ``submitted_at`` is set exactly once, by a conditional update.
    """

    wave = models.ForeignKey(Wave, on_delete=models.PROTECT, related_name="responses")
    invitation = models.OneToOneField(
        Invitation, on_delete=models.CASCADE, null=True, blank=True, related_name="response"
    )
    answers = models.BinaryField()
    profile = models.BinaryField()
    open_answers = models.JSONField(default=dict, blank=True)
    sector = models.CharField(max_length=20, blank=True)
    #: Who the respondent answers for, when not known from an invitation (e.g. the
    #: organisation id of a synthetic or imported response); analysis clusters on it.
    organisation_ref = models.CharField(max_length=300, blank=True, default="")
    language = models.CharField(max_length=8, default="en")
    last_page = models.CharField(max_length=60, blank=True)
    version = models.PositiveIntegerField(default=0)
    synthetic = models.BooleanField(default=False)
    #: The import this response came from (``None``: answered here).
    import_batch = models.ForeignKey(
        ImportBatch,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="responses",
    )
    #: A staff member's test response: left out of every analysis, deletable.
    is_test = models.BooleanField(default=False)
    started_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)
    submitted_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ("pk",)
        indexes = (
            models.Index(fields=("wave", "submitted_at"), name="response_wave_submitted"),
            # the few test responses of a wave, counted on the wave page without a scan
            models.Index(fields=("wave",), condition=models.Q(is_test=True), name="response_test"),
        )

    def __str__(self) -> str:
        state = "submitted" if self.submitted_at else "in progress"
        return f"response {self.pk} to {self.wave.slug} ({state})"


class MonitoringSnapshot(models.Model):
    """The monitoring counts of a wave's submissions up to ``submitted_until``.

    Submitted responses do not change, so the monitoring figures are these stored
    counts plus the counts of what came after (later submissions and responses in
    progress), read through the ``(wave, submitted_at)`` index: a page's cost follows
    the fieldwork since the snapshot, not the size of the wave. Anything that removes,
    alters or back-dates a submitted response empties the snapshot (see
    ``selectors.counts``); it is rebuilt at the next reading.
    """

    wave = models.OneToOneField(
        Wave, on_delete=models.CASCADE, primary_key=True, related_name="monitoring_snapshot"
    )
    submitted_until = models.DateTimeField()
    counts = models.JSONField()
    built_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"monitoring of {self.wave_id} to {self.submitted_until:%Y-%m-%d %H:%M}"


class EmailKind(StrEnum):
    INVITATION = "invitation"
    REMINDER = "reminder"


class WaveEmailTemplate(models.Model):
    """A wave's own wording of one e-mail in one language (else the default wording).

    ``subject`` and ``body`` use ``$placeholders`` (see ``services.emails``).
    """

    wave = models.ForeignKey(Wave, on_delete=models.CASCADE, related_name="email_templates")
    kind = models.CharField(max_length=20, choices=[(k.value, k.value) for k in EmailKind])
    language = models.CharField(max_length=8)
    subject = models.CharField(max_length=200)
    body = models.TextField()
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = (
            models.UniqueConstraint(
                fields=("wave", "kind", "language"), name="wave_email_template_unique"
            ),
        )

    def __str__(self) -> str:
        return f"{self.kind} e-mail ({self.language}) of {self.wave.slug}"


class TokenPurpose(StrEnum):
    """Why a token was issued."""

    INVITATION = "invitation"
    REMINDER = "reminder"
    RESUME = "resume"
    LINK = "link"


class AccessToken(models.Model):
    """A personal link or resume code: only the SHA-256 of the token is kept."""

    Purpose = TokenPurpose

    response = models.ForeignKey(Response, on_delete=models.CASCADE, related_name="tokens")
    token_hash = models.CharField(max_length=64, unique=True)
    purpose = models.CharField(max_length=20, choices=[(p.value, p.value) for p in TokenPurpose])
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"{self.purpose} token for response {self.response_id}"


class AccessThrottle(models.Model):
    """Counted events per key in the current window: failed token look-ups per client
    address, resume-code e-mails per response and per address (``failures`` counts
    whichever the key is for)."""

    key = models.CharField(max_length=100, unique=True)
    window_started_at = models.DateTimeField()
    failures = models.PositiveIntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.key}: {self.failures} failures"


class PeerSnapshot(models.Model):
    """The stored peer benchmark snapshot of one sector of one wave.

    Taken by ``services.peers.peer_snapshot_refresh`` from the verified
    submissions (see :mod:`collabready.analysis.peers` for the rule). ``index``
    holds the snapshot organisations' index scores as float64 bytes, sorted.
    ``checked_at`` is when the submissions were last looked at (the snapshot
    itself changes only when it gains a step of organisations).
    """

    wave = models.ForeignKey(Wave, on_delete=models.CASCADE, related_name="peer_snapshots")
    sector = models.CharField(max_length=20)
    organisations = models.PositiveIntegerField(default=0)
    submitted = models.PositiveIntegerField(default=0)
    step = models.PositiveIntegerField()
    index = models.BinaryField(default=b"")
    taken_at = models.DateTimeField()
    checked_at = models.DateTimeField()

    class Meta:
        constraints = (
            models.UniqueConstraint(fields=("wave", "sector"), name="peer_snapshot_unique"),
        )

    def __str__(self) -> str:
        return f"peer snapshot {self.wave_id}/{self.sector}: {self.organisations} organisations"
