"""The Welsh page text: the committed .mo holds every translation in the .po."""

from __future__ import annotations

import ast
import gettext
import re
from pathlib import Path

import collabready.web

LOCALE = Path(collabready.web.__file__).parent / "locale"
PO = LOCALE / "cy" / "LC_MESSAGES" / "django.po"


def _msgids() -> list[str]:
    text = PO.read_text(encoding="utf-8")
    return [ast.literal_eval(m) for m in re.findall(r'^msgid (".+")$', text, flags=re.MULTILINE)]


def test_every_message_has_a_compiled_welsh_translation() -> None:
    catalogue = gettext.translation("django", localedir=LOCALE, languages=["cy"])
    ids = _msgids()
    assert len(ids) > 80
    untranslated = [m for m in ids if catalogue.gettext(m) == m and "%(" not in m[:3]]
    assert untranslated == []


def test_placeholders_survive_translation() -> None:
    catalogue = gettext.translation("django", localedir=LOCALE, languages=["cy"])
    for msgid in _msgids():
        wanted = sorted(re.findall(r"%\(\w+\)s", msgid))
        assert sorted(re.findall(r"%\(\w+\)s", catalogue.gettext(msgid))) == wanted, msgid
