"""Small instruments built in code, for tests that need exact control of the structure.

:func:`make_instrument` is the one factory: the structure (blocks, items, sections,
profile questions, scales) comes from its arguments, every text from a
:class:`Wording`: :data:`PLAIN` (short English placeholders, the default) or
:data:`BILINGUAL` (English and Welsh sentences, as the web tests show them).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from collabready.instrument.model import (
    Block,
    Choice,
    Dimension,
    Focus,
    Instrument,
    Item,
    Level,
    OpenQuestion,
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
ENABLER_FACETS = ("leaders", "incentives", "tools_skills", "time_resources")
#: The environment section's items: id and facet.
ENVIRONMENT_ITEMS = (
    ("env_help_1", "helps"),
    ("env_help_2", "helps"),
    ("env_hinder_1", "hinders"),
    ("env_hinder_2", "hinders"),
)
#: Levels of the index: id, lower and upper bound.
LEVELS = (
    ("emerging", 0, 40),
    ("developing", 40, 55),
    ("established", 55, 70),
    ("leading", 70, 100),
)
#: Scales an instrument may define, by id: their number of points.
SCALE_POINTS = {"agree5": 5, "agree4": 4, "agree7": 7}


def t(s: str) -> Text:
    return Text({"en": s})


class Wording:
    """Every text of a test instrument: short English placeholders.

    Each method words one kind of text; :class:`BilingualWording` words them all
    in English and Welsh.
    """

    languages: tuple[str, ...] = ("en",)

    def text(self, en: str, cy: str | None = None) -> Text:
        del cy
        return t(en)

    def title(self) -> Text:
        return self.text("Test")

    def introduction(self) -> Text:
        return self.text("")

    def scale_options(self, scale_id: str) -> tuple[Text, ...]:
        if scale_id == "agree5":
            labels = ["Strongly disagree", "Disagree", "Neither", "Agree", "Strongly agree"]
            return tuple(self.text(x) for x in labels)
        return tuple(self.text(f"{i + 1}") for i in range(SCALE_POINTS[scale_id]))

    def dont_know(self) -> Text:
        return self.text("Don't know")

    def block_title(self, block: str) -> Text:
        return self.text(block.title())

    def block_description(self, block: str) -> Text:
        del block
        return self.text("")

    def guidance(self, block: str) -> tuple[Text, ...]:
        del block
        return (self.text("Do something"),)

    def short_label(self, block: str) -> Text:
        return self.text(block[:3])

    def item(self, item_id: str, *, block: str, dimension: Dimension, n: int) -> Text:
        del block, dimension, n
        return self.text(item_id)

    def section_title(self, kind: SectionKind) -> Text:
        return self.text(
            {
                SectionKind.ENABLERS: "Enablers",
                SectionKind.ENVIRONMENT: "Environment",
                SectionKind.OUTCOMES: "Outcomes",
            }[kind]
        )

    def section_description(self, kind: SectionKind) -> Text:
        del kind
        return self.text("")

    def section_item(self, item_id: str, *, facet: str | None, n: int) -> Text:
        if item_id.startswith("enb_"):
            return self.text(str(facet))
        if item_id.startswith("env_"):
            return self.text(f"{'h' if facet == 'helps' else 'x'}{item_id[-1]}")
        return self.text(f"o{n}")

    def profile_question(self, question: str) -> Text:
        return self.text(question.title())

    def choice(self, question: str, value: str) -> Text:
        del question
        return self.text(value)

    def level(self, level: str) -> tuple[Text, Text]:
        """A level's label and description."""
        return self.text(level.title()), self.text("")


#: Block names in English and Welsh.
BLOCK_NAMES = {
    "citizens": ("Citizens", "Dinasyddion"),
    "behaviours": ("Behaviours", "Ymddygiadau"),
    "systems": ("Systems", "Systemau"),
    "services": ("Services", "Gwasanaethau"),
    "places": ("Places", "Lleoedd"),
    "markets": ("Markets", "Marchnadoedd"),
}
#: Profile questions and their choices' labels in English and Welsh.
PROFILE_TEXTS: dict[str, tuple[tuple[str, str], dict[str, tuple[str, str]]]] = {
    "sector": (
        ("Which sector is your organisation in?", "Ym mha sector mae eich sefydliad?"),
        {
            "public": ("Public", "Cyhoeddus"),
            "private": ("Private", "Preifat"),
            "third": ("Third sector", "Trydydd sector"),
        },
    ),
    "role": (
        ("What is your role?", "Beth yw eich rôl?"),
        {
            "chief_executive": ("Chief executive", "Prif weithredwr"),
            "director": ("Director", "Cyfarwyddwr"),
            "senior_manager": ("Senior manager", "Uwch reolwr"),
            "other": ("Other", "Arall"),
        },
    ),
    "size": (
        ("How many staff does your organisation have?", "Faint o staff sydd gan eich sefydliad?"),
        {
            "small": ("Fewer than 50 staff", "Llai na 50 o staff"),
            "medium": ("50 to 249 staff", "50 i 249 o staff"),
            "large": ("250 to 999 staff", "250 i 999 o staff"),
            "very_large": ("1,000 staff or more", "1,000 o staff neu fwy"),
        },
    ),
}


class BilingualWording(Wording):
    """Every text in English and Welsh (a Welsh text not written here is ``"<English> (cy)"``)."""

    languages = ("en", "cy")

    def text(self, en: str, cy: str | None = None) -> Text:
        return Text({"en": en, "cy": cy if cy is not None else f"{en} (cy)"})

    def title(self) -> Text:
        return self.text(
            "Collaboration Readiness Index (test)", "Mynegai Parodrwydd i Gydweithio (prawf)"
        )

    def introduction(self) -> Text:
        return self.text(
            "This survey asks how ready your organisation is to collaborate.",
            "Mae'r arolwg hwn yn gofyn pa mor barod yw eich sefydliad i gydweithio.",
        )

    def scale_options(self, scale_id: str) -> tuple[Text, ...]:
        if scale_id != "agree5":
            return super().scale_options(scale_id)
        labels = [
            ("Strongly disagree", "Anghytuno'n gryf"),
            ("Disagree", "Anghytuno"),
            ("Neither agree nor disagree", "Ddim yn cytuno nac yn anghytuno"),
            ("Agree", "Cytuno"),
            ("Strongly agree", "Cytuno'n gryf"),
        ]
        return tuple(self.text(en, cy) for en, cy in labels)

    def dont_know(self) -> Text:
        return self.text("Don't know", "Ddim yn gwybod")

    @staticmethod
    def _name(block: str) -> tuple[str, str]:
        return BLOCK_NAMES.get(block, (block.title(), f"{block.title()} (cy)"))

    def block_title(self, block: str) -> Text:
        return self.text(*self._name(block))

    def block_description(self, block: str) -> Text:
        en, cy = self._name(block)
        return self.text(f"About {en.lower()}.", f"Am {cy.lower()}.")

    def guidance(self, block: str) -> tuple[Text, ...]:
        en, cy = self._name(block)
        return (
            self.text(
                f"Agree a shared plan for {en.lower()}.",
                f"Cytuno ar gynllun ar y cyd ar gyfer {cy.lower()}.",
            ),
            self.text(
                f"Review {en.lower()} with partners.", f"Adolygu {cy.lower()} gyda phartneriaid."
            ),
        )

    def short_label(self, block: str) -> Text:
        en, cy = self._name(block)
        return self.text(en[:3].lower(), cy[:3].lower())

    def item(self, item_id: str, *, block: str, dimension: Dimension, n: int) -> Text:
        del item_id
        en, cy = self._name(block)
        if dimension is Dimension.COMMITMENT:
            stem_en, stem_cy = "We intend to", "Rydym yn bwriadu"
        else:
            stem_en, stem_cy = "We are able to", "Rydym yn gallu"
        return self.text(
            f"{stem_en} work with others on {en.lower()} ({n}).",
            f"{stem_cy} gydweithio ar {cy.lower()} ({n}).",
        )

    def section_title(self, kind: SectionKind) -> Text:
        return self.text(
            *{
                SectionKind.ENABLERS: ("Enablers", "Galluogwyr"),
                SectionKind.ENVIRONMENT: ("Operating environment", "Amgylchedd gweithredu"),
                SectionKind.OUTCOMES: ("Outcomes of collaboration", "Canlyniadau cydweithio"),
            }[kind]
        )

    def section_description(self, kind: SectionKind) -> Text:
        return self.text(
            *{
                SectionKind.ENABLERS: (
                    "What helps your staff to collaborate.",
                    "Beth sy'n helpu eich staff i gydweithio.",
                ),
                SectionKind.ENVIRONMENT: (
                    "What around you helps or hinders.",
                    "Beth o'ch cwmpas sy'n helpu neu'n rhwystro.",
                ),
                SectionKind.OUTCOMES: (
                    "What collaboration has achieved.",
                    "Beth mae cydweithio wedi'i gyflawni.",
                ),
            }[kind]
        )

    def section_item(self, item_id: str, *, facet: str | None, n: int) -> Text:
        if item_id.startswith("enb_"):
            assert facet is not None
            return self.text(f"Staff have {facet.replace('_', ' ')}.", f"Mae gan staff {facet}.")
        environment = {
            "env_help_1": ("Regulation helps us.", "Mae rheoleiddio'n ein helpu."),
            "env_help_2": ("Funding helps us.", "Mae cyllid yn ein helpu."),
            "env_hinder_1": ("Accountability hinders us.", "Mae atebolrwydd yn ein rhwystro."),
            "env_hinder_2": ("Targets hinder us.", "Mae targedau'n ein rhwystro."),
        }
        if item_id in environment:
            return self.text(*environment[item_id])
        return self.text(
            f"Collaboration has improved outcome {n}.", f"Mae cydweithio wedi gwella canlyniad {n}."
        )

    def profile_question(self, question: str) -> Text:
        if question not in PROFILE_TEXTS:
            return super().profile_question(question)
        return self.text(*PROFILE_TEXTS[question][0])

    def choice(self, question: str, value: str) -> Text:
        labels = PROFILE_TEXTS.get(question, ((), {}))[1]
        if value not in labels:
            return super().choice(question, value)
        return self.text(*labels[value])

    def level(self, level: str) -> tuple[Text, Text]:
        label, description = {
            "emerging": (
                ("Emerging", "Yn datblygu'n gynnar"),
                ("Collaboration is at an early stage.", "Mae cydweithio ar gam cynnar."),
            ),
            "developing": (
                ("Developing", "Yn datblygu"),
                ("Some foundations are in place.", "Mae rhai sylfeini yn eu lle."),
            ),
            "established": (
                ("Established", "Wedi ymsefydlu"),
                ("Collaboration is established.", "Mae cydweithio wedi ymsefydlu."),
            ),
            "leading": (
                ("Leading", "Yn arwain"),
                ("A leader in collaboration.", "Arweinydd mewn cydweithio."),
            ),
        }[level]
        return self.text(*label), self.text(*description)


PLAIN = Wording()
BILINGUAL = BilingualWording()


def make_scale(scale_id: str, wording: Wording = PLAIN) -> Scale:
    return Scale(
        id=scale_id,
        options=tuple(
            ScaleOption(code=i + 1, label=label)
            for i, label in enumerate(wording.scale_options(scale_id))
        ),
        dont_know=ScaleOption(code=8, label=wording.dont_know()),
    )


def make_instrument(
    *,
    items_per_subscale: int = 5,
    reverse: frozenset[str] = frozenset(),
    blocks: tuple[str, ...] = BLOCKS,
    with_sections: bool = True,
    outcome_items: int = 4,
    min_blocks_for_index: int = 4,
    item_scales: Mapping[str, str] | None = None,
    interleave: bool = False,
    focus: str | None = None,
    profile: Sequence[str] = tuple(PROFILE),
    scales: Sequence[str] = ("agree5", "agree4", "agree7"),
    open_questions: Sequence[OpenQuestion] = (),
    wording: Wording = PLAIN,
    instrument_id: str = "test",
    version: str = "0.0.1",
    estimated_minutes: int = 1,
) -> Instrument:
    """An instrument with ``items_per_subscale`` commitment and capacity items per block.

    Item ids are ``{block}_{com|cap}_{n}``; ids in ``reverse`` are reverse-coded.
    Items are on the ``agree5`` scale unless ``item_scales`` names another
    (``agree4`` or ``agree7``, among ``scales``). With ``interleave``, each block's
    commitment and capacity items alternate, so no subscale's columns are
    contiguous. With sections: four enablers, four environment and
    ``outcome_items`` outcome statements. ``focus`` names the block the
    national report singles out (none by default). ``profile`` names the profile
    questions asked, from :data:`PROFILE`. Every text comes from ``wording`` (its
    languages are the instrument's): in :data:`PLAIN`, each block's short label is
    the first three letters of its id and each item's text is its id.
    """
    item_scales = item_scales or {}
    built = []
    for b in blocks:
        items = []
        for dim, tag in ((Dimension.COMMITMENT, "com"), (Dimension.CAPACITY, "cap")):
            for n in range(1, items_per_subscale + 1):
                iid = f"{b}_{tag}_{n}"
                items.append(
                    Item(
                        iid,
                        wording.item(iid, block=b, dimension=dim, n=n),
                        item_scales.get(iid, "agree5"),
                        iid in reverse,
                        dimension=dim,
                        block=b,
                    )
                )
        if interleave:
            half = len(items) // 2
            items = [x for pair in zip(items[:half], items[half:], strict=True) for x in pair]
        built.append(
            Block(
                b,
                wording.block_title(b),
                wording.block_description(b),
                tuple(items),
                wording.guidance(b),
                wording.short_label(b),
            )
        )
    sections: list[Section] = []
    if with_sections:

        def section(kind: SectionKind, items: Sequence[tuple[str, str | None]]) -> Section:
            return Section(
                str(kind),
                kind,
                wording.section_title(kind),
                wording.section_description(kind),
                tuple(
                    Item(
                        iid,
                        wording.section_item(iid, facet=facet, n=n),
                        "agree5",
                        facet=facet,
                        section=str(kind),
                    )
                    for n, (iid, facet) in enumerate(items, start=1)
                ),
            )

        sections = [
            section(SectionKind.ENABLERS, [(f"enb_{f}_1", f) for f in ENABLER_FACETS]),
            section(SectionKind.ENVIRONMENT, ENVIRONMENT_ITEMS),
            section(
                SectionKind.OUTCOMES, [(f"out_{n}", None) for n in range(1, outcome_items + 1)]
            ),
        ]
    return Instrument(
        id=instrument_id,
        version=version,
        title=wording.title(),
        introduction=wording.introduction(),
        languages=wording.languages,
        estimated_minutes=estimated_minutes,
        scales=tuple(make_scale(s, wording) for s in scales),
        profile=tuple(
            ProfileQuestion(
                qid,
                wording.profile_question(qid),
                QuestionType.SINGLE_CHOICE,
                tuple(Choice(i + 1, v, wording.choice(qid, v)) for i, v in enumerate(PROFILE[qid])),
            )
            for qid in profile
        ),
        blocks=tuple(built),
        sections=tuple(sections),
        open_questions=tuple(open_questions),
        levels=tuple(Level(lid, lower, upper, *wording.level(lid)) for lid, lower, upper in LEVELS),
        min_blocks_for_index=min_blocks_for_index,
        focus=Focus(focus) if focus is not None else None,
    )
