"""A small instrument in English and Welsh for the web tests (2+2 items per block)."""

from __future__ import annotations

from collabready.instrument import Instrument, OpenQuestion
from tests.factories import BILINGUAL, make_instrument


def web_instrument(*, version: str = "0.0.1") -> Instrument:
    """The web tests' instrument: :func:`tests.factories.make_instrument`, bilingual, with
    the sector, role and size questions, two outcome statements, one open question, and
    citizens as the focus block."""
    return make_instrument(
        instrument_id="webtest",
        version=version,
        wording=BILINGUAL,
        items_per_subscale=2,
        outcome_items=2,
        profile=("sector", "role", "size"),
        scales=("agree5",),
        focus="citizens",
        estimated_minutes=15,
        open_questions=(
            OpenQuestion(
                "open_improve",
                BILINGUAL.text(
                    "What one thing would most improve your organisation's ability to collaborate?",
                    "Pa un peth fyddai'n gwella gallu eich sefydliad i gydweithio fwyaf?",
                ),
                BILINGUAL.text("Optional.", "Dewisol."),
                max_length=500,
            ),
        ),
    )
