"""Back-office forms: they check input shape only; the services apply the rules."""

from __future__ import annotations

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


class MarginsUploadForm(forms.Form):
    file = forms.FileField(
        label="Population margins (CSV)",
        help_text="Columns: variable, level, population_total; variables are profile questions "
        "such as sector, size and region",
    )
