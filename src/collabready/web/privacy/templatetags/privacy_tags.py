"""``{% privacy_terms wave as terms %}``: what a wave's privacy notice states."""

from __future__ import annotations

from django import template

from collabready.web.privacy.selectors import PrivacyTerms, wave_privacy
from collabready.web.surveys.models import Wave

register = template.Library()


@register.simple_tag
def privacy_terms(wave: Wave) -> PrivacyTerms:
    return wave_privacy(wave=wave)
