"""The national report: "The State of Collaboration", generated from the data.

Why this module is long: it is one document, a short builder per section
(summary, methodology, the index, the gap, the operating environment, the
focus block, the value of the index, the appendices' statistics) in the order
the report prints them, all reading one
:class:`~collabready.analysis.wave.WaveAnalysis`. Every number comes from
:mod:`collabready.analysis`; nothing here computes a statistic.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

import numpy as np
import polars as pl

from collabready.analysis.data import AnalysisData, label_for, prepare, variable_title
from collabready.analysis.enablers import AGREE_ABOVE
from collabready.analysis.gate import protect_counts
from collabready.analysis.load import ResponseMatrix, as_matrix
from collabready.analysis.pattern import SECTION_COLUMNS, pattern_statuses
from collabready.analysis.policy import DEFAULT_K
from collabready.analysis.steps import Step, no_step
from collabready.analysis.wave import WaveAnalysis, analyse_wave
from collabready.analysis.weighting import collapse_margins
from collabready.errors import UserError
from collabready.instrument.model import Instrument
from collabready.reporting import appendices, findings
from collabready.reporting.charts import Point, estimate_chart
from collabready.reporting.elements import (
    breakdown_chart,
    breakdown_table,
    column_title,
    contrasts_table,
    estimates_chart,
    estimates_table,
    p_value,
)
from collabready.reporting.logo import Logo
from collabready.reporting.model import (
    Cell,
    CellStatus,
    Chart,
    DefinitionList,
    FindingList,
    Paragraph,
    Report,
    ReportKind,
    Section,
    Table,
    fmt_number,
)
from collabready.stats import Margins


@dataclass(frozen=True, slots=True)
class Fieldwork:
    """What is known about the fieldwork, beyond the responses themselves."""

    #: the wave's internal name: provenance, printed in the reproducibility appendix only
    wave_name: str = ""
    #: the survey's public title, printed on the cover
    public_title: str = ""
    start: date | None = None
    end: date | None = None
    #: sector -> number invited (response rates are shown when known)
    invited: tuple[tuple[str, int], ...] = ()


class NationalReportError(UserError, ValueError):
    """The responses cannot make a national report (too few of them)."""


#: The national report's title and subtitle unless the options give others.
DEFAULT_TITLE = "The State of Collaboration"
DEFAULT_SUBTITLE = "How ready are we to work together?"


def national_report(
    *,
    responses: ResponseMatrix | pl.DataFrame,
    instrument: Instrument,
    margins: pl.DataFrame | Margins | None,
    k: int = DEFAULT_K,
    roundtable: str | None = None,
    fieldwork: Fieldwork | None = None,
    title: str = DEFAULT_TITLE,
    subtitle: str = DEFAULT_SUBTITLE,
    foreword: str | None = None,
    logo: Logo | None = None,
    draft: bool = False,
    merge_levels: Mapping[tuple[str, str], str] | None = None,
    data_sha256: str | None = None,
    margins_sha256: str | None = None,
    generated_at: datetime | None = None,
    submitted_until: datetime | None = None,
    step: Step = no_step,
) -> Report:
    """Build the national report from responses (one row per respondent) and margins.

    ``margins`` is a table in the margins-file layout (variable, level,
    population_total) or :class:`collabready.stats.Margins` (as
    :func:`collabready.stats.read_margins_csv` returns); ``None`` leaves the
    sample unweighted. ``merge_levels`` maps a margin ``(variable, level)``
    with no respondents yet to the level it is merged into
    (:func:`~collabready.analysis.weighting.collapse_margins`). ``foreword`` and
    ``roundtable`` are Markdown, sanitised (:func:`appendices.markdown_note`).
    A ``draft`` is labelled as such on its cover and on every page.
    ``submitted_until``: the responses are those submitted up to this moment (a
    release of a wave), which the draft notice and the reproducibility appendix say.
    """
    step("score")
    data = prepare(as_matrix(responses, instrument))
    if len(data) < k:
        # every figure would be withheld (and one respondent has no variance to estimate)
        raise NationalReportError(
            f"{len(data)} submitted response{'s' if len(data) != 1 else ''}; a national report "
            f"needs at least {k}, since no figure may rest on fewer (disclosure control)"
        )
    merged = dict(merge_levels or {})
    if merged and margins is not None:
        margins = collapse_margins(margins, merged)
    analysis = analyse_wave(data=data, margins=margins, k=k, step=step)
    step("charts")
    fw = fieldwork or Fieldwork()
    extra: list[tuple[str, str]] = [("Wave", fw.wave_name)] if fw.wave_name else []
    if merged and margins is not None:
        extra.append(
            (
                "Margin levels merged",
                "; ".join(f"{v}: {lv} into {into}" for (v, lv), into in merged.items()),
            )
        )
    if submitted_until is not None:
        extra.append(("Responses submitted up to", _moment(submitted_until)))
    if draft:
        extra.append(("Status", "draft, during fieldwork"))
    stamp = appendices.make_stamp(
        instrument=instrument,
        data_sha256=data_sha256 or data.matrix.sha256,
        k=k,
        margins=analysis.weighting.margins if analysis.weighting else (),
        margins_sha256=margins_sha256,
        generated_at=generated_at,
        extra=tuple(extra),
    )
    weights = analysis.design.weights if analysis.weighting else None
    sections = (
        *(
            (
                appendices.markdown_note(
                    foreword, title="Foreword", section_id="foreword", appendix=False
                ),
            )
            if foreword
            else ()
        ),
        _summary(analysis, draft=draft, submitted_until=submitted_until),
        _methodology(analysis, fw),
        _index(analysis),
        _gap(analysis),
        _environment(analysis),
        *_focus(analysis),
        _value(analysis),
        appendices.taking_action(instrument),
        appendices.sample_profile(data=data, weights=weights, k=k, pattern=analysis.pattern),
        *_item_statistics(analysis),
        appendices.questionnaire(instrument),
        *((appendices.markdown_note(roundtable),) if roundtable else ()),
        appendices.stamp_section(stamp),
    )
    return Report(
        kind=ReportKind.NATIONAL,
        title=title,
        subtitle=subtitle,
        sections=sections,
        stamp=stamp,
        keywords=("collaboration", "public services", "readiness", instrument.key),
        logo=logo,
        draft=draft,
        survey_title=fw.public_title,
        period=fieldwork_period(fw.start, fw.end),
    )


def fieldwork_period(start: date | None, end: date | None) -> str:
    """The cover's line on when the survey was in the field ("" when not known)."""
    if start is None or end is None:
        return ""
    return f"Fieldwork {_day(start)} to {_day(end)}"


def _day(day: date) -> str:
    return f"{day.day} {day:%B %Y}"


def _moment(moment: datetime) -> str:
    """A moment in UK time, e.g. "2 June 2026, 14:05 (UK time)"."""
    local = moment.astimezone(ZoneInfo("Europe/London")) if moment.tzinfo else moment
    return f"{_day(local.date())}, {local:%H:%M} (UK time)"


def _draft_notice(a: WaveAnalysis, submitted_until: datetime | None = None) -> Paragraph:
    weighted = (
        "weighted to the population margins"
        if a.weighting
        else "unweighted: the sample is not yet weighted to the population"
    )
    if submitted_until is not None:
        return Paragraph(
            f"Draft: this report was made from the {a.n:,} responses submitted up to "
            f"{_moment(submitted_until)}, not those submitted since ({weighted}). Its "
            "figures will change; do not publish or quote them."
        )
    return Paragraph(
        f"Draft: this report was made during fieldwork, from the {a.n:,} responses submitted "
        f"so far ({weighted}). Its figures will change as responses arrive; do not publish "
        "or quote them."
    )


def _summary(
    a: WaveAnalysis, *, draft: bool = False, submitted_until: datetime | None = None
) -> Section:
    fl = FindingList(findings.key_findings(a))
    weighted = "weighted to the population" if a.weighting else "unweighted"
    intro = Paragraph(
        f"This report sets out how ready organisations are to collaborate, from {a.n:,} "
        f"senior leaders in {a.n_organisations:,} organisations ({weighted}). Every figure is "
        "an estimate with its 95% confidence interval; a finding is stated only where the "
        "data support it at the 5% level."
    )
    head = (_draft_notice(a, submitted_until),) if draft else ()
    return Section("summary", "Executive summary", (*head, intro, fl))


def _methodology(a: WaveAnalysis, fw: Fieldwork) -> Section:
    data = a.data
    facts: list[tuple[str, str]] = [
        ("Respondents", f"{a.n:,} ({int(data.complete.sum()):,} complete)"),
        ("Organisations", f"{a.n_organisations:,}"),
        ("Instrument", data.instrument.key),
    ]
    if fw.start and fw.end:
        facts.append(("Fieldwork", f"{_day(fw.start)} to {_day(fw.end)}"))
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
        d = w.diagnostics
        content.append(
            DefinitionList(
                (
                    ("Design effect from weighting (Kish)", fmt_number(d.kish_deff, digits=2)),
                    ("Effective sample size", f"{d.effective_n:,.0f} of {d.n:,}"),
                    (
                        "Weights",
                        f"{d.minimum:,.1f} to {d.maximum:,.1f} (ratio {d.ratio:,.1f}, "
                        f"CV {d.cv:.2f})",
                    ),
                    (
                        "Raking",
                        f"converged in {w.iterations} iterations (largest relative margin "
                        f"residual {w.max_residual:.1e})",
                    ),
                )
            )
        )
        content.append(_margins_table(a))
    else:
        content.append(Paragraph("No population margins were supplied: figures are unweighted."))
    clusters = (
        f"treating the {a.n_organisations:,} organisations as clusters (primary sampling "
        "units), so that respondents from the same organisation are not counted as "
        "independent"
        if a.data.clustered
        else "treating respondents as independent (the data have no organisation identifier)"
    )
    calibration = (
        "The standard errors allow for the raking: the influence values are replaced by "
        "their residuals from the weighting margins before they are summed, as R's survey "
        "package does after rake(). "
        if a.weighting
        else ""
    )
    content.append(
        Paragraph(
            "Confidence intervals are design-based: standard errors by Taylor linearisation, "
            f"{clusters}. {calibration}Intervals are Student t intervals on the design's "
            f"{a.design.df:,} degrees of freedom (clusters minus one). Subgroup figures are "
            "domain estimates, computed within the whole sample's design. Differences between "
            "blocks, and commitment against capacity, are paired within respondents; "
            "differences between subgroups take account of the covariance of the two "
            "estimates. Where several comparisons are made together, p-values are adjusted "
            "by Holm's method. A finding is stated only where its test passes at the 5% level."
        )
    )
    content.append(
        Paragraph(
            f"Disclosure control: no figure in this report rests on fewer than {a.k} "
            "respondents. Such figures are replaced by [c], and where a suppressed figure "
            "could be worked out from a total and its neighbours, a second figure is "
            "suppressed too. The sector briefings show the same breakdowns within each "
            "sector, so the suppression is decided once for this report and every briefing "
            "together: a figure withheld in one is withheld in all, and none can be worked "
            "out by comparing them."
        )
    )
    return Section("methodology", "Methodology", tuple(content))


def _response_rates(a: WaveAnalysis, fw: Fieldwork) -> Table:
    sector = a.data.profile["sector"]
    counts = [int(np.sum(sector == lv)) for lv, _ in fw.invited]
    status = pattern_statuses(a.pattern, "sector", [lv for lv, _ in fw.invited], counts, k=a.k)
    rows = []
    for (lv, invited), n, st in zip(fw.invited, counts, status, strict=True):
        label = Cell.label(label_for(a.data.instrument, "sector", lv))
        if st is not CellStatus.PUBLISHED:
            hidden = Cell.hidden(st)
            rows.append((label, Cell.count(invited), hidden, hidden))
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
    for var in a.weighting.variables:
        levels = [(lv, t) for v, lv, t in a.weighting.margins if v == var]
        values = a.data.profile[var]
        masks = [values == lv for lv, _ in levels]
        counts = [int(m.sum()) for m in masks]
        status = pattern_statuses(a.pattern, var, [lv for lv, _ in levels], counts, k=a.k)
        for (lv, total), mask, n, st in zip(levels, masks, counts, status, strict=True):
            wt = float(a.design.weights[mask].sum())
            label = Cell.label(f"{variable_title(var)}: {label_for(a.data.instrument, var, lv)}")
            total_cell = Cell(f"{total:,.0f}", total, CellStatus.PUBLISHED)
            if st is not CellStatus.PUBLISHED:
                st_cell = st
                rows.append((label, total_cell, Cell.hidden(st_cell), Cell.hidden(st_cell)))
            else:
                rows.append(
                    (label, total_cell, Cell.count(n), Cell(f"{wt:,.0f}", wt, CellStatus.PUBLISHED))
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
        rows={column_title(inst, c): ov.get(c) for c in ("index", "commitment", "capacity", "gap")},
        label_title="Measure",
        k=a.k,
    )
    block_chart = estimates_chart(
        chart_id="blocks",
        title="Block scores, all respondents",
        rows=[(b.title.get(), "", ov.get(b.id)) for b in inst.blocks],
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
        rows.append((b.title.get(), "Commitment", ov.get(f"{b.id}_commitment")))
        rows.append((b.title.get(), "Capacity", ov.get(f"{b.id}_capacity")))
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
            FindingList((findings.staff_unsupported(a), findings.environment_hinders(a))),
            overall_table,
            *_enabler_components(a),
            chart,
        ),
    )


def _enabler_components(a: WaveAnalysis) -> tuple[Paragraph | Chart, ...]:
    """The share agreeing with each enabler component (none when the instrument has none)."""
    if not a.enablers:
        return ()
    points = [Point(label=s.title, estimate=s.share, status=s.status) for s in a.enablers]
    return (
        Paragraph(
            "The enablers score is the mean of its components. For each component, the chart "
            "gives the share of respondents who agree with its statements on average (a "
            f"component score above {AGREE_ABOVE:.0f} out of 100, reverse-worded statements "
            "flipped), with its 95% confidence interval (logit interval, design-based); the "
            "dashed line marks half."
        ),
        estimate_chart(
            chart_id="enabler-components",
            title="Agreeing that staff are supported and equipped, by enabler",
            points=points,
            label_title="Enabler",
            axis_title="Agreeing (% of respondents)",
            domain=(0.0, 100.0),
            k=a.k,
            what="share agreeing",
            reference=50.0,
        ),
    )


def _focus(a: WaveAnalysis) -> tuple[Section, ...]:
    """The instrument's focus block (CRI: Citizens) against each other block; none without one."""
    focus = a.data.instrument.focus
    if focus is None:
        return ()
    block = a.data.instrument.block(focus.block)
    name = block.title.get()
    rationale = (focus.rationale or block.description).get()
    compares = (
        f"The table compares each respondent's {name} score with their score on each other block."
    )
    table = contrasts_table(
        table_id=f"{block.id}-vs-blocks",
        caption=f"{name} compared with each other block (paired differences)",
        contrasts=a.citizens_vs_others,
        k=a.k,
    )
    return (
        Section(
            block.id,
            f"{name} compared with the other blocks",
            (
                Paragraph(f"{rationale} {compares}" if rationale else compares),
                FindingList((findings.lowest_block(a), findings.citizens_lag(a))),
                table,
            ),
        ),
    )


def _value(a: WaveAnalysis) -> Section:
    v = a.validation
    r = v.correlation
    content: list[Paragraph | FindingList | Table] = []
    if v.published and np.isfinite(r.r):
        content.append(
            Paragraph(
                "If the index measures readiness, organisations that score higher should report "
                "more from collaboration. The outcomes score (better outcomes for people, "
                "efficiency, innovation) is compared with the index: weighted correlation "
                f"r = {fmt_number(r.r, digits=2)} (95% CI {fmt_number(r.ci_lower, digits=2)} "
                f"to {fmt_number(r.ci_upper, digits=2)}, n = {r.n:,}; design-based interval "
                "on Fisher's z, organisations as clusters)."
            )
        )
    else:
        content.append(
            Paragraph(
                f"The correlation of the index with the outcomes score is not shown: fewer than "
                f"{a.k} respondents answered both."
            )
        )
    content.append(FindingList((findings.index_predicts_outcomes(a),)))
    reg = v.regression
    if reg is not None:
        coef_rows = tuple(
            (
                Cell.label("Intercept" if term == "(Intercept)" else term),
                Cell.number(float(reg.estimate[j]), digits=3),
                Cell(
                    f"{fmt_number(float(reg.ci_low[j]), digits=3)} to "
                    f"{fmt_number(float(reg.ci_high[j]), digits=3)}",
                    float(reg.ci_low[j]),
                    CellStatus.PUBLISHED,
                    ci=(float(reg.ci_low[j]), float(reg.ci_high[j])),
                ),
                Cell(p_value(float(reg.p_value[j])), float(reg.p_value[j]), CellStatus.PUBLISHED),
            )
            for j, term in enumerate(reg.terms)
        )
        content.append(
            Table(
                "validation-regression",
                "Design-based regression of the outcomes score on the "
                f"{findings.count_words(len(a.data.instrument.blocks))} block scores "
                f"(n = {reg.n:,}, R² = {reg.r_squared:.2f}, {reg.df:,} df)",
                ("Term", "Coefficient", "95% CI", "p"),
                coef_rows,
                (
                    "Weighted least squares; standard errors by linearisation through the "
                    "survey design (calibration and clusters), as R's svyglm.",
                ),
                a.k,
            )
        )
    rel = _reliability_table(a)
    if rel is not None:
        content += [
            Paragraph(
                "Reliability: Cronbach's alpha with its Feldt 95% interval and McDonald's "
                "omega (one factor) for each block and its commitment and capacity subscales, "
                "from the unweighted responses (reverse-worded statements flipped; "
                "respondents with every statement of the scale answered)."
            ),
            rel,
        ]
        content.append(
            Paragraph(
                "Each statement's correlation with the rest of its block is in the appendix "
                "on statement reliability."
            )
        )
    return Section("value", "Assessing the value of the index", tuple(content))


def _reliability_table(a: WaveAnalysis) -> Table | None:
    if a.reliability is None:
        return None
    inst = a.data.instrument
    scales = a.reliability.scales
    status = protect_counts([s.alpha.n for s in scales], k=a.k)
    rows: list[tuple[Cell, ...]] = []
    for s, st in zip(scales, status, strict=True):
        label = Cell.label(column_title(inst, s.scale))
        if st is not CellStatus.PUBLISHED:
            rows.append((label, Cell.count(s.alpha.k), *([Cell.hidden()] * 4)))
            continue
        omega = s.omega.omega_total if s.omega is not None else float("nan")
        rows.append(
            (
                label,
                Cell.count(s.alpha.k),
                Cell.count(s.alpha.n),
                Cell.number(s.alpha.alpha, digits=2),
                Cell(
                    f"{fmt_number(s.alpha.ci_lower, digits=2)} to "
                    f"{fmt_number(s.alpha.ci_upper, digits=2)}",
                    s.alpha.ci_lower,
                    CellStatus.PUBLISHED,
                    ci=(s.alpha.ci_lower, s.alpha.ci_upper),
                ),
                Cell.number(omega, digits=2),
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


def _item_statistics(a: WaveAnalysis) -> tuple[Section, ...]:
    table = _item_rest_table(a)
    if table is None:
        return ()
    intro = Paragraph(
        "For each statement: its correlation with the sum of the other statements of its "
        "block (item–rest correlation, reverse-worded statements flipped), and the block's "
        "Cronbach's alpha if the statement were left out. A statement that correlates weakly "
        "with the rest, or whose removal raises alpha, measures something else."
    )
    return (Section("item-statistics", "Statement reliability", (intro, table), appendix=True),)


def _item_rest_table(a: WaveAnalysis) -> Table | None:
    """Item–rest correlation and alpha if deleted, for each statement within its block."""
    if a.reliability is None:
        return None
    inst = a.data.instrument
    blocks = [s for s in a.reliability.scales if s.dimension is None]
    status = protect_counts([s.alpha.n for s in blocks], k=a.k)
    text = {i.id: i.text.get() for b in inst.blocks for i in b.items}
    rows: list[tuple[Cell, ...]] = []
    for s, st in zip(blocks, status, strict=True):
        title = column_title(inst, s.scale)
        for item, rest, deleted in zip(
            s.alpha.items, s.alpha.item_rest, s.alpha.alpha_if_deleted, strict=True
        ):
            head = (Cell.label(item), Cell.label(title), Cell.label(text.get(item, "")))
            if st is not CellStatus.PUBLISHED:
                rows.append((*head, Cell.hidden(), Cell.hidden()))
            else:
                rows.append(
                    (
                        *head,
                        Cell.number(rest, digits=2),
                        Cell.number(deleted, digits=2),
                    )
                )
    return Table(
        "item-rest",
        "Statements: correlation with the rest of their block, and the block's alpha without them",
        ("Item", "Block", "Statement", "Item–rest r", "Alpha if deleted"),
        tuple(rows),
        (),
        a.k,
    )


__all__ = [
    "DEFAULT_SUBTITLE",
    "DEFAULT_TITLE",
    "AnalysisData",
    "Fieldwork",
    "NationalReportError",
    "fieldwork_period",
    "national_report",
]
