"""The readiness profile as a document (PDF or HTML): a renderer of the one profile.

:func:`readiness_report` lays out a :class:`~collabready.analysis.readiness.ReadinessProfile`
— the same object the web page renders, with the same numbers: the index and
its level, commitment, capacity and gap, each block, the peer benchmark
(published figures only, rounded as on the page) and the suggested actions for
the weakest blocks. :func:`organisation_readiness_report` loads responses and builds
the profile first (``collabready report organisation``).
"""

from __future__ import annotations

import math
from datetime import datetime

import polars as pl

from collabready.analysis.data import prepare
from collabready.analysis.gate import RawEstimate, publish
from collabready.analysis.load import ResponseMatrix, as_matrix
from collabready.analysis.peers import PEER_SCORE_STEP, PEER_SHARE_STEP
from collabready.analysis.policy import DEFAULT_K
from collabready.analysis.readiness import ReadinessProfile, SubjectNotFoundError, readiness_of
from collabready.instrument.model import Instrument
from collabready.reporting import appendices
from collabready.reporting.charts import Point, estimate_chart
from collabready.reporting.findings import count_words
from collabready.reporting.model import (
    Cell,
    CellStatus,
    Chart,
    DefinitionList,
    Paragraph,
    Report,
    ReportKind,
    Section,
    Stamp,
    Table,
    fmt_number,
)

__all__ = ["SubjectNotFoundError", "organisation_readiness_report", "readiness_report"]


def _score(value: float) -> str:
    """A 0-100 score as the web page prints it: whole points."""
    return fmt_number(value, digits=0)


def _signed(value: float) -> str:
    text = fmt_number(value, digits=0)
    return text if text.startswith(("\u2212", "–")) or text == "0" else f"+{text}"


def readiness_report(profile: ReadinessProfile, *, subject: str, stamp: Stamp) -> Report:
    """The profile of ``subject`` (an organisation's name, never an internal number)."""
    instrument = profile.instrument
    sector_label = profile.sector_label.get() if profile.sector_label else "sector not given"
    level = profile.level
    headline = DefinitionList(
        (
            ("Index", _score(profile.index)),
            ("Readiness level", level.label.get() if level else "not enough answers"),
            ("Commitment", _score(profile.commitment)),
            ("Capacity", _score(profile.capacity)),
            ("Gap (commitment minus capacity)", _signed(profile.gap)),
            ("Sector", sector_label),
        )
    )
    overview: tuple[Paragraph | DefinitionList, ...] = (headline,)
    if level and level.description.get():
        overview = (headline, Paragraph(level.description.get()))
    sections = (
        Section("overview", "Your readiness", overview),
        Section(
            "blocks",
            f"The {count_words(len(instrument.blocks))} building blocks",
            (_blocks_chart(profile),),
        ),
        _peers(profile),
        _actions(profile),
        appendices.stamp_section(stamp),
    )
    return Report(
        kind=ReportKind.ORGANISATION,
        title=f"Collaboration readiness profile: {subject}",
        subtitle=f"{sector_label} · {instrument.title.get()}",
        sections=sections,
        stamp=stamp,
        keywords=("collaboration", "readiness", "profile", instrument.key),
    )


def _blocks_table(profile: ReadinessProfile) -> Table:
    rows = []
    for b in profile.blocks:
        rows.append(
            (
                Cell.label(b.block.title.get()),
                Cell.number(b.commitment, digits=0),
                Cell.number(b.capacity, digits=0),
                Cell.number(b.score, digits=0),
                Cell.label(_signed(b.gap)),
                Cell.label(b.level.label.get() if b.level else "–"),
            )
        )
    return Table(
        "profile-blocks-table",
        "Your scores in each block (0–100)",
        ("Block", "Commitment", "Capacity", "Block score", "Gap", "Level"),
        tuple(rows),
        ("These are your own answers' scores, not estimates, so they carry no interval.",),
        None,
    )


def _blocks_chart(profile: ReadinessProfile) -> Chart:
    # the subject's own scores, shown to them alone: one respondent, so k = 1
    points = [
        Point(
            label=b.block.title.get(),
            series=series,
            estimate=None
            if math.isnan(value)
            else publish(RawEstimate(value, value, value, 1), k=1),
        )
        for b in profile.blocks
        for series, value in (("Commitment", b.commitment), ("Capacity", b.capacity))
    ]
    return estimate_chart(
        chart_id="profile-blocks",
        title="Commitment and capacity in each block",
        points=points,
        label_title="Block",
        series_title="Measure",
        k=1,
        table=_blocks_table(profile),
    )


def _peers(profile: ReadinessProfile) -> Section:
    peers = profile.peers
    label = profile.sector_label.get().lower() if profile.sector_label else "your sector"
    title = "Compared with your sector"
    if not profile.sector:
        return Section(
            "peers", title, (Paragraph("No sector was given, so there is no comparison."),)
        )
    if not peers.shown:
        return Section(
            "peers",
            title,
            (
                Paragraph(
                    f"How you compare with the {label} is shown once at least {peers.minimum} "
                    "organisations in it have answered, so that no one's answers can be worked "
                    "out from the figures. Not enough have answered yet."
                ),
            ),
        )
    assert peers.median is not None
    assert peers.lower_quartile is not None
    assert peers.upper_quartile is not None
    rows = (
        (Cell.label("Your index"), Cell.number(profile.index, digits=0)),
        (Cell.label("Sector median"), Cell.number(peers.median.value, digits=0)),
        (
            Cell.label("Middle half of the sector (inter-quartile range)"),
            Cell(
                f"{fmt_number(peers.lower_quartile.value, digits=0)} to "
                f"{fmt_number(peers.upper_quartile.value, digits=0)}",
                peers.lower_quartile.value,
                CellStatus.PUBLISHED,
            ),
        ),
        (
            Cell.label("Share of the sector with a lower index"),
            Cell.label("–")
            if peers.percentile is None
            else Cell(
                f"{peers.percentile.value:.0f}%", peers.percentile.value, CellStatus.PUBLISHED
            ),
        ),
    )
    table = Table(
        "peers-table",
        f"Your index against the {label} ({peers.peers:,} organisations)",
        ("Measure", "Figure"),
        rows,
        (
            f"Each organisation counts once; only organisations invited to the survey count. "
            f"The benchmark is updated each time another {peers.step} organisations in the "
            f"sector have answered. So that no one's answers can be worked out from them, the "
            f"sector figures are rounded to the nearest {PEER_SCORE_STEP:.0f} points and the "
            f"share to the nearest {PEER_SHARE_STEP:.0f}%.",
        ),
        peers.median.k,
    )
    return Section("peers", title, (table,))


def _actions(profile: ReadinessProfile) -> Section:
    if not profile.weakest:
        return Section(
            "actions",
            "Suggested actions",
            (Paragraph("There were not enough answers to suggest actions."),),
        )
    subs = tuple(
        Section(
            id=f"action-{b.block.id}",
            title=f"{b.block.title.get()} (block score {_score(b.score)})",
            content=(
                DefinitionList(tuple((f"{i}.", g.get()) for i, g in enumerate(b.actions, start=1))),
            ),
        )
        for b in profile.weakest
    )
    return Section(
        "actions",
        "Suggested actions",
        (
            Paragraph(
                "These are your organisation's weakest building blocks, with actions that "
                "organisations in a similar position have found useful."
            ),
        ),
        subsections=subs,
    )


def organisation_readiness_report(
    *,
    responses: ResponseMatrix | pl.DataFrame,
    instrument: Instrument,
    respondent_id: int | None = None,
    organisation_id: int | None = None,
    k: int = DEFAULT_K,
    data_sha256: str | None = None,
    generated_at: datetime | None = None,
    subject: str | None = None,
) -> Report:
    """The profile document of one respondent or organisation in ``responses``.

    ``subject`` names whom the profile is about in its title (by default the id).
    """
    data = prepare(as_matrix(responses, instrument))
    profile = readiness_of(data, respondent_id=respondent_id, organisation_id=organisation_id, k=k)
    if subject is None:
        subject = (
            f"Respondent {respondent_id}"
            if respondent_id is not None
            else f"Organisation {organisation_id}"
        )
    stamp = appendices.make_stamp(
        instrument=instrument,
        data_sha256=data_sha256 or data.matrix.sha256,
        k=k,
        generated_at=generated_at,
    )
    return readiness_report(profile, subject=subject, stamp=stamp)
