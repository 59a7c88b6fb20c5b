"""Stage 2: each meaning check catches a corrupted copy, naming the path and the problem."""

from __future__ import annotations

import json
from typing import Any

import pytest
import yaml

from collabready.instrument import InstrumentError, load_instrument
from collabready.instrument.checks import iter_texts
from collabready.instrument.loader import MAX_PROBLEMS, data_dir

from .conftest import Writer, problems_of


def test_unmodified_copy_is_valid(doc: dict[str, Any], write: Writer) -> None:
    ins = load_instrument(path=write(doc, "cri-1.0.0.yaml"))
    assert ins.key == "cri@1.0.0"


def test_json_copy_is_valid(doc: dict[str, Any], write: Writer) -> None:
    path = write(doc, "copy.json")
    path.write_text(json.dumps(doc))
    assert load_instrument(path=path).item_ids == load_instrument("1.0.0").item_ids


def test_unknown_scale(doc: dict[str, Any], write: Writer) -> None:
    doc["blocks"][2]["items"][5]["scale"] = "agree7"
    path = write(doc)
    with pytest.raises(InstrumentError) as info:
        load_instrument(path=path)
    assert str(info.value) == (
        "cri-bad.yaml: blocks[2].items[5].scale: unknown scale 'agree7' (defined: agree5)"
    )


def test_duplicate_item_id_across_blocks(doc: dict[str, Any], write: Writer) -> None:
    doc["blocks"][3]["items"][0]["id"] = "cit_com_1"
    assert problems_of(write(doc)) == (
        "blocks[3].items[0].id: duplicate item or question id 'cit_com_1' "
        "(first at blocks[0].items[0].id)",
    )


def test_item_id_clashing_with_a_question_id(doc: dict[str, Any], write: Writer) -> None:
    doc["open_questions"][0]["id"] = "out_1"
    assert problems_of(write(doc)) == (
        "open_questions[0].id: duplicate item or question id 'out_1' "
        "(first at sections[2].items[0].id)",
    )


def test_duplicate_block_and_section_ids(doc: dict[str, Any], write: Writer) -> None:
    doc["blocks"][1]["id"] = "citizens"
    doc["sections"][1]["id"] = "enablers"
    assert problems_of(write(doc)) == (
        "blocks[1].id: duplicate block or section id 'citizens' (first at blocks[0].id)",
        "sections[1].id: duplicate block or section id 'enablers' (first at sections[0].id)",
    )


def test_duplicate_scale_and_level_ids(doc: dict[str, Any], write: Writer) -> None:
    doc["scales"].append(doc["scales"][0])
    doc["levels"][1]["id"] = "emerging"
    assert problems_of(write(doc)) == (
        "scales[1].id: duplicate scale id 'agree5' (first at scales[0].id)",
        "levels[1].id: duplicate level id 'emerging' (first at levels[0].id)",
    )


def test_duplicate_choice_code_and_value(doc: dict[str, Any], write: Writer) -> None:
    doc["profile"][4]["choices"][11]["code"] = 1
    doc["profile"][2]["choices"][3]["value"] = "director"
    assert problems_of(write(doc)) == (
        "profile[2].choices[3].value: duplicate choice value 'director' "
        "(first at profile[2].choices[1].value)",
        "profile[4].choices[11].code: duplicate choice code 1 "
        "(first at profile[4].choices[0].code)",
    )


def test_duplicate_short_labels(doc: dict[str, Any], write: Writer) -> None:
    doc["blocks"][3]["short_label"] = {"en": "cit"}
    doc["blocks"][5]["short_label"] = {"en": "cit"}
    assert problems_of(write(doc)) == (
        "blocks[3].short_label.en: duplicate short label 'cit' (first at blocks[0].short_label.en)",
        "blocks[5].short_label.en: duplicate short label 'cit' (first at blocks[0].short_label.en)",
    )


def test_short_labels_are_unique_in_each_language(write: Writer) -> None:
    welsh = yaml.safe_load((data_dir() / "cri-1.1.0.yaml").read_text())
    welsh["blocks"][4]["short_label"]["cy"] = "din"  # the English ones still differ
    assert problems_of(write(welsh, "cri-1.1.0.yaml")) == (
        "blocks[4].short_label.cy: duplicate short label 'din' (first at blocks[0].short_label.cy)",
    )


def test_focus_naming_an_unknown_block(doc: dict[str, Any], write: Writer) -> None:
    doc["focus"]["block"] = "citizen"
    assert problems_of(write(doc)) == (
        "focus.block: unknown block 'citizen' "
        "(blocks: citizens, behaviours, systems, services, places, markets)",
    )


def test_focus_naming_a_section_is_not_a_block(doc: dict[str, Any], write: Writer) -> None:
    doc["focus"]["block"] = "enablers"
    (found,) = problems_of(write(doc))
    assert found.startswith("focus.block: unknown block 'enablers' (blocks: citizens, ")


def test_focus_texts_need_every_language(doc: dict[str, Any], write: Writer) -> None:
    doc["focus"]["lag_finding"] = {"en": "Lags", "cy": "Ar ei hôl hi"}
    assert problems_of(write(doc)) == (
        "focus.lag_finding: language 'cy' is not declared in languages (en)",
    )


def test_focus_and_its_texts_are_optional(doc: dict[str, Any], write: Writer) -> None:
    doc["focus"] = {"block": "markets"}
    ins = load_instrument(path=write(doc, "cri-1.0.0.yaml"))
    assert ins.focus is not None
    assert (ins.focus.block, ins.focus.rationale, ins.focus.lag_finding) == ("markets", None, None)
    del doc["focus"]
    assert load_instrument(path=write(doc, "cri-1.0.0.yaml")).focus is None


def test_block_with_too_few_items(doc: dict[str, Any], write: Writer) -> None:
    items = doc["blocks"][4]["items"]
    doc["blocks"][4]["items"] = [i for i in items if i["id"] not in ("pla_cap_1", "pla_cap_2")]
    assert problems_of(write(doc)) == (
        "blocks[4].items: block 'places' has 3 capacity items, at least 4 are needed",
    )


def test_four_items_per_subscale_are_enough(doc: dict[str, Any], write: Writer) -> None:
    for block in doc["blocks"]:
        block["items"] = [i for i in block["items"] if not i["id"].endswith("_5")]
    ins = load_instrument(path=write(doc))
    assert sum(len(b.items) for b in ins.blocks) == 48


def test_min_blocks_for_index_above_block_count(doc: dict[str, Any], write: Writer) -> None:
    doc["min_blocks_for_index"] = 7
    assert problems_of(write(doc)) == ("min_blocks_for_index: is 7, but there are only 6 blocks",)


def test_missing_language_is_reported_for_every_text(doc: dict[str, Any], write: Writer) -> None:
    doc["languages"] = ["en", "cy"]
    doc["title"]["cy"] = "Mynegai Parodrwydd i Gydweithio"
    n_texts = sum(1 for _ in iter_texts(doc))
    found = problems_of(write(doc))
    assert found[:3] == (
        "introduction: missing language 'cy'",
        "item_prompt: missing language 'cy'",
        "scales[0].options[0].label: missing language 'cy'",
    )
    assert len(found) == MAX_PROBLEMS + 1
    assert found[-1] == f"... and {n_texts - 1 - MAX_PROBLEMS} more problems not shown"


def test_undeclared_language(doc: dict[str, Any], write: Writer) -> None:
    doc["blocks"][1]["guidance"][2]["fr"] = "Demandez aux dirigeants ..."
    assert problems_of(write(doc)) == (
        "blocks[1].guidance[2]: language 'fr' is not declared in languages (en)",
    )


@pytest.mark.parametrize("version", ["1.0", "v1.0.0", "01.0.0", "1.0.0-beta", "1.0.0.0"])
def test_invalid_version(doc: dict[str, Any], write: Writer, version: str) -> None:
    doc["version"] = version
    assert problems_of(write(doc)) == (
        f"version: {version!r} is not MAJOR.MINOR.PATCH (for example '1.0.0')",
    )


def test_version_disagreeing_with_file_name(doc: dict[str, Any], write: Writer) -> None:
    doc["version"] = "1.0.1"
    assert problems_of(write(doc, "cri-1.0.0.yaml")) == (
        "version: '1.0.1' disagrees with the file name, which says '1.0.0': "
        "a new version must be a new file",
    )


def test_id_disagreeing_with_file_name(doc: dict[str, Any], write: Writer) -> None:
    assert problems_of(write(doc, "cri2-1.0.0.yaml")) == (
        "id: 'cri' disagrees with the file name, which says 'cri2'",
    )


def test_scale_codes_must_run_from_one(doc: dict[str, Any], write: Writer) -> None:
    doc["scales"][0]["options"][0]["code"] = 7
    doc["scales"][0]["dont_know"]["code"] = 99
    assert problems_of(write(doc)) == (
        "scales[0].options[0].code: is 7, expected 1: "
        "options are coded 1, 2, ... from the lowest up",
        "scales[0].dont_know.code: is 99, must be 8",
    )


def test_environment_items_need_helps_or_hinders(doc: dict[str, Any], write: Writer) -> None:
    doc["sections"][1]["items"][4]["facet"] = "blocks"
    del doc["sections"][1]["items"][0]["facet"]
    need = "environment items need facet 'helps' or 'hinders'"
    assert problems_of(write(doc)) == (
        f"sections[1].items[0].facet: is None; {need}",
        f"sections[1].items[4].facet: is 'blocks'; {need}",
    )


def test_level_gap(doc: dict[str, Any], write: Writer) -> None:
    doc["levels"][2]["lower"] = 60
    assert problems_of(write(doc)) == (
        "levels[2].lower: leaves a gap: levels[1] ends at 55, this band starts at 60",
    )


def test_level_overlap(doc: dict[str, Any], write: Writer) -> None:
    doc["levels"][1]["upper"] = 58
    assert problems_of(write(doc)) == (
        "levels[2].lower: overlaps: levels[1] ends at 58, this band starts at 55",
    )


def test_levels_must_span_0_to_100(doc: dict[str, Any], write: Writer) -> None:
    doc["levels"][0]["lower"] = 10
    doc["levels"][3]["upper"] = 90
    assert problems_of(write(doc)) == (
        "levels[0].lower: is 10: the first band must start at 0",
        "levels[3].upper: is 90: the last band must end at 100",
    )


def test_empty_level_band(doc: dict[str, Any], write: Writer) -> None:
    doc["levels"][1]["upper"] = 40
    doc["levels"][2]["lower"] = 40
    assert problems_of(write(doc)) == ("levels[1]: lower (40) must be below upper (40)",)


def test_all_problems_reported_at_once_with_a_summary(doc: dict[str, Any], write: Writer) -> None:
    doc["blocks"][2]["items"][5]["scale"] = "agree7"
    doc["version"] = "1.0"
    doc["levels"][2]["lower"] = 60
    path = write(doc)
    with pytest.raises(InstrumentError) as info:
        load_instrument(path=path)
    lines = str(info.value).splitlines()
    assert lines == [
        "cri-bad.yaml: 3 problems in the instrument file",
        "cri-bad.yaml: version: '1.0' is not MAJOR.MINOR.PATCH (for example '1.0.0')",
        "cri-bad.yaml: blocks[2].items[5].scale: unknown scale 'agree7' (defined: agree5)",
        "cri-bad.yaml: levels[2].lower: leaves a gap: levels[1] ends at 55, this band starts at 60",
    ]
    assert info.value.file == "cri-bad.yaml"
