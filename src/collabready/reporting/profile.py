"""The organisation profile: one respondent's or one organisation's readiness.

The profile shows the building blocks (commitment against capacity, the gap, the
block score and its readiness level), the position against peers in the same
sector (suppressed when fewer than ``k`` peers answered), and suggested
actions for the weakest blocks from the guidance in the instrument.
"""

from __future__ import annotations

from datetime import datetime

import numpy as np
import polars as pl

from collabready.errors import UserError
from collabready.instrument.model import Instrument
from collabready.reporting import appendices
from collabready.reporting.analysis import (
    DEFAULT_K,
    WaveData,
    design_for,
    disclosure_pattern,
    frame_sha256,
    label_for,
    prepare,
    protect_counts,
    table_positions,
)
from collabready.reporting.charts import Point, estimate_chart
from collabready.reporting.findings import count_words
from collabready.reporting.model import (
    Cell,
    CellStatus,
    DefinitionList,
    Estimate,
    Paragraph,
    Report,
    ReportKind,
    Section,
    Table,
    fmt_number,
)
from collabready.scoring import score_organisations
from collabready.stats import Factor, estimate_means


class SubjectNotFoundError(UserError, ValueError):
    """The respondent or organisation asked for is not in the data."""


def organisation_profile(
    *,
    responses: pl.DataFrame,
    instrument: Instrument,
    respondent_id: int | None = None,
    organisation_id: int | None = None,
    k: int = DEFAULT_K,
    data_sha256: str | None = None,
    generated_at: datetime | None = None,
    subject: str | None = None,
) -> Report:
    """The profile of one respondent (``respondent_id``) or organisation (``organisation_id``).

    ``subject`` names whom the profile is about in its title (by default the id).
    """
    if (respondent_id is None) == (organisation_id is None):
        raise ValueError("give exactly one of respondent_id and organisation_id")
    data = prepare(responses, instrument)
    if respondent_id is not None:
        mask = data.respondent_id == respondent_id
        if not mask.any():
            raise SubjectNotFoundError(f"data: no respondent with respondent_id {respondent_id}")
        row = int(np.flatnonzero(mask)[0])
        values = {c: float(data.col(c)[row]) for c in data.scores.columns}
        level_ids = data.scores.level_labels()
        level_id = level_ids[row]
        subject = subject or f"Respondent {respondent_id}"
        own = mask
    else:
        own = data.organisation_id == organisation_id
        if not own.any():
            raise SubjectNotFoundError(
                f"data: no organisation with organisation_id {organisation_id}"
            )
        orgs, result = score_organisations(data.scores, data.organisation_id, instrument)
        pos = int(np.flatnonzero(orgs == organisation_id)[0])
        values = {c: float(result.column(c)[pos]) for c in result.columns}
        level_id = result.level_labels()[pos]
        subject = subject or f"Organisation {organisation_id}"
    sector_value = str(data.profile["sector"][int(np.flatnonzero(own)[0])])
    sector_label = label_for(instrument, "sector", sector_value)
    level = next((lv for lv in instrument.levels if lv.id == level_id), None)

    blocks_table = _blocks_table(instrument, values)
    points = []
    for b in instrument.blocks:
        for dim in ("commitment", "capacity"):
            v = values[f"{b.id}_{dim}"]
            est = None if np.isnan(v) else Estimate(v, v, v, 1)
            points.append(Point(label=b.title.get(), series=dim.capitalize(), estimate=est))
    chart = estimate_chart(
        chart_id="profile-blocks",
        title="Commitment and capacity in each block",
        points=points,
        label_title="Block",
        series_title="Measure",
        k=1,
        table=blocks_table,
    )
    headline = DefinitionList(
        (
            ("Index", fmt_number(values["index"])),
            ("Readiness level", level.label.get() if level else "not enough answers"),
            ("Commitment", fmt_number(values["commitment"])),
            ("Capacity", fmt_number(values["capacity"])),
            ("Gap (commitment minus capacity)", fmt_number(values["gap"])),
            ("Sector", sector_label),
        )
    )
    intro = Paragraph((level.description.get() + " ") if level and level.description.get() else "")
    peers = _peers(
        data=data, own=own, sector=sector_value, values=values, k=k, instrument=instrument
    )
    weakest = sorted(
        (b for b in instrument.blocks if not np.isnan(values[b.id])), key=lambda b: values[b.id]
    )[:2]
    actions = appendices.taking_action(instrument, blocks=tuple(b.id for b in weakest))
    actions = Section(
        "actions",
        "Suggested actions",
        (
            Paragraph(
                "Your two lowest-scoring blocks are "
                + " and ".join(b.title.get() for b in weakest)
                + ". Suggested first steps:"
            ),
        ),
        subsections=actions.subsections,
    )
    stamp = appendices.make_stamp(
        instrument=instrument,
        data_sha256=data_sha256 or frame_sha256(responses),
        k=k,
        generated_at=generated_at,
    )
    sections = (
        Section("overview", "Your readiness", (headline, intro) if intro.text else (headline,)),
        Section("blocks", f"The {count_words(len(instrument.blocks))} building blocks", (chart,)),
        peers,
        actions,
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


def _blocks_table(instrument: Instrument, values: dict[str, float]) -> Table:
    rows = []
    for b in instrument.blocks:
        lv = instrument.level_for(values[b.id])
        rows.append(
            (
                Cell.label(b.title.get()),
                Cell.number(values[f"{b.id}_commitment"]),
                Cell.number(values[f"{b.id}_capacity"]),
                Cell.number(values[f"{b.id}_gap"]),
                Cell.number(values[b.id]),
                Cell.label(lv.label.get() if lv else "–"),
            )
        )
    return Table(
        "profile-blocks-table",
        "Your scores in each block (0–100)",
        ("Block", "Commitment", "Capacity", "Gap", "Block score", "Level"),
        tuple(rows),
        ("These are your own answers' scores, not estimates, so they carry no interval.",),
        None,
    )


def _peers(
    *,
    data: WaveData,
    own: np.ndarray,
    sector: str,
    values: dict[str, float],
    k: int,
    instrument: Instrument,
) -> Section:
    peer = (data.profile["sector"] == sector) & ~own
    n_peers = int(peer.sum())
    label = label_for(instrument, "sector", sector)
    reason = ""
    if protect_counts([n_peers], k=k) != ["shown"]:
        reason = (
            f"fewer than {k} other respondents in the sector answered, so a comparison could "
            "identify them"
        )
    elif disclosure_pattern(data, k=k).status("sector", sector) != "shown":
        # the national report withholds this sector's figures (so that a smaller
        # sector's cannot be worked out); its peer count would give them away
        reason = "the sector's figures are withheld in the national report (disclosure control)"
    if reason:
        return Section(
            "peers",
            "Compared with your sector",
            (Paragraph(f"Comparison with the {label.lower()} is not shown: {reason}."),),
        )
    # the peers are a domain of the (unweighted) design of the whole sample,
    # organisations as clusters
    design = design_for(data, None)
    peers = Factor(codes=np.where(peer, 0, -1).astype(np.intp), levels=("peers",))
    measures = [("index", "Index")] + [(b.id, b.title.get()) for b in instrument.blocks]
    table = estimate_means(
        design=design,
        variables={col: data.col(col) for col, _ in measures},
        by={"peers": peers},
        overall=False,
    )
    pos = table_positions(table)
    index = [pos[(col, "peers", "peers")] for col, _ in measures]
    status = protect_counts([int(table.n[i]) for i in index], k=k)
    rows = []
    for (col, title), i, st in zip(measures, index, status, strict=True):
        est = Estimate(
            float(table.estimate[i]),
            float(table.ci_low[i]),
            float(table.ci_high[i]),
            int(table.n[i]),
            float(table.se[i]),
        )
        mine = values[col]
        if st != "shown" or np.isnan(mine):
            rows.append((Cell.label(title), Cell.number(mine), *([Cell.hidden()] * 3)))
            continue
        peer_values = data.col(col)[peer]
        answered = peer_values[~np.isnan(peer_values)]
        # to the nearest 10%, as on the web profile: an exact share would move by
        # one peer's worth with each new submission to a live wave
        share = 10.0 * round(10 * float(np.mean(answered < mine)))
        rows.append(
            (
                Cell.label(title),
                Cell.number(mine),
                Cell.estimate(est),
                Cell.number(mine - est.value),
                Cell(f"{share:.0f}%", share, CellStatus.SHOWN),
            )
        )
    peers_table = Table(
        "peers-table",
        f"Your scores against the {label.lower()} ({n_peers:,} other respondents)",
        ("Measure", "You", "Sector average", "Difference", "Peers you score above"),
        tuple(rows),
        (
            "The sector average is unweighted, with its 95% confidence interval beneath it "
            "(organisations as clusters). The share of peers you score above is rounded to "
            "the nearest 10%.",
            f"[c] suppressed: fewer than {k} peers answered.",
        ),
        k,
    )
    return Section("peers", "Compared with your sector", (peers_table,))
