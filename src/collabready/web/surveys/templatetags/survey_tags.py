"""Template filters for scores and instrument texts."""

from __future__ import annotations

import math

from django import template
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from collabready.analysis.gate import Estimate
from collabready.instrument import Text
from collabready.web.surveys.models import Wave
from collabready.web.surveys.selectors.waves import wave_title_for_respondents

register = template.Library()


@register.filter
def public_title(wave: Wave) -> str:
    """The survey's name as respondents see it, in the page's language."""
    return wave_title_for_respondents(wave=wave, language=get_language() or "en")


@register.filter
def figure(value: Estimate | None) -> float | None:
    """A published figure's value (``None`` while withheld)."""
    return None if value is None else value.value


@register.filter
def score(value: float | None) -> str:
    """A 0-100 score to the nearest whole number, or a dash when missing."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    return f"{value:.0f}"


@register.filter
def signed(value: float | None) -> str:
    """A gap with its sign (+12, −3)."""
    if value is None or math.isnan(value):
        return "–"
    rounded = round(value)
    if rounded > 0:
        return f"+{rounded}"
    if rounded < 0:
        return f"−{-rounded}"
    return "0"


@register.filter
def ordinal_percentile(value: float | None) -> str:
    if value is None or math.isnan(value):
        return "–"
    return str(_("%(value)s%%") % {"value": f"{value:.0f}"})


@register.filter
def text(value: Text | None) -> str:
    """An instrument text in the page's language (English when it has none)."""
    if value is None:
        return ""
    return value.get(get_language() or "en")
