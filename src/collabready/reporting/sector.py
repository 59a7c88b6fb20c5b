"""The sector briefing: one sector against all the others."""

from __future__ import annotations

from datetime import datetime

import numpy as np
import polars as pl

from collabready.errors import UserError
from collabready.instrument.model import Instrument
from collabready.reporting import appendices, engine
from collabready.reporting.analysis import (
    Contrast,
    WaveData,
    breakdown,
    estimate_of,
    frame_sha256,
    label_for,
    prepare,
    weight,
)
from collabready.reporting.blocks import (
    breakdown_chart,
    breakdown_table,
    contrasts_table,
    estimates_chart,
    p_text,
)
from collabready.reporting.disclosure import DEFAULT_K
from collabready.reporting.findings import sector_phrase
from collabready.reporting.model import (
    Estimate,
    Finding,
    FindingList,
    Paragraph,
    Report,
    ReportKind,
    Section,
)


class SectorError(UserError, ValueError):
    """The sector asked for cannot be briefed on."""


def _contrast(
    *, data: WaveData, design: engine.Design, in_sector: np.ndarray, column: str, a: str, b: str
) -> tuple[Contrast, Estimate, Estimate]:
    domain = np.where(in_sector, 0, 1).astype(np.int64)
    res = engine.domain_means(y=data.col(column), design=design, domain=domain, n_domains=2)
    d = res.diff(0, 1, design)
    n = int(res.n[0] + res.n[1])
    c = Contrast(a, b, Estimate(d.estimate, d.low, d.high, n, d.se), d.p_value, d.p_value)
    return c, estimate_of(res, 0), estimate_of(res, 1)


def sector_briefing(
    *,
    responses: pl.DataFrame,
    instrument: Instrument,
    margins: pl.DataFrame | None,
    sector: str,
    k: int = DEFAULT_K,
    data_sha256: str | None = None,
    margins_sha256: str | None = None,
    generated_at: datetime | None = None,
) -> Report:
    """A briefing on ``sector`` (a sector value such as ``public``) against all others."""
    data = prepare(responses, instrument)
    values = data.profile["sector"]
    in_sector = values == sector
    n_in, n_out = int(in_sector.sum()), int((~in_sector).sum())
    known = [c.value for c in instrument.profile_question("sector").choices]
    if sector not in known:
        raise SectorError(f"--sector {sector!r}: not a sector; choose one of {', '.join(known)}")
    if n_in < k or n_out < k:
        raise SectorError(
            f"sector {sector!r}: {n_in} respondents in the sector and {n_out} outside it; "
            f"a briefing needs at least {k} in each (disclosure control)"
        )
    w, summary = weight(data, margins)
    weights = w.weights if w is not None else np.ones(len(data))
    design = engine.Design.of(weights, data.organisation_id)
    label = label_for(instrument, "sector", sector)
    name = sector_phrase(label)
    others = "All other sectors"

    contrasts = []
    rows = []
    for b in instrument.blocks:
        c, e_in, e_out = _contrast(
            data=data, design=design, in_sector=in_sector, column=b.id, a=b.title.get(), b=""
        )
        contrasts.append(c)
        rows += [(b.title.get(), label, e_in), (b.title.get(), others, e_out)]
    adj = engine.holm([c.p_value for c in contrasts])
    contrasts = [
        Contrast(c.a, f"{others.lower()}", c.difference, c.p_value, p, "holm")
        for c, p in zip(contrasts, adj, strict=True)
    ]
    idx, idx_in, idx_out = _contrast(
        data=data, design=design, in_sector=in_sector, column="index", a=name, b=others
    )
    gap, gap_in, gap_out = _contrast(
        data=data, design=design, in_sector=in_sector, column="gap", a=name, b=others
    )

    def compare(c: Contrast, what: str, e_in: Estimate, e_out: Estimate) -> Finding:
        higher = c.difference.value > 0
        return Finding(
            id=f"sector-{what}",
            sentence=(
                f"The {name}'s {what} is {'higher' if higher else 'lower'} than in other "
                f"sectors: {e_in.text()} against {e_out.text()}."
            ),
            supported=c.p_adjusted < 0.05,
            estimate=e_in,
            evidence=f"difference {c.difference.text()}, {p_text(c.p_value)}",
        )

    findings = FindingList(
        (
            Finding(
                "sector-n",
                f"{n_in:,} respondents in the {name}; {n_out:,} in other sectors.",
                supported=True,
            ),
            compare(idx, "index", idx_in, idx_out),
            compare(gap, "gap between commitment and capacity", gap_in, gap_out),
        )
    )
    chart = estimates_chart(
        chart_id="sector-blocks",
        title=f"Block scores: {name} and all other sectors",
        rows=rows,
        label_title="Block",
        series_title="Group",
        k=k,
    )
    table = contrasts_table(
        table_id="sector-block-differences",
        caption=f"Block scores, {name} minus all other sectors",
        contrasts=contrasts,
        k=k,
    )
    # within the sector: by sub-sector and by size
    subset = _subset(data, in_sector)
    sub_design = engine.Design.of(weights[in_sector], data.organisation_id[in_sector])
    within = []
    for var in ("subsector", "size", "role"):
        if var not in subset.profile:
            continue
        bd, _, _ = breakdown(
            data=subset, design=sub_design, variable=var, columns=("index", "gap"), k=k
        )
        t = breakdown_table(
            table_id=f"sector-by-{var}",
            caption=f"Index and gap by {bd.title.lower()}, {name} only",
            breakdown=bd,
            instrument=instrument,
            k=k,
        )
        within.append(
            Section(
                f"within-{var}",
                f"By {bd.title.lower()}",
                (
                    breakdown_chart(
                        chart_id=f"sector-index-by-{var}",
                        title=f"The index by {bd.title.lower()}, {name}",
                        breakdown=bd,
                        columns=("index",),
                        instrument=instrument,
                        k=k,
                        table=t,
                    ),
                ),
            )
        )
    stamp = appendices.make_stamp(
        instrument=instrument,
        data_sha256=data_sha256 or frame_sha256(responses),
        k=k,
        margins=summary.margins if summary else (),
        margins_sha256=margins_sha256,
        generated_at=generated_at,
    )
    method = Paragraph(
        ("Weighted by raking to the population margins. " if summary else "Unweighted. ")
        + "Sub-sector figures within the sector are domain estimates; differences from other "
        "sectors take account of the design, and the six block comparisons are Holm-adjusted. "
        f"No figure rests on fewer than {k} respondents."
    )
    sections = (
        Section("summary", "Summary", (findings, method)),
        Section("blocks", f"The {name} against all other sectors", (chart, table)),
        Section("within", f"Within the {name}", subsections=tuple(within)),
        appendices.taking_action(instrument),
        appendices.stamp_section(stamp),
    )
    return Report(
        kind=ReportKind.SECTOR,
        title=f"Collaboration readiness: the {name}",
        subtitle="Sector briefing: how the sector compares with all the others",
        sections=sections,
        stamp=stamp,
        keywords=("collaboration", "readiness", sector, instrument.key),
    )


def _subset(data: WaveData, mask: np.ndarray) -> WaveData:
    from collabready.scoring import ScoreResult

    s = data.scores
    scores = ScoreResult(s.instrument_key, s.columns, s.values[mask], s.level[mask], s.level_ids)
    return WaveData(
        data.instrument,
        scores,
        data.codes[mask],
        {k: v[mask] for k, v in data.profile.items()},
        data.respondent_id[mask],
        data.organisation_id[mask],
        data.complete[mask],
    )
