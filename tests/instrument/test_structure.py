"""Stage 1 (structure against the JSON Schema) and reading errors: syntax, files, types."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from collabready.instrument import InstrumentError, InstrumentNotFoundError, load_instrument
from collabready.instrument.loader import data_dir

from .conftest import Writer, problems_of


def test_missing_required_field(doc: dict[str, Any], write: Writer) -> None:
    del doc["blocks"][1]["title"]
    del doc["version"]
    assert problems_of(write(doc)) == (
        "version: required field is missing",
        "blocks[1].title: required field is missing",
    )


def test_unknown_field(doc: dict[str, Any], write: Writer) -> None:
    doc["blocks"][0]["items"][2]["revers"] = True
    assert problems_of(write(doc)) == (
        "blocks[0].items[2].revers: unknown field "
        "(allowed here: dimension, id, reverse, scale, text)",
    )


def test_wrong_types(doc: dict[str, Any], write: Writer) -> None:
    doc["estimated_minutes"] = "15"
    doc["blocks"][0]["items"][0]["reverse"] = "yes"
    doc["levels"][0]["lower"] = None
    assert problems_of(write(doc)) == (
        "estimated_minutes: expected integer, got string",
        "blocks[0].items[0].reverse: expected true/false, got string",
        "levels[0].lower: expected number, got nothing",
    )


def test_enum_and_pattern_listed_in_file_order(doc: dict[str, Any], write: Writer) -> None:
    doc["sections"][0]["kind"] = "enabler"
    doc["blocks"][0]["items"][0]["dimension"] = "ambition"
    doc["profile"][0]["id"] = "Sector"
    doc["blocks"][0]["title"] = {"EN": "Citizens"}
    assert problems_of(write(doc)) == (
        "profile[0].id: 'Sector' is not valid: use lower-case letters, digits and underscores, "
        "starting with a letter (ids become column names)",
        "blocks[0].title: 'EN' is not valid: use an ISO 639 language code such as 'en' or 'cy'",
        "blocks[0].items[0].dimension: 'ambition' is not one of 'commitment', 'capacity'",
        "sections[0].kind: 'enabler' is not one of 'enablers', 'environment', 'outcomes'",
    )


def test_guidance_needs_two_to_four_actions(doc: dict[str, Any], write: Writer) -> None:
    doc["blocks"][0]["guidance"] = doc["blocks"][0]["guidance"][:1]
    doc["blocks"][1]["guidance"] = doc["blocks"][1]["guidance"] * 2
    assert problems_of(write(doc)) == (
        "blocks[0].guidance: has 1 entry; at least 2 are required",
        "blocks[1].guidance: has 6 entries; at most 4 are allowed",
    )


def test_empty_text(doc: dict[str, Any], write: Writer) -> None:
    doc["blocks"][3]["items"][1]["text"] = {"en": ""}
    doc["open_questions"][0]["text"] = {}
    assert problems_of(write(doc)) == (
        "blocks[3].items[1].text.en: must not be empty",
        "open_questions[0].text: must not be empty",
    )


def test_short_label_is_required_and_short(doc: dict[str, Any], write: Writer) -> None:
    del doc["blocks"][1]["short_label"]
    doc["blocks"][2]["short_label"] = {"en": "systems thinking"}
    doc["blocks"][3]["short_label"] = {"en": ""}
    assert problems_of(write(doc)) == (
        "blocks[1].short_label: required field is missing",
        "blocks[2].short_label.en: 'systems thinking' is too long: at most 12 characters",
        "blocks[3].short_label.en: must not be empty",
    )


def test_focus_structure(doc: dict[str, Any], write: Writer) -> None:
    doc["focus"] = {"block": "Citizens", "why": {"en": "Because."}}
    assert problems_of(write(doc)) == (
        "focus.why: unknown field (allowed here: block, lag_finding, rationale)",
        "focus.block: 'Citizens' is not valid: use lower-case letters, digits and underscores, "
        "starting with a letter (ids become column names)",
    )


@pytest.mark.parametrize(
    ("focus", "expected"),
    [
        ("citizens", "focus: expected mapping, got string"),
        ({"rationale": {"en": "Why."}}, "focus.block: required field is missing"),
        (
            {"block": "citizens", "lag_finding": "Lags"},
            "focus.lag_finding: expected mapping, got string",
        ),
    ],
)
def test_focus_must_be_a_mapping_naming_a_block(
    doc: dict[str, Any], write: Writer, focus: object, expected: str
) -> None:
    doc["focus"] = focus
    assert problems_of(write(doc)) == (expected,)


def test_meaning_is_not_checked_when_structure_fails(doc: dict[str, Any], write: Writer) -> None:
    doc["version"] = "1.0"  # a meaning problem
    del doc["levels"]  # a structure problem
    assert problems_of(write(doc)) == ("levels: required field is missing",)


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        ("", "the file is empty"),
        ("- a\n- b\n", "the file must hold a mapping of fields (id, version, ...), not a list"),
        ("just text\n", "the file must hold a mapping of fields (id, version, ...), not a string"),
    ],
)
def test_not_a_mapping(tmp_path: Path, content: str, expected: str) -> None:
    path = tmp_path / "cri-bad.yaml"
    path.write_text(content)
    assert problems_of(path) == (expected,)


def test_yaml_syntax_error_names_line_and_column(tmp_path: Path) -> None:
    lines = (data_dir() / "cri-1.0.0.yaml").read_text().splitlines()
    at = lines.index("  - id: behaviours")
    lines[at + 1] = "    title: {en: Behaviours"  # unclosed flow mapping
    path = tmp_path / "cri-bad.yaml"
    path.write_text("\n".join(lines))
    (found,) = problems_of(path)
    # libyaml notices the unclosed mapping on the next line
    assert re.match(rf"line {at + 3}, column \d+: YAML syntax error: did not find expected", found)


def test_yaml_tab_indentation(tmp_path: Path) -> None:
    path = tmp_path / "cri-bad.yaml"
    path.write_text("id: cri\nversion: 1.0.0\nlanguages:\n\t- en\n")
    (found,) = problems_of(path)
    assert found.startswith("line 4, column 1: YAML syntax error: ")
    assert found.endswith("; tabs are not allowed for indentation, use spaces")


def test_yaml_duplicate_key(tmp_path: Path) -> None:
    text = (data_dir() / "cri-1.0.0.yaml").read_text()
    lines = text.splitlines()
    at = lines.index("  - id: places")
    lines.insert(at + 1, "    id: place")
    path = tmp_path / "cri-bad.yaml"
    path.write_text("\n".join(lines))
    assert problems_of(path) == (f"line {at + 2}, column 5: YAML syntax error: duplicate key 'id'",)


def test_json_syntax_error(tmp_path: Path) -> None:
    path = tmp_path / "cri.json"
    path.write_text('{\n  "id": "cri",\n  "version": 1.0.0\n}\n')
    (found,) = problems_of(path)
    assert found.startswith("line 3, column 17: JSON syntax error: ")


def test_missing_file(tmp_path: Path) -> None:
    path = tmp_path / "cri-9.0.0.yaml"
    with pytest.raises(InstrumentNotFoundError) as info:
        load_instrument(path=path)
    assert str(info.value) == f"cri-9.0.0.yaml: no such file: {path}"


def test_unsupported_suffix(tmp_path: Path) -> None:
    path = tmp_path / "cri.txt"
    path.write_text("id: cri\n")
    assert problems_of(path) == ("unsupported file type '.txt': use .yaml, .yml or .json",)


def test_not_utf8(tmp_path: Path) -> None:
    path = tmp_path / "cri.yaml"
    path.write_bytes(b"id: cri\ntitle: {en: caf\xe9}\n")
    assert problems_of(path) == ("line 2: not valid UTF-8 text (byte 23); save the file as UTF-8",)


def test_version_and_path_together_is_a_programming_error(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="not both"):
        load_instrument("1.0.0", path=tmp_path / "x.yaml")


def test_instrument_error_is_a_user_error() -> None:
    from collabready.errors import UserError

    assert issubclass(InstrumentError, UserError)
