"""CRI 1.1.0: the 1.0.0 questionnaire with a complete Welsh (cy) text for every text."""

from __future__ import annotations

import copy
from typing import Any

import yaml
from typer.testing import CliRunner

from collabready.cli import app
from collabready.instrument import load_instrument
from collabready.instrument.checks import iter_texts
from collabready.instrument.loader import data_dir

from .conftest import Writer, problems_of


def _raw(version: str) -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load((data_dir() / f"cri-{version}.yaml").read_text())
    return loaded


def test_welsh_version_declares_english_and_welsh() -> None:
    ins = load_instrument("1.1.0")
    assert ins.languages == ("en", "cy")
    assert ins.title.get("cy") == "Mynegai Parodrwydd i Gydweithio"
    assert ins.scale("agree5").options[4].label.get("cy") == "Cytuno'n gryf"
    assert ins.profile_question("region").choice_by_value("wales").label.get("cy") == "Cymru"


def test_every_text_has_a_welsh_translation_distinct_from_english() -> None:
    texts = list(iter_texts(_raw("1.1.0")))
    assert len(texts) >= 170
    # a short label may be the same abbreviation in both ("sys": Systems, Systemau)
    untranslated = [
        path
        for path, text in texts
        if text["cy"].strip() == text["en"].strip() and path[-1] != "short_label"
    ]
    assert untranslated == []


def test_welsh_version_is_english_version_plus_welsh() -> None:
    """1.1.0 adds texts only: same items, codes, scales, levels and English wording as 1.0.0."""
    welsh = copy.deepcopy(_raw("1.1.0"))
    for _, text in iter_texts(welsh):
        del text["cy"]
    welsh["version"] = "1.0.0"
    welsh["languages"] = ["en"]
    assert welsh == _raw("1.0.0")
    assert load_instrument("1.1.0").item_ids == load_instrument("1.0.0").item_ids


def test_one_missing_welsh_text_is_named(write: Writer) -> None:
    doc = copy.deepcopy(_raw("1.1.0"))
    del doc["blocks"][4]["items"][7]["text"]["cy"]
    del doc["levels"][2]["label"]["cy"]
    assert problems_of(write(doc, "cri-1.1.0.yaml")) == (
        "blocks[4].items[7].text: missing language 'cy'",
        "levels[2].label: missing language 'cy'",
    )


def test_welsh_fallback_to_english_for_an_english_only_instrument() -> None:
    ins = load_instrument("1.0.0")
    assert ins.title.get("cy") == "Collaboration Readiness Index"


def test_show_in_welsh() -> None:
    result = CliRunner().invoke(
        app,
        ["instrument", "show", "--version", "1.1.0", "--language", "cy"],
        env={"COLUMNS": "400"},
    )
    assert result.exit_code == 0, result.output
    assert "Mynegai Parodrwydd i Gydweithio (cri@1.1.0" in result.output
    assert "Ddim yn gwybod" in result.output
    assert "Traceback" not in result.output
