"""The sector briefing: one sector against all the others."""

from __future__ import annotations

from datetime import datetime

import numpy as np
import polars as pl

from collabready.analysis.contrasts import Contrast, domain_contrasts, holm
from collabready.analysis.data import label_for, prepare
from collabready.analysis.estimates import breakdown, table_positions
from collabready.analysis.gate import CellStatus, Estimate, RawEstimate, publish_threshold
from collabready.analysis.load import ResponseMatrix, as_matrix
from collabready.analysis.pattern import disclosure_pattern
from collabready.analysis.policy import DEFAULT_K
from collabready.analysis.weighting import design_for, weight
from collabready.errors import UserError
from collabready.instrument.model import Instrument
from collabready.reporting import appendices
from collabready.reporting.elements import (
    breakdown_chart,
    breakdown_table,
    contrasts_table,
    estimates_chart,
    p_text,
)
from collabready.reporting.findings import count_words, disclosed_counts, sector_phrase
from collabready.reporting.model import (
    Finding,
    FindingList,
    Paragraph,
    Report,
    ReportKind,
    Section,
)
from collabready.stats import Factor, Margins, PAdjust, estimate_means

#: The level of the comparison group in the sector/others grouping.
OTHERS = "all other sectors"


class SectorError(UserError, ValueError):
    """The sector asked for cannot be briefed on."""


def sector_briefing(
    *,
    responses: ResponseMatrix | pl.DataFrame,
    instrument: Instrument,
    margins: pl.DataFrame | Margins | None,
    sector: str,
    k: int = DEFAULT_K,
    data_sha256: str | None = None,
    margins_sha256: str | None = None,
    generated_at: datetime | None = None,
) -> Report:
    """A briefing on ``sector`` (a sector value such as ``public``) against all others."""
    data = prepare(as_matrix(responses, instrument))
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
    # one suppression pattern for the national report and every briefing, from the
    # counts of the whole sample: a figure withheld in one document is withheld in all
    pattern = disclosure_pattern(data, k=k)
    if pattern.status("sector", sector) is not CellStatus.PUBLISHED:
        raise SectorError(
            f"sector {sector!r}: the national report withholds the sector's figures so that "
            "a smaller sector's cannot be worked out (disclosure control); no briefing"
        )
    raking, summary = weight(data, margins)
    design = design_for(data, raking)
    label = label_for(instrument, "sector", sector)
    name = sector_phrase(label)
    others = "All other sectors"
    group = Factor(codes=np.where(in_sector, 0, 1).astype(np.intp), levels=(sector, OTHERS))
    labels = {sector: name, OTHERS: others}

    # block means in and out of the sector (domain estimates) ...
    blocks = instrument.block_ids
    means = estimate_means(
        design=design,
        variables={b: data.col(b) for b in blocks},
        by={"group": group},
        overall=False,
    )
    pos = table_positions(means)

    def est(column: str, level: str) -> Estimate | None:
        i = pos[(column, "group", level)]
        raw = RawEstimate(
            float(means.estimate[i]),
            float(means.ci_low[i]),
            float(means.ci_high[i]),
            int(means.n[i]),
            float(means.se[i]),
        )
        return publish_threshold(raw, k=k)

    rows = []
    for b in instrument.blocks:
        rows += [
            (b.title.get(), label, est(b.id, sector)),
            (b.title.get(), others, est(b.id, OTHERS)),
        ]
    # ... and their differences, Holm-adjusted over the blocks as one family
    contrasts: list[Contrast] = []
    for b in instrument.blocks:
        found = domain_contrasts(
            data=data,
            design=design,
            column=b.id,
            factor=group,
            pairs=[(sector, OTHERS)],
            labels=labels,
            adjust=PAdjust.NONE,
            k=k,
        )
        if not found:
            continue
        (c,) = found
        contrasts.append(
            Contrast(b.title.get(), others.lower(), c.difference, c.p_value, c.p_value)
        )
    contrasts = list(holm(contrasts))

    def contrast(column: str) -> tuple[Contrast, Estimate, Estimate] | None:
        found = domain_contrasts(
            data=data,
            design=design,
            column=column,
            factor=group,
            pairs=[(sector, OTHERS)],
            labels=labels,
            adjust=PAdjust.NONE,
            k=k,
        )
        if not found:
            return None
        (c,) = found
        m = estimate_means(
            design=design, variables={column: data.col(column)}, by={"group": group}, overall=False
        )
        e_in, e_out = (
            publish_threshold(
                RawEstimate(
                    float(m.estimate[i]),
                    float(m.ci_low[i]),
                    float(m.ci_high[i]),
                    int(m.n[i]),
                    float(m.se[i]),
                ),
                k=k,
            )
            for i in (0, 1)
        )
        if e_in is None or e_out is None:
            return None
        return c, e_in, e_out

    def compare(found: tuple[Contrast, Estimate, Estimate] | None, what: str) -> Finding:
        if found is None:
            return Finding(f"sector-{what}", "", supported=False)
        c, e_in, e_out = found
        higher = c.difference.value > 0
        return Finding(
            id=f"sector-{what}",
            sentence=(
                f"The {name}'s {what} is {'higher' if higher else 'lower'} than in other "
                f"sectors: {e_in.text()} against {e_out.text()}."
            ),
            supported=bool(c.p_adjusted < 0.05)
            and disclosed_counts([e_in.n, e_out.n, c.difference.n], k=k),
            estimate=e_in,
            evidence=f"difference {c.difference.text()}, {p_text(c.p_value)}",
        )

    findings = FindingList(
        (
            Finding(
                "sector-n",
                f"{n_in:,} respondents in the {name}; {n_out:,} in other sectors.",
                supported=disclosed_counts([n_in, n_out], k=k),
            ),
            compare(contrast("index"), "index"),
            compare(contrast("gap"), "gap between commitment and capacity"),
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
    # within the sector: by sub-sector, size and role (domains of the whole design)
    within = []
    for var in ("subsector", "size", "role"):
        if var not in data.profile:
            continue
        bd = breakdown(
            data=data,
            design=design,
            variable=var,
            columns=("index", "gap"),
            k=k,
            within=in_sector,
            pattern=pattern,
            sector=sector,
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
        data_sha256=data_sha256 or data.matrix.sha256,
        k=k,
        margins=summary.margins if summary else (),
        margins_sha256=margins_sha256,
        generated_at=generated_at,
    )
    method = Paragraph(
        ("Weighted by raking to the population margins. " if summary else "Unweighted. ")
        + "Sub-sector figures within the sector are domain estimates; differences from other "
        "sectors take account of the design (organisations as clusters, calibration-aware "
        f"standard errors), and the {count_words(len(instrument.blocks))} block comparisons "
        "are Holm-adjusted. "
        f"No figure rests on fewer than {k} respondents, and a figure withheld here is "
        "withheld in the national report and the other briefings too, so that none can be "
        "worked out by comparing them."
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
