"""The questionnaire as data: model, loading and two-stage validation."""

from collabready.instrument.errors import InstrumentError, InstrumentNotFoundError
from collabready.instrument.loader import (
    available_versions,
    latest_version,
    load_file,
    load_instrument,
    validate_document,
)
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
    "InstrumentError",
    "InstrumentNotFoundError",
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
    "available_versions",
    "latest_version",
    "load_file",
    "load_instrument",
    "validate_document",
]
