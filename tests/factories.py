"""Small instruments built in code, for tests that need exact control of the structure."""

from __future__ import annotations

from collections.abc import Mapping

from collabready.instrument.model import (
    Block,
    Choice,
    Dimension,
    Focus,
    Instrument,
    Item,
    Level,
    ProfileQuestion,
    QuestionType,
    Scale,
    ScaleOption,
    Section,
    SectionKind,
    Text,
)
from collabready.synth.population import REGIONS, SECTORS, SIZES

PROFILE = {
    "sector": SECTORS,
    "subsector": (
        "health_care",
        "social_care",
        "local_government",
        "education",
        "transport",
        "infrastructure",
        "housing",
        "police_justice",
        "other",
    ),
    "role": ("chief_executive", "director", "senior_manager", "other"),
    "size": SIZES,
    "region": REGIONS,
}
BLOCKS = ("citizens", "behaviours", "systems", "services", "places", "markets")


def t(s: str) -> Text:
    return Text({"en": s})


def agree5() -> Scale:
    labels = ["Strongly disagree", "Disagree", "Neither", "Agree", "Strongly agree"]
    return Scale(
        id="agree5",
        options=tuple(ScaleOption(code=i + 1, label=t(x)) for i, x in enumerate(labels)),
        dont_know=ScaleOption(code=8, label=t("Don't know")),
    )


def agree_n(scale_id: str, points: int) -> Scale:
    return Scale(
        id=scale_id,
        options=tuple(ScaleOption(code=i + 1, label=t(f"{i + 1}")) for i in range(points)),
        dont_know=ScaleOption(code=8, label=t("Don't know")),
    )


def make_instrument(
    *,
    items_per_subscale: int = 5,
    reverse: frozenset[str] = frozenset(),
    blocks: tuple[str, ...] = BLOCKS,
    with_sections: bool = True,
    min_blocks_for_index: int = 4,
    item_scales: Mapping[str, str] | None = None,
    interleave: bool = False,
    focus: str | None = None,
) -> Instrument:
    """An instrument with ``items_per_subscale`` commitment and capacity items per block.

    Item ids are ``{block}_{com|cap}_{n}``; ids in ``reverse`` are reverse-coded.
    Items are on the ``agree5`` scale unless ``item_scales`` names another
    (``agree4`` or ``agree7``). With ``interleave``, each block's commitment and
    capacity items alternate, so no subscale's columns are contiguous.
    Each block's short label is the first three letters of its id. ``focus``
    names the block the national report singles out (none by default).
    """
    scales = item_scales or {}
    built = []
    for b in blocks:
        items = []
        for dim, tag in ((Dimension.COMMITMENT, "com"), (Dimension.CAPACITY, "cap")):
            for n in range(1, items_per_subscale + 1):
                iid = f"{b}_{tag}_{n}"
                scale = scales.get(iid, "agree5")
                items.append(Item(iid, t(iid), scale, iid in reverse, dimension=dim, block=b))
        if interleave:
            half = len(items) // 2
            items = [x for pair in zip(items[:half], items[half:], strict=True) for x in pair]
        built.append(Block(b, t(b.title()), t(""), tuple(items), (t("Do something"),), t(b[:3])))
    sections: list[Section] = []
    if with_sections:
        sections = [
            Section(
                "enablers",
                SectionKind.ENABLERS,
                t("Enablers"),
                t(""),
                tuple(
                    Item(f"enb_{f}_1", t(f), "agree5", facet=f, section="enablers")
                    for f in ("leaders", "incentives", "tools_skills", "time_resources")
                ),
            ),
            Section(
                "environment",
                SectionKind.ENVIRONMENT,
                t("Environment"),
                t(""),
                (
                    Item("env_help_1", t("h1"), "agree5", facet="helps", section="environment"),
                    Item("env_help_2", t("h2"), "agree5", facet="helps", section="environment"),
                    Item("env_hinder_1", t("x1"), "agree5", facet="hinders", section="environment"),
                    Item("env_hinder_2", t("x2"), "agree5", facet="hinders", section="environment"),
                ),
            ),
            Section(
                "outcomes",
                SectionKind.OUTCOMES,
                t("Outcomes"),
                t(""),
                tuple(
                    Item(f"out_{n}", t(f"o{n}"), "agree5", section="outcomes") for n in range(1, 5)
                ),
            ),
        ]
    return Instrument(
        id="test",
        version="0.0.1",
        title=t("Test"),
        introduction=t(""),
        languages=("en",),
        estimated_minutes=1,
        scales=(agree5(), agree_n("agree4", 4), agree_n("agree7", 7)),
        profile=tuple(
            ProfileQuestion(
                qid,
                t(qid.title()),
                QuestionType.SINGLE_CHOICE,
                tuple(Choice(i + 1, v, t(v)) for i, v in enumerate(values)),
            )
            for qid, values in PROFILE.items()
        ),
        blocks=tuple(built),
        sections=tuple(sections),
        open_questions=(),
        levels=(
            Level("emerging", 0, 40, t("Emerging"), t("")),
            Level("developing", 40, 55, t("Developing"), t("")),
            Level("established", 55, 70, t("Established"), t("")),
            Level("leading", 70, 100, t("Leading"), t("")),
        ),
        min_blocks_for_index=min_blocks_for_index,
        focus=Focus(focus) if focus is not None else None,
    )
