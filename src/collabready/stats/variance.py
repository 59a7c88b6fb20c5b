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

from dataclasses import dataclass
from enum import StrEnum

import numpy as np
import numpy.typing as npt

from collabready.stats._kernels import group_sum
from collabready.stats.design import SurveyDesign
from collabready.stats.factor import Factor

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


def prepare_variable(design: SurveyDesign, values: npt.ArrayLike) -> PreparedVariable:
    """Centre ``values`` (NaN = missing) and form the weighted products the kernels need."""
    y = np.asarray(values, dtype=np.float64)
    if y.shape != (design.n,):
        raise ValueError(f"variable has shape {y.shape}; the design has {design.n} rows")
    finite = np.isfinite(y)
    all_valid = bool(finite.all())
    w = design.weights
    if all_valid:
        shift = float(np.dot(w, y) / w.sum())
        yc = y - shift
    else:
        shift = float(np.dot(w[finite], y[finite]) / w[finite].sum()) if finite.any() else 0.0
        yc = np.where(finite, y - shift, 0.0)
    wy = w * yc
    w2y = w * wy
    return PreparedVariable(
        valid=None if all_valid else finite, shift=shift, y=yc, wy=wy, w2y=w2y, w2y2=w2y * yc
    )


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
    variable: PreparedVariable,
    group: Factor,
    statistic: Statistic = Statistic.MEAN,
    tables: GroupTables | None = None,
) -> DomainEstimates:
    """Estimates and their covariance for every level of ``group`` (see module doc).

    ``tables`` (from :func:`group_tables`) saves three passes over the rows
    when several complete variables share a grouping.
    """
    n_dom = group.n_levels
    slots = n_dom + 1
    cal = design.calibration
    if tables is None or variable.valid is not None:
        tables = group_tables(design, group, variable.valid)
    key = tables.key
    if design.psu is None:

        def tab(values: FloatArray) -> FloatArray:
            return group_sum(key, values, tables.size).reshape(tables.shape)

        count, s_w, s_w2 = tables.count, tables.s_w, tables.s_w2
        s_y = tab(variable.y) if cal is not None else np.zeros(tables.shape)
        s_wy, s_w2y, s_w2y2 = tab(variable.wy), tab(variable.w2y), tab(variable.w2y2)
    else:
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
        estimate = centred_mean + variable.shift
        alpha = np.where(has, 1.0 / safe_w, 0.0)
        beta = -centred_mean * alpha
    else:
        estimate = total_wy + variable.shift * weighted_n
        alpha = np.ones(n_dom)
        beta = np.full(n_dom, variable.shift)
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
