"""The XLSForm layout of an instrument: sheet names, columns, and language headers.

Shared by the writer (:mod:`.write`) and the reader (:mod:`.read`), so that the
two cannot drift. See docs/xlsform.md for the whole layout.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Final

SURVEY: Final = "survey"
CHOICES: Final = "choices"
SETTINGS: Final = "settings"
#: Instrument properties that XLSForm has no place for (title in every language, minutes, focus).
CRI: Final = "cri"
#: The suggested actions of each block, in order.
CRI_ACTIONS: Final = "cri_actions"
#: The readiness levels (bands on the 0-100 index).
CRI_LEVELS: Final = "cri_levels"

#: ``cri_role`` of a ``begin_group`` or ``note`` row: what part of the instrument it is.
ROLE_INTRODUCTION: Final = "introduction"
ROLE_ITEM_PROMPT: Final = "item_prompt"
ROLE_PROFILE: Final = "profile"
ROLE_BLOCK: Final = "block"
ROLE_SECTION: Final = "section"
ROLE_OPEN: Final = "open"
GROUP_ROLES: Final = (ROLE_PROFILE, ROLE_BLOCK, ROLE_SECTION, ROLE_OPEN)
NOTE_ROLES: Final = (ROLE_INTRODUCTION, ROLE_ITEM_PROMPT)

#: The names of the profile and open-question groups written by the exporter.
PROFILE_GROUP: Final = "profile"
OPEN_GROUP: Final = "open_questions"

#: Property names on the ``cri`` sheet.
PROP_TITLE: Final = "title"
PROP_MINUTES: Final = "estimated_minutes"
PROP_MIN_BLOCKS: Final = "min_blocks_for_index"
PROP_FOCUS_BLOCK: Final = "focus_block"
PROP_FOCUS_RATIONALE: Final = "focus_rationale"
PROP_FOCUS_LAG: Final = "focus_lag_finding"
VALUE_PROPS: Final = (PROP_MINUTES, PROP_MIN_BLOCKS, PROP_FOCUS_BLOCK)
TEXT_PROPS: Final = (PROP_TITLE, PROP_FOCUS_RATIONALE, PROP_FOCUS_LAG)

#: The open-question length limit as an XLSForm constraint (ODK enforces it too).
MAX_LENGTH_CONSTRAINT: Final = "string-length(.) <= {n}"
MAX_LENGTH_RE: Final = re.compile(r"^\s*string-length\(\s*\.\s*\)\s*<=\s*(\d+)\s*$")

#: Metadata question types of KoboToolbox/ODK forms that carry no questionnaire content.
META_TYPES: Final = frozenset(
    {"start", "end", "today", "deviceid", "username", "phonenumber", "simserial", "audit"}
)

#: English names of the languages the headers are written with (``label::Welsh (cy)``).
LANGUAGE_NAMES: Final = {
    "en": "English",
    "cy": "Welsh",
    "ga": "Irish",
    "gd": "Scottish Gaelic",
    "fr": "French",
    "de": "German",
    "es": "Spanish",
    "pl": "Polish",
}

YES: Final = frozenset({"yes", "true", "1", "true()"})
NO: Final = frozenset({"no", "false", "0", "false()", ""})

_LANG_HEADER_RE = re.compile(
    r"^(?P<base>[A-Za-z_][\w-]*)::\s*(?P<name>.*?)\s*\((?P<code>[A-Za-z]{2,3}(?:-[A-Za-z0-9]+)*)\)\s*$"
)


def language_label(code: str) -> str:
    """``"cy"`` -> ``"Welsh (cy)"``, the XLSForm way of naming a language."""
    return f"{LANGUAGE_NAMES.get(code, code)} ({code})"


def translated(base: str, code: str) -> str:
    """``translated("label", "cy")`` -> ``"label::Welsh (cy)"``."""
    return f"{base}::{language_label(code)}"


@dataclass(frozen=True, slots=True)
class Header:
    """A parsed column header: ``label::Welsh (cy)`` is base ``label``, language ``cy``."""

    base: str
    language: str | None


class HeaderError(ValueError):
    """A ``base::...`` header that does not name a language code."""


def parse_header(text: str) -> Header:
    """Split a header into its base column and language; raise :class:`HeaderError` if malformed.

    >>> parse_header("label::Welsh (cy)")
    Header(base='label', language='cy')
    >>> parse_header("type")
    Header(base='type', language=None)
    """
    text = text.strip()
    if "::" not in text:
        return Header(base=text, language=None)
    match = _LANG_HEADER_RE.match(text)
    if match is None:
        base = text.split("::", 1)[0]
        raise HeaderError(
            f"{text!r} does not name its language's code: write it as "
            f"{base}::Name (code), for example {translated(base or 'label', 'cy')}"
        )
    return Header(base=match["base"], language=match["code"])
