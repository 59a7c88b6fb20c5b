"""The national report: "The State of Collaboration", generated from the data."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

import numpy as np
import polars as pl

from collabready.instrument.model import Instrument
from collabready.reporting import appendices, findings
from collabready.reporting.analysis import (
    SECTION_COLUMNS,
    Step,
    WaveData,
    _no_step,
    frame_sha256,
    label_for,
    prepare,
)
from collabready.reporting.blocks import (
    breakdown_chart,
    breakdown_table,
    column_title,
    contrasts_table,
    estimates_chart,
    estimates_table,
    p_value,
)
from collabready.reporting.disclosure import DEFAULT_K
from collabready.reporting.model import (
    Cell,
    CellStatus,
    DefinitionList,
    FindingList,
    Paragraph,
    Report,
    ReportKind,
    Section,
    Table,
    fmt_number,
)
from collabready.reporting.wave import WaveAnalysis, analyse_wave


@dataclass(frozen=True, slots=True)
class Fieldwork:
    """What is known about the fieldwork, beyond the responses themselves."""

    wave_name: str = ""
    start: date | None = None
    end: date | None = None
    #: sector -> number invited (response rates are shown when known)
    invited: tuple[tuple[str, int], ...] = ()


def national_report(
    *,
    responses: pl.DataFrame,
    instrument: Instrument,
    margins: pl.DataFrame | None,
    k: int = DEFAULT_K,
    roundtable: str | None = None,
    fieldwork: Fieldwork | None = None,
    title: str = "The State of Collaboration",
    data_sha256: str | None = None,
    margins_sha256: str | None = None,
    generated_at: datetime | None = None,
    step: Step = _no_step,
) -> Report:
    """Build the national report from responses (one row per respondent) and margins."""
    step("score")
    data = prepare(responses, instrument)
    analysis = analyse_wave(data=data, margins=margins, k=k, step=step)
    step("charts")
    fw = fieldwork or Fieldwork()
    stamp = appendices.make_stamp(
        instrument=instrument,
        data_sha256=data_sha256 or frame_sha256(responses),
        k=k,
        margins=analysis.weighting.margins if analysis.weighting else (),
        margins_sha256=margins_sha256,
        generated_at=generated_at,
        extra=((("Wave", fw.wave_name),) if fw.wave_name else ()),
    )
    weights = analysis.design.weights if analysis.weighting else None
    sections = (
        _summary(analysis),
        _methodology(analysis, fw),
        _index(analysis),
        _gap(analysis),
        _environment(analysis),
        _citizens(analysis),
        _value(analysis),
        appendices.taking_action(instrument),
        appendices.sample_profile(data=data, weights=weights, k=k),
        appendices.questionnaire(instrument),
        *((appendices.markdown_note(roundtable),) if roundtable else ()),
        appendices.stamp_section(stamp),
    )
    subtitle = "How ready are we to work together?"
    if fw.wave_name:
        subtitle = f"{fw.wave_name}: {subtitle[0].lower()}{subtitle[1:]}"
    return Report(
        kind=ReportKind.NATIONAL,
        title=title,
        subtitle=subtitle,
        sections=sections,
        stamp=stamp,
        keywords=("collaboration", "public services", "readiness", instrument.key),
    )


def _summary(a: WaveAnalysis) -> Section:
    fl = FindingList(findings.key_findings(a))
    weighted = "weighted to the population" if a.weighting else "unweighted"
    intro = Paragraph(
        f"This report sets out how ready organisations are to collaborate, from {a.n:,} "
        f"senior leaders in {a.n_organisations:,} organisations ({weighted}). Every figure is "
        "an estimate with its 95% confidence interval; a finding is stated only where the "
        "data support it at the 5% level."
    )
    return Section("summary", "Executive summary", (intro, fl))


def _methodology(a: WaveAnalysis, fw: Fieldwork) -> Section:
    data = a.data
    facts: list[tuple[str, str]] = [
        ("Respondents", f"{a.n:,} ({int(data.complete.sum()):,} complete)"),
        ("Organisations", f"{a.n_organisations:,}"),
        ("Instrument", data.instrument.key),
    ]
    if fw.start and fw.end:
        facts.append(("Fieldwork", f"{fw.start:%-d %B %Y} to {fw.end:%-d %B %Y}"))
    else:
        facts.append(("Fieldwork", "dates not recorded with the data"))
    content: list[Paragraph | Table | DefinitionList] = [DefinitionList(tuple(facts))]
    if fw.invited:
        content.append(_response_rates(a, fw))
    else:
        content.append(
            Paragraph(
                "Response rates by sector are not shown: the number invited in each sector "
                "was not supplied with the data."
            )
        )
    if a.weighting:
        w = a.weighting
        content.append(
            Paragraph(
                "Responses were weighted by raking (iterative proportional fitting) to the "
                f"population margins for {', '.join(w.variables)}, so that the weighted sample "
                "matches the population on each. Weighting diagnostics:"
            )
        )
        content.append(
            DefinitionList(
                (
                    ("Design effect (Kish)", fmt_number(w.kish_deff, digits=2)),
                    ("Effective sample size", f"{w.n_effective:,.0f}"),
                    (
                        "Weights",
                        f"{w.weight_min:,.1f} to {w.weight_max:,.1f} (CV {w.weight_cv:.2f})",
                    ),
                    (
                        "Raking",
                        f"converged in {w.iterations} iterations (residual {w.max_residual:.1e})",
                    ),
                )
            )
        )
        content.append(_margins_table(a))
    else:
        content.append(Paragraph("No population margins were supplied: figures are unweighted."))
    content.append(
        Paragraph(
            "Confidence intervals are design-based: standard errors by Taylor linearisation, "
            "treating respondents from the same organisation as a cluster, with t intervals on "
            f"{a.design.df:,} degrees of freedom. Subgroup figures are domain estimates. "
            "Differences between blocks are paired within respondents; differences between "
            "subgroups take account of the covariance of the two estimates. Where several "
            "comparisons are made together, p-values are adjusted by Holm's method."
        )
    )
    content.append(
        Paragraph(
            f"Disclosure control: no figure in this report rests on fewer than {a.k} "
            "respondents. Such figures are replaced by [c], and where a suppressed figure "
            "could be worked out from a total and its neighbours, a second figure is "
            "suppressed too."
        )
    )
    return Section("methodology", "Methodology", tuple(content))


def _response_rates(a: WaveAnalysis, fw: Fieldwork) -> Table:
    sector = a.data.profile["sector"]
    rows = []
    for lv, invited in fw.invited:
        n = int(np.sum(sector == lv))
        label = Cell.label(label_for(a.data.instrument, lv and "sector", lv))
        if n < a.k:
            rows.append((label, Cell.count(invited), Cell.hidden(), Cell.hidden()))
        else:
            rows.append((label, Cell.count(invited), Cell.count(n), Cell.number(100 * n / invited)))
    return Table(
        "response-rates",
        "Response rates by sector",
        ("Sector", "Invited", "Responded", "Response rate (%)"),
        tuple(rows),
        (),
        a.k,
    )


def _margins_table(a: WaveAnalysis) -> Table:
    assert a.weighting is not None
    rows = []
    for var, lv, total in a.weighting.margins:
        values = a.data.profile[var]
        mask = values == lv
        n = int(mask.sum())
        wt = float(a.design.weights[mask].sum())
        label = Cell.label(f"{var}: {label_for(a.data.instrument, var, lv)}")
        total_cell = Cell(f"{total:,.0f}", total, CellStatus.SHOWN)
        if n < a.k:
            rows.append((label, total_cell, Cell.hidden(), Cell.hidden()))
        else:
            rows.append(
                (label, total_cell, Cell.count(n), Cell(f"{wt:,.0f}", wt, CellStatus.SHOWN))
            )
    return Table(
        "weighting-margins",
        "Weighting margins: population totals, sample counts and weighted totals",
        ("Margin", "Population", "Respondents", "Weighted total"),
        tuple(rows),
        (),
        a.k,
    )


def _index(a: WaveAnalysis) -> Section:
    inst = a.data.instrument
    ov = a.overall
    main = estimates_table(
        table_id="index-overall",
        caption="The index, commitment, capacity and gap, all respondents",
        rows={column_title(inst, c): ov[c] for c in ("index", "commitment", "capacity", "gap")},
        label_title="Measure",
        k=a.k,
    )
    block_chart = estimates_chart(
        chart_id="blocks",
        title="Block scores, all respondents",
        rows=[(b.title.get(), "", ov[b.id]) for b in inst.blocks],
        label_title="Block",
        k=a.k,
    )
    subs = []
    for var, bd in a.breakdowns.items():
        table = breakdown_table(
            table_id=f"table-by-{var}",
            caption=f"Index, commitment, capacity and gap by {bd.title.lower()}",
            breakdown=bd,
            columns=("index", "commitment", "capacity", "gap"),
            instrument=inst,
            k=a.k,
        )
        chart = breakdown_chart(
            chart_id=f"index-by-{var}",
            title=f"The index by {bd.title.lower()}",
            breakdown=bd,
            columns=("index",),
            instrument=inst,
            k=a.k,
            table=table,
        )
        subs.append(Section(f"by-{var}", f"By {bd.title.lower()}", (chart,)))
    sector_blocks = breakdown_table(
        table_id="blocks-by-sector",
        caption="Block scores by sector",
        breakdown=a.block_breakdown,
        instrument=inst,
        k=a.k,
    )
    subs.insert(1, Section("blocks-by-sector-section", "Blocks by sector", (sector_blocks,)))
    return Section(
        "index",
        "The index",
        (
            Paragraph(
                "The Collaboration Readiness Index runs from 0 to 100. Each block score is the "
                "mean of its commitment and capacity scores; the index is the mean across blocks."
            ),
            main,
            block_chart,
        ),
        subsections=tuple(subs),
    )


def _gap(a: WaveAnalysis) -> Section:
    inst = a.data.instrument
    ov = a.overall
    rows = []
    for b in inst.blocks:
        rows.append((b.title.get(), "Commitment", ov[f"{b.id}_commitment"]))
        rows.append((b.title.get(), "Capacity", ov[f"{b.id}_capacity"]))
    cc = estimates_chart(
        chart_id="commitment-capacity",
        title="Commitment and capacity by block",
        rows=rows,
        label_title="Block",
        series_title="Measure",
        k=a.k,
    )
    gaps = contrasts_like_gaps(a)
    sector_gap = breakdown_chart(
        chart_id="gap-by-sector",
        title="The gap between commitment and capacity by sector",
        breakdown=a.breakdowns["sector"],
        columns=("gap",),
        instrument=inst,
        k=a.k,
        what="gap",
        axis_title="Gap (commitment minus capacity, points)",
    )
    fl = FindingList(
        (findings.overall_gap(a), findings.gap_in_every_block(a), findings.widest_sector_gap(a))
    )
    return Section(
        "gap",
        "Commitment, capacity and the gap",
        (
            Paragraph(
                "Commitment measures ambition (does the organisation intend and prioritise "
                "it?); capacity measures practice (does it have the skills, tools, processes "
                "and track record?). The gap is commitment minus capacity."
            ),
            fl,
            cc,
            gaps,
            sector_gap,
        ),
    )


def contrasts_like_gaps(a: WaveAnalysis) -> Table:
    return contrasts_table(
        table_id="block-gaps",
        caption="The gap (commitment minus capacity) in each block, paired within respondents",
        contrasts=a.block_gaps,
        k=a.k,
    )


def _environment(a: WaveAnalysis) -> Section:
    inst = a.data.instrument
    cols = [c for c in SECTION_COLUMNS if c in a.overall and c != "outcomes"]
    overall_table = estimates_table(
        table_id="environment-overall",
        caption="Enablers and the operating environment, all respondents",
        rows={column_title(inst, c): a.overall[c] for c in cols},
        label_title="Measure",
        k=a.k,
    )
    sector = a.breakdowns["sector"]
    chart = breakdown_chart(
        chart_id="environment-by-sector",
        title="Enablers and the operating environment by sector",
        breakdown=sector,
        columns=tuple(cols),
        instrument=inst,
        k=a.k,
    )
    return Section(
        "environment",
        "Enablers and the operating environment",
        (
            Paragraph(
                "Enablers are the support, incentives, tools, skills, time and resources "
                "that staff have for collaboration. The operating environment (regulation, "
                "funding, accountability, performance management) can help or hinder."
            ),
            FindingList((findings.environment_hinders(a),)),
            overall_table,
            chart,
        ),
    )


def _citizens(a: WaveAnalysis) -> Section:
    table = contrasts_table(
        table_id="citizens-vs-blocks",
        caption="Citizens compared with each other block (paired differences)",
        contrasts=a.citizens_vs_others,
        k=a.k,
    )
    return Section(
        "citizens",
        "Citizens compared with the other blocks",
        (
            Paragraph(
                "Treating residents, service users and communities as partners is the "
                "Citizens block. The table compares each respondent's Citizens score with "
                "their score on each other block."
            ),
            FindingList((findings.lowest_block(a), findings.citizens_lag(a))),
            table,
        ),
    )


def _value(a: WaveAnalysis) -> Section:
    v = a.validation
    r = v.correlation
    coef_rows = tuple(
        (
            Cell.label(c.term),
            Cell.number(c.estimate, digits=3),
            Cell(
                f"{fmt_number(c.low, digits=3)} to {fmt_number(c.high, digits=3)}",
                c.low,
                CellStatus.SHOWN,
            ),
            Cell(p_value(c.p_value), c.p_value, CellStatus.SHOWN),
        )
        for c in v.coefficients
    )
    reg = Table(
        "validation-regression",
        f"Design-based regression of the outcomes score on the six block scores "
        f"(n = {v.n:,}, R² = {v.r_squared:.2f})",
        ("Term", "Coefficient", "95% CI", "p"),
        coef_rows,
        (),
        a.k,
    )
    content: list[Paragraph | FindingList | Table] = [
        Paragraph(
            "If the index measures readiness, organisations that score higher should report "
            "more from collaboration. The outcomes score (better outcomes for people, "
            "efficiency, innovation) is compared with the index: "
            f"weighted correlation r = {fmt_number(r.r, digits=2)} (95% CI "
            f"{fmt_number(r.low, digits=2)} to {fmt_number(r.high, digits=2)}, n = {r.n:,})."
        ),
        FindingList((findings.index_predicts_outcomes(a),)),
        reg,
    ]
    rel = _reliability_table(a)
    if rel is not None:
        content += [
            Paragraph(
                "Reliability: Cronbach's alpha with its Feldt 95% interval and McDonald's "
                "omega (one factor) for each block and its commitment and capacity subscales."
            ),
            rel,
        ]
    else:
        content.append(Paragraph("Reliability estimates are not available in this version."))
    return Section("value", "Assessing the value of the index", tuple(content))


def _reliability_table(a: WaveAnalysis) -> Table | None:
    if a.reliability is None:
        return None
    frame = a.reliability.to_frame()  # type: ignore[attr-defined]
    inst = a.data.instrument
    rows = []
    for rec in frame.to_dicts() if hasattr(frame, "to_dicts") else frame.to_dict("records"):
        rows.append(
            (
                Cell.label(column_title(inst, str(rec["scale"]))),
                Cell.count(int(rec["k"])),
                Cell.count(int(rec["n"])),
                Cell.number(float(rec["alpha"]), digits=2),
                Cell(
                    f"{fmt_number(float(rec['alpha_ci_lower']), digits=2)} to "
                    f"{fmt_number(float(rec['alpha_ci_upper']), digits=2)}",
                    float(rec["alpha_ci_lower"]),
                    CellStatus.SHOWN,
                ),
                Cell.number(float(rec["omega_total"]), digits=2),
            )
        )
    return Table(
        "reliability",
        "Reliability of each block and subscale",
        ("Scale", "Items", "Respondents", "Alpha", "95% CI", "Omega"),
        tuple(rows),
        (),
        a.k,
    )


__all__ = ["Fieldwork", "WaveData", "national_report"]
