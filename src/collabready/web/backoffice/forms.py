"""Back-office forms: they check input shape only; the services apply the rules."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django import forms
from django.conf import settings

from collabready.web.surveys.instruments import instrument_published

#: UK order first: "01/03/2026" is 1 March 2026 (a date input posts 2026-03-01).
UK_DATE_FORMATS = ("%Y-%m-%d", "%d/%m/%Y", "%d/%m/%y", "%d-%m-%Y", "%d %B %Y", "%d %b %Y")


class UKDateField(forms.DateField):
    widget = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("input_formats", UK_DATE_FORMATS)
        kwargs.setdefault("error_messages", {"invalid": "Enter a date such as 01/03/2026"})
        super().__init__(**kwargs)


def london_midnight(day: date) -> datetime:
    """The start of ``day`` in the site's time zone (Europe/London)."""
    return datetime.combine(day, time(0, 0), tzinfo=ZoneInfo(str(settings.TIME_ZONE)))


def closes_at_for(last_day: date) -> datetime:
    """A wave whose last day is ``last_day`` closes at the midnight that ends it."""
    return london_midnight(last_day + timedelta(days=1))


def last_day_of(closes_at: datetime) -> date:
    return (closes_at.astimezone(ZoneInfo(str(settings.TIME_ZONE))) - timedelta(seconds=1)).date()


class _WaveDates(forms.Form):
    opens_on = UKDateField(
        label="Opens on", help_text="The first day of fieldwork, e.g. 01/03/2026"
    )
    closes_on = UKDateField(
        label="Closes after", help_text="The last day answers are accepted, e.g. 31/05/2026"
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("opens_on") and data.get("closes_on"):
            data["opens_at"] = london_midnight(data.pop("opens_on"))
            data["closes_at"] = closes_at_for(data.pop("closes_on"))
        return data


class WaveForm(_WaveDates):
    name = forms.CharField(
        label="Name",
        max_length=200,
        help_text="The research team's own name for the wave, seen in the back office only",
    )
    public_title = forms.CharField(
        label="Public title",
        max_length=200,
        required=False,
        help_text="What respondents and readers see: on the survey's pages, the e-mails and "
        "the report's cover, e.g. Collaboration in Wales 2026",
    )
    public_title_cy = forms.CharField(
        label="Public title in Welsh (optional)",
        max_length=200,
        required=False,
        help_text="Shown to those answering in Welsh; without it they see the English title",
    )
    slug = forms.SlugField(
        label="Short name",
        max_length=60,
        help_text="Letters, numbers and hyphens; used in the open link, e.g. national-2026",
    )
    instrument_key = forms.ChoiceField(
        label="Instrument version", help_text="The published questionnaire versions"
    )
    privacy_notice = forms.CharField(label="Privacy notice", widget=forms.Textarea)
    open_link_enabled = forms.BooleanField(
        label="Offer an open link for anonymous responses", required=False
    )
    field_order = (
        "name",
        "public_title",
        "public_title_cy",
        "slug",
        "instrument_key",
        "opens_on",
        "closes_on",
        "privacy_notice",
        "open_link_enabled",
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["instrument_key"]
        assert isinstance(field, forms.ChoiceField)  # declared so above
        field.choices = [(k, k) for k in instrument_published()]


class WaveEditForm(WaveForm):
    """Editing a wave: everything but the short name (the open link). Its cleaned data
    holds only what may change: disabled fields and dates left on the same day drop out."""

    def __init__(
        self, *args: Any, opened: bool, opens_at: datetime, closes_at: datetime, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self._dates = (opens_at, closes_at)
        del self.fields["slug"]
        if opened:
            for name in (
                "public_title",
                "public_title_cy",
                "instrument_key",
                "opens_on",
                "privacy_notice",
            ):
                self.fields[name].disabled = True

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        opens_at, closes_at = self._dates
        if self.fields["opens_on"].disabled or (
            data.get("opens_at") is not None
            and data["opens_at"].date() == opens_at.astimezone(data["opens_at"].tzinfo).date()
        ):
            data.pop("opens_at", None)
        if data.get("closes_at") is not None and last_day_of(data["closes_at"]) == last_day_of(
            closes_at
        ):
            data.pop("closes_at", None)
        for name, field in self.fields.items():
            if field.disabled:
                data.pop(name, None)
        return data


class InvitationUploadForm(forms.Form):
    file = forms.FileField(
        label="Invitation list (CSV or .xlsx)",
        help_text="Columns: email, name, organisation, sector; optional subsector, role, size, "
        "region, language (en or cy) and any others. CSV may be comma- or semicolon-separated, "
        "UTF-8 or Windows-1252.",
    )
    skip_existing = forms.BooleanField(
        label="Skip people already invited to this wave", required=False
    )


class EmailSettingsForm(forms.Form):
    sender_name = forms.CharField(label="Sender name", max_length=100, required=False)
    reply_to = forms.EmailField(label="Reply-to address", required=False)
    contact = forms.CharField(
        label="Contact",
        max_length=300,
        required=False,
        help_text="Named at the foot of every e-mail, e.g. survey@example.org or a phone number",
    )
    reminder_days = forms.CharField(
        label="Scheduled reminders (days after the invitation)",
        max_length=50,
        required=False,
        help_text="Comma-separated, e.g. 7, 14. The worker sends them when they are due.",
    )
    reminder_interval_days = forms.IntegerField(
        label="Never remind anyone twice within (days)", min_value=0, max_value=60
    )

    def clean_reminder_days(self) -> list[int]:
        raw = str(self.cleaned_data.get("reminder_days") or "")
        parts = [p.strip() for p in raw.replace(";", ",").split(",") if p.strip()]
        bad = [p for p in parts if not p.isdigit()]
        if bad:
            raise forms.ValidationError(
                f"Enter whole numbers of days separated by commas (not {', '.join(bad)})"
            )
        return [int(p) for p in parts]


class EmailTemplateForm(forms.Form):
    subject = forms.CharField(label="Subject", max_length=200)
    body = forms.CharField(label="Body", widget=forms.Textarea)


class QuotasForm(forms.Form):
    quotas = forms.CharField(
        label="Target numbers of submissions",
        widget=forms.Textarea,
        required=False,
        help_text="One per line: question, answer, target, e.g. sector, public, 120. Answers "
        "may be keys, codes or labels.",
    )


class ResponsesImportForm(forms.Form):
    file = forms.FileField(
        label="Responses (CSV or XLSX)",
        help_text="The export of the other survey tool: a header row, then one response a row",
    )
    mapping = forms.FileField(
        label="Mapping (YAML)",
        help_text="Which column is which question, and what its values mean (see docs/imports.md)",
    )
    dry_run = forms.BooleanField(
        label="Dry run: check the file and report what would be imported, without importing",
        required=False,
        initial=True,
    )


class MarginsUploadForm(forms.Form):
    file = forms.FileField(
        label="Population margins (CSV)",
        help_text="Columns: variable, level, population_total; variables are profile questions "
        "such as sector, size and region",
    )


class ExportForm(forms.Form):
    format = forms.ChoiceField(
        label="Format",
        choices=(
            ("sav", "SPSS (.sav)"),
            ("dta", "Stata (.dta)"),
            ("parquet", "Parquet"),
            ("csv", "CSV"),
            ("xlsx", "Excel (.xlsx)"),
        ),
    )
    scores = forms.BooleanField(label="Add the scores and the readiness level", required=False)
    weights = forms.BooleanField(
        label="Add the raking weight (needs the wave's margins)", required=False
    )
    open_answers = forms.BooleanField(label="Add the open answers (free text)", required=False)
    partial = forms.BooleanField(
        label="Add the partial responses, with the last page each reached", required=False
    )
    language = forms.ChoiceField(label="Language of the labels")

    def __init__(
        self, data: Mapping[str, object] | None = None, *, languages: list[tuple[str, str]]
    ) -> None:
        super().__init__(data)
        language = self.fields["language"]
        assert isinstance(language, forms.ChoiceField)  # declared so above
        language.choices = languages


class PrivacyForm(forms.Form):
    """A wave's data protection settings (checked by ``privacy.services.settings``)."""

    controller = forms.CharField(
        label="Controller", max_length=300, help_text="Who decides how the data is used"
    )
    controller_contact = forms.CharField(
        label="Contact for data protection", max_length=300, required=False
    )
    lawful_basis = forms.ChoiceField(label="Lawful basis (UK GDPR Article 6)", choices=())
    retention_days = forms.IntegerField(
        label="Days after the wave closes that personal data is kept",
        min_value=0,
        max_value=3650,
        help_text="Then `collabready purge` deletes e-mail addresses, names and links",
    )
    purge_open_answers = forms.BooleanField(
        label="Delete the written (open) answers at the same time", required=False
    )
    notice_cy = forms.CharField(
        label="Privacy notice in Welsh", widget=forms.Textarea, required=False
    )

    def __init__(
        self,
        data: Mapping[str, object] | None = None,
        *,
        bases: list[tuple[str, str]],
        initial: dict[str, object] | None = None,
    ) -> None:
        super().__init__(data, initial=initial)
        basis = self.fields["lawful_basis"]
        assert isinstance(basis, forms.ChoiceField)  # declared so above
        basis.choices = bases
