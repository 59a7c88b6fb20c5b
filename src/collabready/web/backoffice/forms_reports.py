"""The back office's report form: what to generate, and the report's options.

The form checks the input's shape (and the logo through the core's
:func:`~collabready.reporting.logo.read_logo`); the job service stores it and
the report is built by the core. Margin levels without respondents (during
fieldwork) each get a choice of the level to merge them into, unless the
report is an unweighted draft.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from django import forms
from django.core.files.uploadedfile import UploadedFile
from django.utils.datastructures import MultiValueDict

from collabready.analysis.data import label_for, variable_title
from collabready.analysis.policy import DEFAULT_K
from collabready.analysis.weighting import EmptyLevel
from collabready.instrument.model import Instrument
from collabready.reporting.logo import MAX_LOGO_BYTES, LogoError, read_logo
from collabready.reporting.national import DEFAULT_SUBTITLE, DEFAULT_TITLE
from collabready.web.reports.build import ReportOptions

#: The largest roundtable note accepted (Markdown text).
MAX_NOTE_BYTES = 256 * 1024


def merge_field_name(level: EmptyLevel) -> str:
    return f"merge__{level.variable}__{level.level}"


class ReportForm(forms.Form):
    kind = forms.ChoiceField(
        label="Report",
        choices=(("national", "National report"), ("sector", "Sector briefing")),
    )
    sector = forms.ChoiceField(label="Sector (for a sector briefing)", required=False)
    format = forms.ChoiceField(label="Format", choices=(("pdf", "PDF"), ("html", "HTML")))
    title = forms.CharField(label="Title", max_length=200, initial=DEFAULT_TITLE, required=False)
    subtitle = forms.CharField(
        label="Subtitle", max_length=300, initial=DEFAULT_SUBTITLE, required=False
    )
    foreword = forms.CharField(
        label="Foreword (optional)",
        help_text="Markdown: paragraphs, **bold**, lists and links. HTML is shown as text.",
        widget=forms.Textarea(attrs={"rows": 5}),
        max_length=20_000,
        required=False,
    )
    roundtable = forms.FileField(
        label="Roundtable note (optional)",
        help_text="A Markdown (.md) or text file, at most 256 KB; printed as an appendix.",
        required=False,
    )
    k = forms.IntegerField(
        label="Disclosure threshold (k)",
        help_text=f"No figure rests on fewer respondents; at least {DEFAULT_K}.",
        min_value=DEFAULT_K,
        max_value=1000,
        initial=DEFAULT_K,
        required=False,
    )
    logo = forms.FileField(
        label="Logo (optional)",
        help_text=f"A PNG or JPEG image, at most {MAX_LOGO_BYTES // 1024} KB, for the cover.",
        required=False,
    )
    logo_alt = forms.CharField(
        label="What the logo shows (optional)",
        help_text="For screen readers, e.g. “Wales Collaboration Foundation”. Needed with a logo.",
        max_length=200,
        required=False,
    )
    draft = forms.BooleanField(
        label="Unweighted draft, during fieldwork (labelled as a draft on every page)",
        required=False,
    )

    def __init__(
        self,
        data: Mapping[str, object] | None = None,
        files: MultiValueDict[str, UploadedFile[Any]] | None = None,
        *,
        sectors: list[tuple[str, str]],
        empty_levels: Sequence[EmptyLevel] = (),
        instrument: Instrument | None = None,
    ) -> None:
        super().__init__(data, files)
        sector = self.fields["sector"]
        assert isinstance(sector, forms.ChoiceField)  # declared so above
        sector.choices = [("", "Choose a sector"), *sectors]
        self.empty_levels = tuple(empty_levels)

        def label(var: str, lv: str) -> str:
            return label_for(instrument, var, lv) if instrument is not None else lv

        for level in self.empty_levels:
            name = variable_title(level.variable)
            self.fields[merge_field_name(level)] = forms.ChoiceField(
                label=f"{name}: merge “{label(level.variable, level.level)}” into",
                choices=[
                    ("", "Choose a level"),
                    *((o, label(level.variable, o)) for o in level.others),
                ],
                required=False,
            )

    @property
    def merge_fields(self) -> list[forms.BoundField]:
        return [self[merge_field_name(lv)] for lv in self.empty_levels]

    def clean_roundtable(self) -> str:
        upload = self.cleaned_data.get("roundtable")
        if not isinstance(upload, UploadedFile):
            return ""
        if upload.size is not None and upload.size > MAX_NOTE_BYTES:
            raise forms.ValidationError(
                f"{upload.name}: the note is larger than {MAX_NOTE_BYTES // 1024} KB"
            )
        try:
            text: str = upload.read().decode("utf-8-sig")
            return text
        except UnicodeDecodeError:
            raise forms.ValidationError(
                f"{upload.name}: not UTF-8 text; save the note as a Markdown or text file"
            ) from None

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("kind") == "sector" and not data.get("sector"):
            self.add_error("sector", "Choose the sector to brief on")
        upload = data.get("logo")
        data["logo_bytes"] = b""
        if isinstance(upload, UploadedFile):
            raw = upload.read(MAX_LOGO_BYTES + 1)
            try:
                read_logo(raw, filename=upload.name or "logo", alt_text=data.get("logo_alt", ""))
            except LogoError as exc:
                self.add_error("logo", str(exc))
            else:
                data["logo_bytes"] = raw
        elif data.get("logo_alt"):
            self.add_error("logo", "Choose the logo image, or leave its description empty")
        draft = bool(data.get("draft"))
        merges: dict[tuple[str, str], str] = {}
        for level in self.empty_levels:
            field = merge_field_name(level)
            into = data.get(field) or ""
            if into:
                merges[(level.variable, level.level)] = str(into)
            elif not draft:
                self.add_error(
                    field,
                    f"{variable_title(level.variable)} “{level.level}” has no respondents yet, "
                    "so the report cannot be weighted to it: choose a level to merge it into, "
                    "or tick “Unweighted draft”",
                )
        data["merge_levels"] = {} if draft else merges
        return data

    def options(self) -> ReportOptions:
        """The validated options (after ``is_valid()``)."""
        d = self.cleaned_data
        return ReportOptions(
            title=(d.get("title") or "").strip(),
            subtitle=(d.get("subtitle") or "").strip(),
            foreword=d.get("foreword") or "",
            roundtable=d.get("roundtable") or "",
            k=int(d.get("k") or DEFAULT_K),
            draft=bool(d.get("draft")),
            merge_levels=d.get("merge_levels") or {},
            logo_alt=(d.get("logo_alt") or "").strip() if d.get("logo_bytes") else "",
        )

    def logo_bytes(self) -> bytes:
        return bytes(self.cleaned_data.get("logo_bytes") or b"")
