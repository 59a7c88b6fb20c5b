"""The bundled CRI versions load, validate and never change once published."""

from __future__ import annotations

import json

import pytest
from jsonschema import Draft202012Validator

from collabready.instrument import (
    DONT_KNOW,
    Dimension,
    InstrumentNotFoundError,
    SectionKind,
    available_versions,
    latest_version,
    load_instrument,
)
from collabready.instrument.loader import data_dir, file_sha256, published_hashes
from collabready.instrument.structure import schema

BLOCKS = ("citizens", "behaviours", "systems", "services", "places", "markets")
PREFIX = {"citizens": "cit", "behaviours": "beh", "systems": "sys", "services": "ser",
          "places": "pla", "markets": "mar"}  # fmt: skip

PROFILE = {
    "sector": ["public", "private", "third"],
    "subsector": [
        "health_care", "social_care", "local_government", "education", "transport",
        "infrastructure", "housing", "police_justice", "other",
    ],
    "role": ["chief_executive", "director", "senior_manager", "other"],
    "size": ["small", "medium", "large", "very_large"],
    "region": [
        "north_east", "north_west", "yorkshire_humber", "east_midlands", "west_midlands",
        "east_of_england", "london", "south_east", "south_west", "wales", "scotland",
        "northern_ireland",
    ],
}  # fmt: skip


def test_schema_is_a_valid_draft_2020_12_schema() -> None:
    Draft202012Validator.check_schema(schema())


def test_versions_are_listed_oldest_first_and_latest_is_default() -> None:
    versions = available_versions()
    assert versions[0] == "1.0.0"
    assert latest_version() == versions[-1]
    assert load_instrument().version == versions[-1]


@pytest.mark.parametrize("version", available_versions())
def test_bundled_version_has_the_cri_shape(version: str) -> None:
    ins = load_instrument(version)
    assert ins.key == f"cri@{version}"
    assert ins.block_ids == BLOCKS
    assert ins.estimated_minutes == 15
    assert ins.min_blocks_for_index == 4
    for block in ins.blocks:
        for dim, tag in ((Dimension.COMMITMENT, "com"), (Dimension.CAPACITY, "cap")):
            ids = [i.id for i in block.items_for(dim)]
            assert ids == [f"{PREFIX[block.id]}_{tag}_{n}" for n in range(1, 6)]
        assert any(i.reverse for i in block.items), block.id
        assert 2 <= len(block.guidance) <= 4
        assert all(i.block == block.id for i in block.items)
    assert sum(len(b.items) for b in ins.blocks) == 60
    assert [b.short_label.get() for b in ins.blocks] == [PREFIX[b] for b in BLOCKS]
    assert ins.focus is not None
    assert ins.focus.block == "citizens"
    scale = ins.scale("agree5")
    assert [o.code for o in scale.options] == [1, 2, 3, 4, 5]
    assert scale.options[0].label.get("en") == "Strongly disagree"
    assert scale.dont_know is not None
    assert scale.dont_know.code == DONT_KNOW
    assert {q.id: [c.value for c in q.choices] for q in ins.profile} == PROFILE
    kinds = {s.kind: s for s in ins.sections}
    assert set(kinds) == set(SectionKind)
    enabler_facets = {i.facet for i in kinds[SectionKind.ENABLERS].items}
    assert enabler_facets == {"leaders", "incentives", "tools_skills", "time_resources"}
    assert {i.facet for i in kinds[SectionKind.ENVIRONMENT].items} == {"helps", "hinders"}
    assert len(kinds[SectionKind.OUTCOMES].items) >= 5
    assert ins.open_questions[0].id == "open_improve"
    assert [lv.id for lv in ins.levels] == ["emerging", "developing", "established", "leading"]
    assert ins.level_for(39.9) is ins.levels[0]
    assert ins.level_for(100.0) is ins.levels[-1]


def test_bundled_versions_are_cached_and_shared() -> None:
    assert load_instrument("1.0.0") is load_instrument("1.0.0")


def test_unknown_bundled_version_names_the_available_ones() -> None:
    with pytest.raises(InstrumentNotFoundError) as info:
        load_instrument("9.9.9")
    assert str(info.value) == (
        f"cri@9.9.9: no bundled instrument version '9.9.9' "
        f"(available: {', '.join(available_versions())})"
    )


def test_every_bundled_version_is_registered_as_published() -> None:
    registered = published_hashes()
    assert sorted(registered) == sorted(f"cri-{v}.yaml" for v in available_versions())


@pytest.mark.parametrize("name", sorted(published_hashes()))
def test_published_file_never_changes(name: str) -> None:
    """A published version is frozen: change the questionnaire in a new version file."""
    path = data_dir() / name
    assert path.is_file(), f"published instrument {name} was removed"
    assert file_sha256(path) == published_hashes()[name], (
        f"{name} was published and must never change; write a new version file instead"
    )


def test_registry_is_well_formed() -> None:
    raw = json.loads((data_dir() / "PUBLISHED.json").read_text(encoding="utf-8"))
    assert all(len(h) == 64 and int(h, 16) >= 0 for h in raw.values())
