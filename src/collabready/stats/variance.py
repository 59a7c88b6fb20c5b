"""Taylor-linearisation variances: the engine behind every standard error.

Two routes give the same numbers:

* :func:`influence_covariance` takes row-level influence values (n × k), as R's
  ``svyrecvar`` does: residualise them from the raking margins (if any), sum
  them within PSUs, centre within strata and add up the scaled cross-products.
* :func:`domain_covariance` computes the covariance of the means (or totals)
  of one variable in every domain of one grouping without ever forming the
  n × domains influence matrix. The influence of a domain mean is
  ``w_i (z_i - a[cell_i])`` with ``z_i = 1{i in d} (y_i - ybar_d) / W_d``; all
  the sums the variance needs are sums over (stratum, calibration cell,
  domain) groups, so a handful of :func:`numpy.bincount` passes over the rows
  suffice, however many domains there are. Rows outside a domain keep their
  place in the design (zero influence before calibration), which is what R
  does for domains (``svyby``, ``subset``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum

import numpy as np
import numpy.typing as npt

from collabready.stats._kernels import group_sum
from collabready.stats.design import SurveyDesign
from collabready.stats.factor import Factor, compact_codes

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.intp]


class Statistic(StrEnum):
    """A linear statistic of one variable within domains."""

    MEAN = "mean"
    TOTAL = "total"


def _column_sums(index: IntArray, values: FloatArray, size: int) -> FloatArray:
    return np.stack([group_sum(index, values[:, j], size) for j in range(values.shape[1])], axis=1)


def _stratified_crossproduct(design: SurveyDesign, totals: FloatArray) -> FloatArray:
    """Σ_h scale_h Σ_{u in h} (X_u - centre_h)(X_u - centre_h)ᵀ for unit totals X (units × k)."""
    unit_stratum = design.unit_stratum()
    if design.n_strata == 1:
        mean = totals.mean(axis=0) if design.stratum_centre[0] else np.zeros(totals.shape[1])
        centred = totals - mean
        single: FloatArray = design.stratum_scale[0] * (centred.T @ centred)
        return single
    sums = _column_sums(unit_stratum, totals, design.n_strata)
    means = sums / design.stratum_n_psu[:, None] * design.stratum_centre[:, None]
    centred = totals - means[unit_stratum]
    scaled = centred * design.stratum_scale[unit_stratum][:, None]
    result: FloatArray = scaled.T @ centred
    return result


def influence_covariance(design: SurveyDesign, influence: npt.ArrayLike) -> FloatArray:
    """Covariance matrix (k × k) of estimators with row-level influence values (n × k)."""
    x = np.asarray(influence, dtype=np.float64)
    x = x.reshape(x.shape[0], -1)
    if design.calibration is not None:
        x = design.calibration.residualise(x, design.weights)
    if design.psu is not None:
        x = _column_sums(design.psu, x, design.n_psu)
    return _stratified_crossproduct(design, x)


@dataclass(frozen=True, slots=True)
class DomainEstimates:
    """Estimates of one statistic of one variable in each level of one grouping."""

    estimate: FloatArray
    covariance: FloatArray
    n: IntArray
    weighted_n: FloatArray
    #: PSUs with respondents in the domain minus strata with respondents in it
    #: (R's ``degf`` of the subset design; used by the Korn–Graubard interval)
    domain_df: IntArray


@dataclass(frozen=True, slots=True)
class PreparedVariable:
    """A variable's row arrays, computed once and reused for every grouping."""

    valid: npt.NDArray[np.bool_] | None
    shift: float
    y: FloatArray
    wy: FloatArray
    w2y: FloatArray
    w2y2: FloatArray


def _centre(
    design: SurveyDesign, values: npt.ArrayLike
) -> tuple[npt.NDArray[np.bool_] | None, float, FloatArray]:
    """(valid mask or None when all valid, shift, values minus shift with 0 where missing)."""
    y = np.asarray(values, dtype=np.float64)
    if y.shape != (design.n,):
        raise ValueError(f"variable has shape {y.shape}; the design has {design.n} rows")
    finite = np.isfinite(y)
    w = design.weights
    if finite.all():
        shift = float(np.dot(w, y) / w.sum())
        return None, shift, y - shift
    gone = np.flatnonzero(~finite)
    yc = y.copy()
    yc[gone] = 0.0
    weight = float(w.sum() - w[gone].sum())
    shift = float(np.dot(w, yc) / weight) if gone.size < y.size else 0.0
    yc -= shift
    yc[gone] = 0.0
    return finite, shift, yc


def prepare_variable(design: SurveyDesign, values: npt.ArrayLike) -> PreparedVariable:
    """Centre ``values`` (NaN = missing) and form the weighted products the kernels need."""
    valid, shift, yc = _centre(design, values)
    w = design.weights
    wy = w * yc
    w2y = w * wy
    return PreparedVariable(valid=valid, shift=shift, y=yc, wy=wy, w2y=w2y, w2y2=w2y * yc)


@dataclass(frozen=True, slots=True)
class RowTables:
    """Sums over (stratum, calibration cell, domain slot) of one variable in one grouping.

    Arrays are strata × cells × (domains + 1); the last slot holds the rows
    outside every domain (or missing the variable). ``count``, ``s_w`` and
    ``s_w2`` count the variable's valid rows in the domain slots and every
    row over all slots; ``s_y``, ``s_wy``, ``s_w2y`` and ``s_w2y2`` are sums of
    ``y``, ``w y``, ``w² y`` and ``w² y²`` with ``y`` centred at ``shift``.
    """

    shift: float
    count: FloatArray
    s_w: FloatArray
    s_w2: FloatArray
    s_y: FloatArray
    s_wy: FloatArray
    s_w2y: FloatArray
    s_w2y2: FloatArray


#: The fused path is used while its table has at most this many cells per data row.
_FUSED_MAX_FRACTION = 0.25


def fused_row_tables(
    design: SurveyDesign,
    variables: Mapping[str, npt.ArrayLike],
    groupings: Sequence[Factor],
) -> list[tuple[str, int, RowTables]] | None:
    """:class:`RowTables` of every (variable, grouping) from one pass per variable.

    The rows are keyed once by (stratum, calibration cell, combination of the
    groupings' levels) — the *fine* table, usually a few hundred groups — and
    each variable's sums are taken over that key with four bincounts whatever
    the number of groupings; each grouping's tables are then the fine table
    summed within its levels (a small matrix product). Rows missing the
    variable are moved to a "missing" slot of the fine table by correcting the
    all-row counts with the (few) missing rows only. Returns ``None`` when the
    design has clusters or the fine table would be large (then the
    per-grouping path is used).
    """
    if design.psu is not None or not groupings:
        return None
    n = design.n
    combo = np.zeros(n, dtype=np.int64)
    placement: list[tuple[int, int]] = []
    mult = 1
    for factor in groupings:
        levels = factor.n_levels + 1  # level 0 = missing in this grouping
        if mult * levels > 1 << 40:
            return None
        if mult == 1:
            combo += factor.codes
            combo += 1
        else:
            combo += (factor.codes + 1) * np.int64(mult)
        placement.append((mult, levels))
        mult *= levels
    cal = design.calibration
    n_cells = 1 if cal is None else cal.n_cells
    n_strata = design.n_strata
    if n_strata * n_cells * mult > max(4096, _FUSED_MAX_FRACTION * n) and mult > n:
        return None
    fine, present = compact_codes(combo, mult)
    width = int(present.size) + 1  # the last fine slot: rows missing the variable
    n_hc = n_strata * n_cells
    size = n_hc * width
    if size > max(4096, _FUSED_MAX_FRACTION * n):
        return None
    key = fine
    if cal is not None or n_strata > 1:
        hc = cal.cell if cal is not None else np.zeros(n, dtype=np.intp)
        if n_strata > 1:
            hc = design.strata * n_cells + hc
        key = hc * width + fine
    w = design.weights
    w2 = w * w
    count_all = group_sum(key, None, size)
    w_all = group_sum(key, w, size)
    w2_all = group_sum(key, w2, size)
    # Raked weights with equal base weights are constant within a calibration cell,
    # hence within a fine group; then Σ w y = w_g Σ y and so on: two sums per variable.
    w_fine = np.zeros(size)
    w_fine[key] = w
    constant = bool(np.array_equal(w_fine[key], w))
    maps = []
    for (step, levels), factor in zip(placement, groupings, strict=True):
        code = (present // step) % levels - 1
        onehot = np.zeros((width, factor.n_levels + 1))
        onehot[np.arange(present.size), np.where(code >= 0, code, factor.n_levels)] = 1.0
        onehot[width - 1, factor.n_levels] = 1.0
        maps.append(onehot)

    def moved(rows: IntArray, values: FloatArray | None) -> FloatArray:
        """Change to a table when ``rows`` move to their missing slot."""
        k_from = key[rows]
        k_to = k_from - k_from % width + (width - 1)
        return group_sum(k_to, values, size) - group_sum(k_from, values, size)

    out: list[tuple[str, int, RowTables]] = []
    shape = (n_hc, width)
    for name, values in variables.items():
        valid, shift, yc = _centre(design, values)
        count, s_w, s_w2 = count_all, w_all, w2_all
        if valid is not None:
            gone = np.flatnonzero(~valid)
            count = count_all + moved(gone, None)
            s_w = w_all + moved(gone, w[gone])
            s_w2 = w2_all + moved(gone, w2[gone])
        if constant:
            s_y = group_sum(key, yc, size)
            s_yy = group_sum(key, yc * yc, size)
            w2_fine = w_fine * w_fine
            y_tables = (s_y, w_fine * s_y, w2_fine * s_y, w2_fine * s_yy)
        else:
            w2y = w2 * yc
            y_tables = (
                group_sum(key, yc, size) if cal is not None else np.zeros(size),
                group_sum(key, w * yc, size),
                group_sum(key, w2y, size),
                group_sum(key, w2y * yc, size),
            )
        fine_tables = (count, s_w, s_w2, *y_tables)
        for g, onehot in enumerate(maps):
            summed = [
                (t.reshape(shape) @ onehot).reshape(n_strata, n_cells, -1) for t in fine_tables
            ]
            out.append((name, g, RowTables(shift, *summed)))
    return out


@dataclass(frozen=True, slots=True)
class GroupTables:
    """Row-to-table keys of one grouping and the tables that do not depend on the variable.

    Valid for every variable without missing values, so they are built once per
    grouping. Rows path: tables are strata × cells × (domains + 1); cluster
    path: ``s_w`` is PSUs × (domains + 1) and ``count`` is 1 × cells × (domains + 1).
    """

    key: IntArray
    size: int
    shape: tuple[int, int, int]
    cell_key: IntArray
    count: FloatArray
    s_w: FloatArray
    s_w2: FloatArray


def group_tables(
    design: SurveyDesign, group: Factor, valid: npt.NDArray[np.bool_] | None = None
) -> GroupTables:
    """Keys and variable-free tables for ``group`` (rows with ``valid`` False are outside)."""
    n_dom = group.n_levels
    slots = n_dom + 1  # the last slot holds the rows outside every domain
    codes = group.codes if valid is None else np.where(valid, group.codes, -1)
    dom = np.where(codes >= 0, codes, n_dom)
    cal = design.calibration
    n_cells = 1 if cal is None else cal.n_cells
    w = design.weights
    cell_key = dom if cal is None else cal.cell * slots + dom
    if design.psu is None:
        key = cell_key
        if design.n_strata > 1:
            key = design.strata * (n_cells * slots) + key
        shape = (design.n_strata, n_cells, slots)
        size = int(np.prod(shape))
        return GroupTables(
            key=key,
            size=size,
            shape=shape,
            cell_key=cell_key,
            count=group_sum(key, None, size).reshape(shape),
            s_w=group_sum(key, w, size).reshape(shape),
            s_w2=group_sum(key, w * w, size).reshape(shape),
        )
    key = design.psu * slots + dom
    size = design.n_psu * slots
    return GroupTables(
        key=key,
        size=size,
        shape=(design.n_psu, 1, slots),
        cell_key=cell_key,
        count=group_sum(cell_key, None, n_cells * slots).reshape(1, n_cells, slots),
        s_w=group_sum(key, w, size).reshape(design.n_psu, 1, slots),
        s_w2=np.zeros(0),
    )


def domain_covariance(
    design: SurveyDesign,
    variable: PreparedVariable | None,
    group: Factor,
    statistic: Statistic = Statistic.MEAN,
    *,
    tables: GroupTables | None = None,
    row_tables: RowTables | None = None,
) -> DomainEstimates:
    """Estimates and their covariance for every level of ``group`` (see module doc).

    ``tables`` (from :func:`group_tables`) saves three passes over the rows
    when several complete variables share a grouping; ``row_tables`` (from
    :func:`fused_row_tables`, designs without clusters) replaces every pass.
    """
    n_dom = group.n_levels
    slots = n_dom + 1
    cal = design.calibration
    if row_tables is not None:
        if design.psu is not None:
            raise ValueError("row tables are for designs without clusters")
        shift = row_tables.shift
        count, s_w, s_w2 = row_tables.count, row_tables.s_w, row_tables.s_w2
        s_y, s_wy = row_tables.s_y, row_tables.s_wy
        s_w2y, s_w2y2 = row_tables.s_w2y, row_tables.s_w2y2
    elif variable is None:
        raise ValueError("domain_covariance needs a variable or its row tables")
    elif design.psu is None:
        shift = variable.shift
        if tables is None or variable.valid is not None:
            tables = group_tables(design, group, variable.valid)
        key = tables.key
        size, shape = tables.size, tables.shape

        def tab(values: FloatArray) -> FloatArray:
            return group_sum(key, values, size).reshape(shape)

        count, s_w, s_w2 = tables.count, tables.s_w, tables.s_w2
        s_y = tab(variable.y) if cal is not None else np.zeros(shape)
        s_wy, s_w2y, s_w2y2 = tab(variable.wy), tab(variable.w2y), tab(variable.w2y2)
    else:
        shift = variable.shift
        if tables is None or variable.valid is not None:
            tables = group_tables(design, group, variable.valid)
        key = tables.key
        count = tables.count
        n_cells = count.shape[1]
        s_y = group_sum(tables.cell_key, variable.y, n_cells * slots).reshape(count.shape)
        psu_w = tables.s_w.reshape(-1, slots)
        psu_wy = group_sum(key, variable.wy, tables.size).reshape(-1, slots)
        s_w = psu_w.sum(axis=0).reshape(1, 1, slots)
        s_wy = psu_wy.sum(axis=0).reshape(1, 1, slots)
    if design.psu is None:
        in_stratum = count.sum(axis=1)[:, :n_dom]  # strata × domains
        domain_df = (in_stratum.sum(axis=0) - (in_stratum > 0).sum(axis=0)).astype(np.intp)
    else:
        present = psu_w[:, :n_dom] > 0
        strata_in = [
            np.count_nonzero(np.bincount(design.psu_stratum[present[:, d]], minlength=1))
            for d in range(n_dom)
        ]
        domain_df = (present.sum(axis=0) - np.asarray(strata_in)).astype(np.intp)
    weighted_n = s_w.sum(axis=(0, 1))[:n_dom]
    n = count.sum(axis=(0, 1))[:n_dom].astype(np.intp)
    total_wy = s_wy.sum(axis=(0, 1))[:n_dom]
    has = weighted_n > 0
    safe_w = np.where(has, weighted_n, 1.0)
    if statistic is Statistic.MEAN:
        centred_mean = total_wy / safe_w
        estimate = centred_mean + shift
        alpha = np.where(has, 1.0 / safe_w, 0.0)
        beta = -centred_mean * alpha
    else:
        estimate = total_wy + shift * weighted_n
        alpha = np.ones(n_dom)
        beta = np.full(n_dom, shift)
    estimate = np.where(has, estimate, np.nan)
    adjust = None
    if cal is not None:
        cell_z = (alpha * s_y[..., :n_dom] + beta * count[..., :n_dom]).sum(axis=0)
        adjust = cal.cell_adjustments(cell_z)  # cells × domains
    if design.psu is None:
        # unit totals are rows: expand Σ_i x_i x_iᵀ and Σ_i x_i over (stratum, cell, domain)
        t_in = (alpha * s_wy[..., :n_dom] + beta * s_w[..., :n_dom]).sum(axis=1)  # h × d
        sq = alpha**2 * s_w2y2[..., :n_dom] + 2 * alpha * beta * s_w2y[..., :n_dom]
        sq = (sq + beta**2 * s_w2[..., :n_dom]).sum(axis=1)  # h × d
        q = np.einsum("hd,de->hde", sq, np.eye(n_dom))
        if adjust is not None:
            t_in = t_in - s_w.sum(axis=2) @ adjust
            b = alpha * s_w2y[..., :n_dom] + beta * s_w2[..., :n_dom]  # h × c × d
            cross = np.einsum("hcd,ce->hde", b, adjust)
            w2_all = s_w2.sum(axis=2)  # h × c
            q = q - cross - cross.transpose(0, 2, 1)
            q = q + np.einsum("hc,cd,ce->hde", w2_all, adjust, adjust)
        centre = design.stratum_centre / design.stratum_n_psu
        q = q - np.einsum("h,hd,he->hde", centre, t_in, t_in)
        covariance = np.einsum("h,hde->de", design.stratum_scale, q)
    else:
        totals = alpha * psu_wy[:, :n_dom] + beta * psu_w[:, :n_dom]
        if adjust is not None:
            totals = totals - design.psu_cell_weights @ adjust
        covariance = _stratified_crossproduct(design, totals)
    covariance[~has, :] = np.nan
    covariance[:, ~has] = np.nan
    return DomainEstimates(
        estimate=estimate,
        covariance=covariance,
        n=n,
        weighted_n=weighted_n.astype(np.float64),
        domain_df=domain_df,
    )
