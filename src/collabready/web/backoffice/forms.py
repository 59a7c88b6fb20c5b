"""Back-office forms: they check input shape only; the services apply the rules."""

from __future__ import annotations

from collections.abc import Mapping

from django import forms


class WaveForm(forms.Form):
    name = forms.CharField(label="Name", max_length=200)
    slug = forms.SlugField(
        label="Short name",
        max_length=60,
        help_text="Letters, numbers and hyphens; used in the open link, e.g. national-2026",
    )
    instrument_key = forms.CharField(
        label="Instrument version", max_length=100, help_text="id@version, e.g. cri@1.1.0"
    )
    opens_at = forms.DateTimeField(label="Opens", help_text="e.g. 2026-03-01 09:00")
    closes_at = forms.DateTimeField(label="Closes", help_text="e.g. 2026-05-31 23:59")
    privacy_notice = forms.CharField(label="Privacy notice", widget=forms.Textarea)
    open_link_enabled = forms.BooleanField(
        label="Offer an open link for anonymous responses", required=False
    )


class InvitationUploadForm(forms.Form):
    file = forms.FileField(
        label="Invitation list (CSV)",
        help_text="Columns: email, name, organisation, sector; optional subsector, role, size, "
        "region and any others",
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
