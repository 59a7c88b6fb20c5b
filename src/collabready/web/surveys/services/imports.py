"""Importing responses from another survey tool into a wave: all rows in one transaction, or none.

The checking is the pure core's (:mod:`collabready.formats.imports`); this
service only refuses a file already imported into the wave (by SHA-256) and
writes the batch, its responses and the audit record together. Imported
responses are submitted responses like any other (the wave loader,
:func:`collabready.web.surveys.selectors.responses.wave_responses`, reads
them), marked by ``Response.import_batch``.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.auth.models import AnonymousUser, User
from django.db import IntegrityError, transaction
from django.utils import timezone

from collabready.formats.imports import (
    ImportPlan,
    ResponseImportError,
    file_sha256,
    mapping_from_text,
    plan_import,
)
from collabready.instrument import Instrument
from collabready.web.audit.services import audit_record
from collabready.web.surveys.instruments import instrument_get
from collabready.web.surveys.models import ImportBatch, Response, Wave
from collabready.web.surveys.selectors.counts import monitoring_forget

BATCH_ROWS = 5_000


@dataclass(frozen=True, slots=True)
class ImportOutcome:
    """What an import did (or, in a dry run, would do)."""

    plan: ImportPlan
    dry_run: bool
    batch: ImportBatch | None

    def summary(self) -> list[str]:
        verb = "Would import" if self.dry_run else "Imported"
        first, *rest = self.plan.summary()
        lines = [f"{verb} {first}"]
        if self.dry_run:
            lines[0] += " (dry run: nothing was written)"
        return [*lines, *rest]


def _sector_values(instrument: Instrument, plan: ImportPlan) -> list[str]:
    """The stored ``Response.sector`` of each row (the sector question's choice value)."""
    ids = [q.id for q in instrument.profile]
    if "sector" not in ids:
        return [""] * plan.n
    question = instrument.profile_question("sector")
    value = {c.code: c.value for c in question.choices}
    column = plan.profile[:, ids.index("sector")]
    return [value.get(int(code), "") for code in column]


def responses_import(
    *,
    wave: Wave,
    data: bytes,
    file_name: str,
    mapping_text: str,
    mapping_name: str,
    actor: AbstractBaseUser | AnonymousUser | None,
    actor_label: str | None = None,
    dry_run: bool = False,
) -> ImportOutcome:
    """Check ``data`` against the mapping and, unless ``dry_run``, import every row.

    Raises :class:`~collabready.formats.imports.ImportMappingError` or
    :class:`~collabready.formats.imports.ResponseImportError` listing every
    problem; then nothing is written.
    """
    instrument = instrument_get(wave.instrument_key)
    mapping = mapping_from_text(mapping_text, instrument=instrument, file_name=mapping_name)
    plan = plan_import(instrument=instrument, mapping=mapping, data=data, file_name=file_name)
    _refuse_repeat(wave, plan)
    if dry_run:
        return ImportOutcome(plan=plan, dry_run=True, batch=None)
    user = actor if isinstance(actor, User) else None
    label = actor_label or (user.get_username() if user is not None else "system")
    sectors = _sector_values(instrument, plan)
    now = timezone.now()
    try:
        with transaction.atomic():
            batch = ImportBatch.objects.create(
                wave=wave,
                file_name=file_name[:255],
                sha256=plan.sha256,
                mapping_sha256=file_sha256(mapping_text.encode("utf-8")),
                response_count=plan.n,
                imported_by=user,
                imported_by_label=label[:200],
            )
            Response.objects.bulk_create(
                (
                    Response(
                        wave=wave,
                        answers=plan.answers[i].tobytes(),
                        profile=plan.profile[i].tobytes(),
                        open_answers=plan.open_answers[i],
                        sector=sectors[i],
                        organisation_ref=plan.organisations[i][:300],
                        language="en",
                        version=1,
                        import_batch=batch,
                        started_at=now,
                        submitted_at=now,
                    )
                    for i in range(plan.n)
                ),
                batch_size=BATCH_ROWS,
            )
            monitoring_forget(wave_id=wave.pk)  # stored with their own submission time
            audit_record(
                "responses.import",
                actor=actor,
                actor_label=label,
                obj=batch,
                wave=wave.slug,
                file=file_name,
                sha256=plan.sha256,
                mapping=mapping_name,
                responses=plan.n,
            )
    except IntegrityError:
        _refuse_repeat(wave, plan)  # imported meanwhile by another request
        raise
    return ImportOutcome(plan=plan, dry_run=False, batch=batch)


def _refuse_repeat(wave: Wave, plan: ImportPlan) -> None:
    earlier = ImportBatch.objects.filter(wave=wave, sha256=plan.sha256).first()
    if earlier is not None:
        when = timezone.localtime(earlier.created_at).strftime("%Y-%m-%d %H:%M")
        raise ResponseImportError(
            plan.file_name,
            [
                f"this file (SHA-256 {plan.sha256[:16]}…) was already imported into {wave.slug} "
                f"on {when} by {earlier.imported_by_label} ({earlier.response_count:,} responses, "
                f"as {earlier.file_name})"
            ],
        )
