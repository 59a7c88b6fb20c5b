"""Small forms on the respondent side (e-mail for a resume code, entering a code)."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _


class ResumeEmailForm(forms.Form):
    email = forms.EmailField(
        label=_("Email address"),
        max_length=254,
        error_messages={
            "required": _("Enter your email address"),
            "invalid": _("Enter an email address in the correct format, like name@example.com"),
        },
    )


class ResumeCodeForm(forms.Form):
    code = forms.CharField(
        label=_("Resume code"),
        max_length=200,
        error_messages={"required": _("Enter the resume code from your email")},
    )
