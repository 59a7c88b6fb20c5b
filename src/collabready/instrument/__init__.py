"""The questionnaire as data: model, loading and two-stage validation."""

from collabready.instrument.model import (
    DONT_KNOW,
    MISSING,
    Block,
    Choice,
    Dimension,
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

__all__ = [
    "DONT_KNOW",
    "MISSING",
    "Block",
    "Choice",
    "Dimension",
    "Instrument",
    "Item",
    "Level",
    "OpenQuestion",
    "ProfileQuestion",
    "QuestionType",
    "Scale",
    "ScaleOption",
    "Section",
    "SectionKind",
    "Text",
]
