"""A small instrument in English and Welsh for the web tests (2+2 items per block)."""

from __future__ import annotations

from collabready.instrument import (
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

BLOCKS = {
    "citizens": ("Citizens", "Dinasyddion"),
    "behaviours": ("Behaviours", "Ymddygiadau"),
    "systems": ("Systems", "Systemau"),
    "services": ("Services", "Gwasanaethau"),
    "places": ("Places", "Lleoedd"),
    "markets": ("Markets", "Marchnadoedd"),
}
PROFILE = {
    "sector": (
        ("public", "Public", "Cyhoeddus"),
        ("private", "Private", "Preifat"),
        ("third", "Third sector", "Trydydd sector"),
    ),
    "role": (
        ("chief_executive", "Chief executive", "Prif weithredwr"),
        ("director", "Director", "Cyfarwyddwr"),
        ("senior_manager", "Senior manager", "Uwch reolwr"),
        ("other", "Other", "Arall"),
    ),
    "size": (
        ("small", "Fewer than 50 staff", "Llai na 50 o staff"),
        ("medium", "50 to 249 staff", "50 i 249 o staff"),
        ("large", "250 to 999 staff", "250 i 999 o staff"),
        ("very_large", "1,000 staff or more", "1,000 o staff neu fwy"),
    ),
}


def tx(en: str, cy: str | None = None) -> Text:
    return Text({"en": en, "cy": cy if cy is not None else f"{en} (cy)"})


def agree5() -> Scale:
    labels = [
        ("Strongly disagree", "Anghytuno'n gryf"),
        ("Disagree", "Anghytuno"),
        ("Neither agree nor disagree", "Ddim yn cytuno nac yn anghytuno"),
        ("Agree", "Cytuno"),
        ("Strongly agree", "Cytuno'n gryf"),
    ]
    return Scale(
        id="agree5",
        options=tuple(ScaleOption(i + 1, tx(en, cy)) for i, (en, cy) in enumerate(labels)),
        dont_know=ScaleOption(8, tx("Don't know", "Ddim yn gwybod")),
    )


def web_instrument(*, version: str = "0.0.1") -> Instrument:
    blocks = []
    for block_id, (en, cy) in BLOCKS.items():
        items = []
        for dim, tag, en_text, cy_text in (
            (Dimension.COMMITMENT, "com", "We intend to", "Rydym yn bwriadu"),
            (Dimension.CAPACITY, "cap", "We are able to", "Rydym yn gallu"),
        ):
            for n in (1, 2):
                iid = f"{block_id}_{tag}_{n}"
                items.append(
                    Item(
                        iid,
                        tx(
                            f"{en_text} work with others on {en.lower()} ({n}).",
                            f"{cy_text} gydweithio ar {cy.lower()} ({n}).",
                        ),
                        "agree5",
                        dimension=dim,
                        block=block_id,
                    )
                )
        blocks.append(
            Block(
                block_id,
                tx(en, cy),
                tx(f"About {en.lower()}.", f"Am {cy.lower()}."),
                tuple(items),
                (
                    tx(
                        f"Agree a shared plan for {en.lower()}.",
                        f"Cytuno ar gynllun ar y cyd ar gyfer {cy.lower()}.",
                    ),
                    tx(
                        f"Review {en.lower()} with partners.",
                        f"Adolygu {cy.lower()} gyda phartneriaid.",
                    ),
                ),
                tx(en[:3].lower(), cy[:3].lower()),
            )
        )
    sections = (
        Section(
            "enablers",
            SectionKind.ENABLERS,
            tx("Enablers", "Galluogwyr"),
            tx("What helps your staff to collaborate.", "Beth sy'n helpu eich staff i gydweithio."),
            tuple(
                Item(
                    f"enb_{f}_1",
                    tx(f"Staff have {f.replace('_', ' ')}.", f"Mae gan staff {f}."),
                    "agree5",
                    facet=f,
                    section="enablers",
                )
                for f in ("leaders", "incentives", "tools_skills", "time_resources")
            ),
        ),
        Section(
            "environment",
            SectionKind.ENVIRONMENT,
            tx("Operating environment", "Amgylchedd gweithredu"),
            tx("What around you helps or hinders.", "Beth o'ch cwmpas sy'n helpu neu'n rhwystro."),
            (
                Item(
                    "env_help_1",
                    tx("Regulation helps us.", "Mae rheoleiddio'n ein helpu."),
                    "agree5",
                    facet="helps",
                    section="environment",
                ),
                Item(
                    "env_help_2",
                    tx("Funding helps us.", "Mae cyllid yn ein helpu."),
                    "agree5",
                    facet="helps",
                    section="environment",
                ),
                Item(
                    "env_hinder_1",
                    tx("Accountability hinders us.", "Mae atebolrwydd yn ein rhwystro."),
                    "agree5",
                    facet="hinders",
                    section="environment",
                ),
                Item(
                    "env_hinder_2",
                    tx("Targets hinder us.", "Mae targedau'n ein rhwystro."),
                    "agree5",
                    facet="hinders",
                    section="environment",
                ),
            ),
        ),
        Section(
            "outcomes",
            SectionKind.OUTCOMES,
            tx("Outcomes of collaboration", "Canlyniadau cydweithio"),
            tx("What collaboration has achieved.", "Beth mae cydweithio wedi'i gyflawni."),
            tuple(
                Item(
                    f"out_{n}",
                    tx(
                        f"Collaboration has improved outcome {n}.",
                        f"Mae cydweithio wedi gwella canlyniad {n}.",
                    ),
                    "agree5",
                    section="outcomes",
                )
                for n in (1, 2)
            ),
        ),
    )
    return Instrument(
        id="webtest",
        version=version,
        title=tx("Collaboration Readiness Index (test)", "Mynegai Parodrwydd i Gydweithio (prawf)"),
        introduction=tx(
            "This survey asks how ready your organisation is to collaborate.",
            "Mae'r arolwg hwn yn gofyn pa mor barod yw eich sefydliad i gydweithio.",
        ),
        languages=("en", "cy"),
        estimated_minutes=15,
        scales=(agree5(),),
        profile=tuple(
            ProfileQuestion(
                qid,
                tx(
                    {
                        "sector": "Which sector is your organisation in?",
                        "role": "What is your role?",
                        "size": "How many staff does your organisation have?",
                    }[qid],
                    {
                        "sector": "Ym mha sector mae eich sefydliad?",
                        "role": "Beth yw eich rôl?",
                        "size": "Faint o staff sydd gan eich sefydliad?",
                    }[qid],
                ),
                QuestionType.SINGLE_CHOICE,
                tuple(Choice(i + 1, v, tx(en, cy)) for i, (v, en, cy) in enumerate(choices)),
            )
            for qid, choices in PROFILE.items()
        ),
        blocks=tuple(blocks),
        focus=Focus("citizens"),
        sections=sections,
        open_questions=(
            OpenQuestion(
                "open_improve",
                tx(
                    "What one thing would most improve your organisation's ability to collaborate?",
                    "Pa un peth fyddai'n gwella gallu eich sefydliad i gydweithio fwyaf?",
                ),
                tx("Optional.", "Dewisol."),
                max_length=500,
            ),
        ),
        levels=(
            Level(
                "emerging",
                0,
                40,
                tx("Emerging", "Yn datblygu'n gynnar"),
                tx("Collaboration is at an early stage.", "Mae cydweithio ar gam cynnar."),
            ),
            Level(
                "developing",
                40,
                55,
                tx("Developing", "Yn datblygu"),
                tx("Some foundations are in place.", "Mae rhai sylfeini yn eu lle."),
            ),
            Level(
                "established",
                55,
                70,
                tx("Established", "Wedi ymsefydlu"),
                tx("Collaboration is established.", "Mae cydweithio wedi ymsefydlu."),
            ),
            Level(
                "leading",
                70,
                100,
                tx("Leading", "Yn arwain"),
                tx("A leader in collaboration.", "Arweinydd mewn cydweithio."),
            ),
        ),
    )
