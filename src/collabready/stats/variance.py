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

  :func:`fused_row_tables` gives those sums for every variable and grouping
  at once; on large clustered designs through the compiled kernels of
  :mod:`collabready.stats._cluster_kernel` (``engine="kernel"``), otherwise
  with numpy (``engine="numpy"``, the reference the kernel is tested against).

Why this module is long: the two routes are one algorithm (PSU sums, strata
centring, residualising on the raking margins, the lonely-PSU rules) written
twice, once for influence matrices and once over grouped sums, and they share
those private steps; they are tested against each other and against R. Split,
the steps each route depends on would sit in another file from the route.
"""

from __future__ import annotations

import itertools
import os
from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, Literal

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
class ClusterTables:
    """PSU-level sums of one variable in one grouping, for designs with clusters.

    For a PSU ``u`` let ``P_u = Σ w y`` and ``Q_u = Σ w`` over its rows with
    a valid value and ``W_u = Σ w`` over all its rows, ``s_u`` the scale of its
    stratum. A PSU is *simple* when all its rows share one calibration cell
    and one level (or none) of every grouping, so that its total for a domain
    is ``A_u = α P_u + β Q_u`` in its own domain slot and 0 elsewhere, less
    ``W_u a[cell]`` after calibration. Arrays ``s_pp`` .. ``s_ww`` (strata ×
    cells × (domains + 1)) hold ``Σ s P²``, ``Σ s P Q``, ``Σ s Q²``,
    ``Σ s P W``, ``Σ s Q W`` and ``Σ s W²`` over the simple PSUs;
    ``psu_count`` counts the simple PSUs with a valid row. The other
    (*mixed*) PSUs are kept one by one: ``mixed_p`` and ``mixed_q``
    (mixed PSUs × (domains + 1)), ``mixed_scale`` their ``s_u``,
    ``mixed_stratum`` their stratum and ``mixed_cells`` (sparse, mixed PSUs ×
    cells) their weight in each calibration cell.
    """

    s_pp: FloatArray
    s_pq: FloatArray
    s_qq: FloatArray
    s_pw: FloatArray
    s_qw: FloatArray
    s_ww: FloatArray
    psu_count: FloatArray
    mixed_p: FloatArray
    mixed_q: FloatArray
    mixed_scale: FloatArray
    mixed_stratum: IntArray
    mixed_cells: Any


@dataclass(frozen=True, slots=True)
class RowTables:
    """Sums over (stratum, calibration cell, domain slot) of one variable in one grouping.

    Arrays are strata × cells × (domains + 1); the last slot holds the rows
    outside every domain (or missing the variable). ``count``, ``s_w`` and
    ``s_w2`` count the variable's valid rows in the domain slots and every
    row over all slots; ``s_y``, ``s_wy``, ``s_w2y`` and ``s_w2y2`` are sums of
    ``y``, ``w y``, ``w² y`` and ``w² y²`` with ``y`` centred at ``shift``.
    For designs with clusters the ``w²`` sums are not formed (zeros) and
    ``clusters`` holds the PSU-level sums instead.
    """

    shift: float
    count: FloatArray
    s_w: FloatArray
    s_w2: FloatArray
    s_y: FloatArray
    s_wy: FloatArray
    s_w2y: FloatArray
    s_w2y2: FloatArray
    clusters: ClusterTables | None = None


#: The fused path is used while its table has at most this many cells per data row.
_FUSED_MAX_FRACTION = 0.25


@dataclass(frozen=True, slots=True)
class _PsuLayout:
    """The PSUs renumbered so that simple ones (see :class:`ClusterTables`) come
    first, sorted by fine key, and mixed ones last: sums over a fine group are
    then sums over a contiguous run (:func:`numpy.add.reduceat`)."""

    row_psu: IntArray  # each row's PSU in the new numbering
    weight: FloatArray  # W_u (new numbering)
    rows: FloatArray  # number of rows of each PSU
    scale: FloatArray | float  # s_u (a number when every stratum has the same)
    n_simple: int  # PSUs 0..n_simple-1 are simple
    keys: IntArray  # the fine key of each run of simple PSUs
    starts: IntArray  # where each run starts
    s_ww: FloatArray  # Σ s W² over simple PSUs, by fine key
    mixed_rows: IntArray  # rows of mixed PSUs
    mixed_local: IntArray  # their mixed-PSU number (0, 1, ...)
    mixed_psu: IntArray  # the mixed PSUs in the design's numbering
    count: FloatArray  # simple PSUs by fine key
    buffer: FloatArray  # 6 × simple PSUs, reused for each variable's products


def _psu_layout(design: SurveyDesign, key: IntArray, size: int) -> _PsuLayout:
    psu = design.psu
    assert psu is not None
    n_psu = design.n_psu
    first = np.empty(n_psu, dtype=key.dtype)
    first[psu] = key
    differs = np.flatnonzero(key != first[psu])
    mixed = np.zeros(n_psu, dtype=np.bool_)
    mixed[psu[differs]] = True
    psu_key = np.where(mixed, size, first)
    # a stable sort by key; on a compact key below 2**16 numpy uses a radix sort
    compact, present = compact_codes(psu_key.astype(np.int64), size + 1)
    sortable = compact.astype(np.uint16) if present.size <= 1 << 16 else compact
    order = np.argsort(sortable, kind="stable")
    renumber = np.empty(n_psu, dtype=np.intp)
    renumber[order] = np.arange(n_psu)
    row_psu = renumber[psu]
    weight = group_sum(row_psu, design.weights, n_psu)
    scales = design.stratum_scale
    scale: FloatArray | float = (
        float(scales[0]) if np.all(scales == scales[0]) else scales[design.psu_stratum[order]]
    )
    n_simple = n_psu - int(np.count_nonzero(mixed))
    sorted_key = psu_key[order[:n_simple]]
    starts = np.flatnonzero(np.r_[True, sorted_key[1:] != sorted_key[:-1]])
    if not n_simple:
        starts = np.zeros(0, dtype=np.intp)
    keys = sorted_key[starts].astype(np.intp)
    s_ww = np.zeros(size)
    if n_simple:
        ww = weight[:n_simple] * weight[:n_simple]
        if isinstance(scale, float):
            s_ww[keys] = scale * np.add.reduceat(ww, starts)
        else:
            s_ww[keys] = np.add.reduceat(scale[:n_simple] * ww, starts)
    mixed_rows = np.flatnonzero(row_psu >= n_simple)
    return _PsuLayout(
        row_psu=row_psu,
        weight=weight,
        rows=group_sum(row_psu, None, n_psu),
        scale=scale,
        n_simple=n_simple,
        keys=keys,
        starts=starts.astype(np.intp),
        s_ww=s_ww,
        mixed_rows=mixed_rows,
        mixed_local=(row_psu[mixed_rows] - n_simple).astype(np.intp),
        mixed_psu=order[n_simple:].astype(np.intp),
        count=group_sum(keys, np.diff(np.r_[starts, n_simple]).astype(np.float64), size),
        buffer=np.empty((6, n_simple)),
    )


#: How :func:`fused_row_tables` sums a clustered design: the compiled kernel
#: (:mod:`collabready.stats._cluster_kernel`, one pass for all variables), numpy
#: (bincounts and ``reduceat`` per variable; the reference the kernel is tested
#: against), or ``"auto"``: the kernel from :data:`KERNEL_MIN_ROWS` rows.
Engine = Literal["auto", "kernel", "numpy"]
#: From this many rows ``engine="auto"`` uses the kernel. Below it numpy's passes take
#: milliseconds, and a process that never estimates a large clustered design never
#: imports numba (about a second) nor loads its compiled code.
KERNEL_MIN_ROWS = 50_000


def fused_row_tables(
    design: SurveyDesign,
    variables: Mapping[str, npt.ArrayLike],
    groupings: Sequence[Factor],
    *,
    engine: Engine = "auto",
) -> list[tuple[str, int, RowTables]] | None:
    """:class:`RowTables` of every (variable, grouping) from one pass per variable.

    The rows are keyed once by (stratum, calibration cell, combination of the
    groupings' levels) — the *fine* table, usually a few hundred groups — and
    each variable's sums are taken over that key with four bincounts whatever
    the number of groupings; each grouping's tables are then the fine table
    summed within its levels (a small matrix product). Rows missing the
    variable are moved to a "missing" slot of the fine table by correcting the
    all-row counts with the (few) missing rows only. Returns ``None`` when the
    fine table would be large (then the per-grouping path is used).

    With clusters, the PSU totals ``P_u``, ``Q_u`` of each variable are taken
    once (one bincount over the rows) and the PSUs that lie in one fine group
    are summed over the same fine key (:class:`ClusterTables`); the few PSUs
    that straddle fine groups are kept as PSU × domain tables. With
    ``engine="kernel"`` (the default, ``"auto"``, from :data:`KERNEL_MIN_ROWS`
    rows) these sums are taken for all variables at once by compiled kernels
    (:mod:`collabready.stats._cluster_kernel`): two passes over the rows for the
    PSU layout, one for all variables' sums and one over the PSUs of several
    rows, instead of about ten passes per variable.
    """
    if not groupings:
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
    maps = []
    for (step, levels), factor in zip(placement, groupings, strict=True):
        code = (present // step) % levels - 1
        onehot = np.zeros((width, factor.n_levels + 1))
        onehot[np.arange(present.size), np.where(code >= 0, code, factor.n_levels)] = 1.0
        onehot[width - 1, factor.n_levels] = 1.0
        maps.append(onehot)
    clustered = design.psu is not None
    shape = (n_hc, width)

    def by_grouping(table: FloatArray, onehot: FloatArray) -> FloatArray:
        return (table.reshape(shape) @ onehot).reshape(n_strata, n_cells, -1)

    if clustered and (engine == "kernel" or (engine == "auto" and n >= KERNEL_MIN_ROWS)):
        return _kernel_row_tables(
            design, variables, groupings, key=key, size=size, width=width, maps=maps
        )
    layout = _psu_layout(design, key, size) if clustered else None
    w = design.weights
    w2 = w * w
    count_all = group_sum(key, None, size)
    w_all = group_sum(key, w, size)
    w2_all = np.zeros(size) if clustered else group_sum(key, w2, size)
    # Raked weights with equal base weights are constant within a calibration cell,
    # hence within a fine group; then Σ w y = w_g Σ y and so on: two sums per variable.
    w_fine = np.zeros(size)
    w_fine[key] = w
    constant = bool(np.array_equal(w_fine[key], w))

    def moved(rows: IntArray, values: FloatArray | None) -> FloatArray:
        """Change to a table when ``rows`` move to their missing slot."""
        k_from = key[rows]
        k_to = k_from - k_from % width + (width - 1)
        return group_sum(k_to, values, size) - group_sum(k_from, values, size)

    out: list[tuple[str, int, RowTables]] = []
    for name, values in variables.items():
        valid, shift, yc = _centre(design, values)
        gone = np.flatnonzero(~valid) if valid is not None else np.zeros(0, dtype=np.intp)
        count, s_w, s_w2 = count_all, w_all, w2_all
        if gone.size:
            count = count_all + moved(gone, None)
            s_w = w_all + moved(gone, w[gone])
            if not clustered:
                s_w2 = w2_all + moved(gone, w2[gone])
        wy = None
        if clustered:
            wy = w * yc
            zeros = np.zeros(size)
            y_tables = (
                group_sum(key, yc, size) if cal is not None else zeros,
                group_sum(key, wy, size),
                zeros,
                zeros,
            )
        elif constant:
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
        psu_fine: tuple[FloatArray, ...] = ()
        if layout is not None and wy is not None:
            psu_fine = _psu_fine_tables(design, layout, wy, gone, size)
        for g, onehot in enumerate(maps):
            summed = [by_grouping(t, onehot) for t in fine_tables]
            extra = None
            if layout is not None and wy is not None:
                psu_summed = [by_grouping(t, onehot) for t in psu_fine]
                rows = layout.mixed_rows
                extra = _cluster_tables(
                    design,
                    (rows, layout.mixed_local, layout.mixed_psu),
                    summed=psu_summed,
                    group=groupings[g],
                    valid=None if valid is None else valid[rows],
                    wy=wy[rows],
                )
            count_g, s_w_g, s_w2_g, s_y_g, s_wy_g, s_w2y_g, s_w2y2_g = summed
            tables = RowTables(
                shift, count_g, s_w_g, s_w2_g, s_y_g, s_wy_g, s_w2y_g, s_w2y2_g, clusters=extra
            )
            out.append((name, g, tables))
    return out


def _stacked(design: SurveyDesign, variables: Mapping[str, npt.ArrayLike]) -> FloatArray:
    """The variables as the rows of one (variables × n) array (NaN = missing).

    float32 when every variable is float32 (the score columns): the kernels
    widen each value to float64 as they read it, which gives exactly the sums
    of a float64 copy, and the copy is half the size. float64 otherwise.
    """
    arrays = [np.asarray(values) for values in variables.values()]
    single = all(y.dtype == np.float32 for y in arrays)
    ys = np.empty((len(arrays), design.n), dtype=np.float32 if single else np.float64)
    for j, values in enumerate(arrays):
        y = values if values.dtype.kind in "fiub" else values.astype(np.float64)
        if y.shape != (design.n,):
            raise ValueError(f"variable has shape {y.shape}; the design has {design.n} rows")
        ys[j] = y
    return ys


#: Threads for the kernels' sums (each takes a share of the variables), on designs
#: of at least this many rows.
_KERNEL_THREADS = max(1, min(2, os.cpu_count() or 1))
_KERNEL_THREAD_ROWS = 100_000


def _join(parts: list[FloatArray], sizes: list[int]) -> FloatArray:
    """Tables whose column ``t * k_p + j`` is term t of variable j of each part's ``k_p``
    variables, as one table of all ``k`` variables (column ``t * k + j``)."""
    if len(parts) == 1:
        return parts[0]
    rows = parts[0].shape[0]
    blocks = [p.reshape(rows, -1, kp) for p, kp in zip(parts, sizes, strict=True)]
    joined: FloatArray = np.concatenate(blocks, axis=2).reshape(rows, -1)
    return joined


def _kernel_row_tables(
    design: SurveyDesign,
    variables: Mapping[str, npt.ArrayLike],
    groupings: Sequence[Factor],
    *,
    key: IntArray,
    size: int,
    width: int,
    maps: list[FloatArray],
) -> list[tuple[str, int, RowTables]]:
    """:func:`fused_row_tables` of a clustered design from the compiled kernels.

    The same tables as the numpy route (``_psu_layout`` + ``_psu_fine_tables``
    per variable), from two passes over the rows for the PSU layout, one per
    variable for its centre, one over the rows for all variables' sums and one
    over the PSUs with several rows (see :mod:`collabready.stats._cluster_kernel`).
    Each grouping's tables are then the fine keys that occur summed within its
    levels, for all variables and sums at once.
    """
    from collabready.stats import _cluster_kernel as kernel

    psu = design.psu
    assert psu is not None
    n_psu, k = design.n_psu, len(variables)
    cal = design.calibration
    n_strata, n_cells = design.n_strata, 1 if cal is None else cal.n_cells
    w = np.ascontiguousarray(design.weights, dtype=np.float64)
    key64 = np.ascontiguousarray(key, dtype=np.int64)
    psu64 = np.ascontiguousarray(psu, dtype=np.int64)
    key_scale = np.repeat(design.stratum_scale.astype(np.float64), n_cells * width)
    # the kernels release the GIL: the layout runs while the variables are stacked,
    # and the variables' sums are split between the threads (each its own arrays)
    threads = min(_KERNEL_THREADS, k) if design.n >= _KERNEL_THREAD_ROWS else 1
    with ThreadPoolExecutor(max_workers=threads) as pool:
        layout = pool.submit(kernel.psu_layout, key64, psu64, w, n_psu, key_scale)
        ys = _stacked(design, variables)
        slot, order, info, mixed, fine_all = layout.result()
        m = int(order.size)
        scale = np.ascontiguousarray(design.stratum_scale[design.psu_stratum[order]])
        bounds = np.linspace(0, k, threads + 1).astype(int)

        def sums(part: tuple[int, int]) -> tuple[Any, ...]:
            part_ys = ys[part[0] : part[1]]
            shift, gone_counts = kernel.shifts(part_ys, w)
            lost = bool(gone_counts.any())
            acc, gone, fine, moves, single = kernel.row_sums(
                part_ys, shift, w, key64, slot, key_scale, width, m, lost
            )
            multi, common = kernel.psu_sums(acc, gone, info, mixed, scale, size, lost)
            if not lost:  # the same terms in every part
                multi = np.concatenate([multi, np.zeros((size, 2 * multi.shape[1]))], axis=1)
            return shift, gone_counts, fine, moves, single, multi, common

        results = list(pool.map(sums, list(itertools.pairwise(bounds.tolist()))))
    shift, gone_counts = (np.concatenate([r[i] for r in results]) for i in (0, 1))
    common = results[0][6]
    lost = bool(gone_counts.any())
    # the fine keys that occur, with the missing slots of their (stratum, cell): the
    # threads' tables are cut to these rows first (here 144 of 20,880)
    used = np.flatnonzero(fine_all[:, 0] > 0)
    used = np.union1d(used, used - used % width + width - 1)
    sizes = np.diff(bounds).tolist()
    fine, moves, single, multi = (_join([r[i][used] for r in results], sizes) for i in (2, 3, 4, 5))
    miss = gone_counts > 0
    ww = (common[used, 0] + fine_all[used, 2])[:, None]
    psu_count = (common[used, 1] + fine_all[used, 3])[:, None]
    s_pw = single[:, k : 2 * k] + multi[:, k : 2 * k]
    parts = [
        fine_all[used, :1] + moves[:, :k],  # count
        fine_all[used, 1:2] + moves[:, k:],  # s_w
        fine[:, :k] if cal is not None else np.zeros((used.size, k)),  # s_y
        fine[:, k:],  # s_wy
        single[:, :k] + multi[:, :k],  # s_pp
        s_pw,
    ]
    if lost:
        q_single = single[:, 2 * k : 3 * k]
        parts += [
            np.where(miss, single[:, 3 * k :] + multi[:, 2 * k : 3 * k], psu_count),
            np.where(miss, single[:, k : 2 * k] + multi[:, 3 * k : 4 * k], s_pw),
            np.where(miss, q_single + multi[:, 4 * k : 5 * k], ww),
            np.where(miss, q_single + multi[:, 5 * k :], ww),
        ]
    else:
        parts += [np.broadcast_to(psu_count, (used.size, k)), s_pw]
        parts += [np.broadcast_to(ww, (used.size, k))] * 2
    # count, s_w, s_y, s_wy, s_pp, s_pw, psu count, s_pq, s_qq, s_qw; and s_ww
    table = np.stack(parts, axis=1)  # used × 10 × k
    hc, at = np.divmod(used, width)
    mixed_new = np.flatnonzero(mixed)
    if mixed_new.size:
        is_mixed = np.zeros(m + 1, dtype=np.bool_)
        is_mixed[mixed_new] = True
        mixed_rows = np.flatnonzero(is_mixed[slot])  # slot -1 reads the last: False
    else:
        mixed_rows = np.zeros(0, dtype=np.intp)
    # mixed PSUs in the design's order, as the numpy route keeps them
    mixed_psu = order[mixed_new].astype(np.intp)
    by_number = np.argsort(mixed_psu)
    local = np.full(m + 1, -1, dtype=np.intp)
    local[mixed_new[by_number]] = np.arange(mixed_new.size)
    mixed_parts = (mixed_rows, local[slot[mixed_rows]], mixed_psu[by_number])
    y_rows = ys[:, mixed_rows]
    valid_rows = np.isfinite(y_rows)
    wy_rows = np.where(valid_rows, w[mixed_rows] * (y_rows - shift[:, None]), 0.0)
    by_grouping = []
    for onehot in maps:
        slots = onehot.shape[1]
        index = hc * slots + onehot.argmax(axis=1)[at]
        summed = np.zeros((n_strata * n_cells * slots, 10, k))
        np.add.at(summed, index, table)
        s_ww = group_sum(index, ww[:, 0], summed.shape[0])
        shape = (n_strata, n_cells, slots)
        by_grouping.append((summed.reshape(*shape, 10, k), s_ww.reshape(shape)))
    out: list[tuple[str, int, RowTables]] = []
    for j, name in enumerate(variables):
        valid = valid_rows[j] if miss[j] else None
        for g, (summed, s_ww) in enumerate(by_grouping):
            t = [np.ascontiguousarray(summed[..., i, j]) for i in range(10)]
            count, s_w, s_y, s_wy, s_pp, s_pw, n_psu_g, s_pq, s_qq, s_qw = t
            zeros = np.zeros_like(count)
            extra = _cluster_tables(
                design,
                mixed_parts,
                summed=[s_pp, s_pq, s_qq, s_pw, s_qw, s_ww, n_psu_g],
                group=groupings[g],
                valid=valid,
                wy=wy_rows[j],
            )
            tables = RowTables(float(shift[j]), count, s_w, zeros, s_y, s_wy, zeros, zeros, extra)
            out.append((name, g, tables))
    return out


def _psu_fine_tables(
    design: SurveyDesign, layout: _PsuLayout, wy: FloatArray, gone: IntArray, size: int
) -> tuple[FloatArray, ...]:
    """Σ s P², Σ s P Q, Σ s Q², Σ s P W, Σ s Q W, Σ s W² and the PSU count, by fine key."""
    n_psu = design.n_psu
    row_psu = layout.row_psu
    m = layout.n_simple
    p = group_sum(row_psu, wy, n_psu)[:m]
    weight = layout.weight[:m]
    scale = layout.scale
    scalar = isinstance(scale, float)
    per_psu = None if isinstance(scale, float) else scale[:m]
    # products go into one reused buffer: fresh arrays of this size cost page faults
    buf = layout.buffer
    sp = p if per_psu is None else np.multiply(p, per_psu, out=buf[5])
    np.multiply(sp, p, out=buf[0])
    np.multiply(sp, weight, out=buf[1])
    terms = 2
    if gone.size:
        lost_w = group_sum(row_psu[gone], design.weights[gone], n_psu)[:m]
        lost_n = group_sum(row_psu[gone], None, n_psu)[:m]
        q = np.subtract(weight, lost_w, out=lost_w)
        np.less(lost_n, layout.rows[:m], out=buf[2])  # PSUs left with a valid row
        np.multiply(sp, q, out=buf[3])
        sq = q if per_psu is None else np.multiply(q, per_psu, out=buf[5])
        np.multiply(sq, q, out=buf[4])
        np.multiply(sq, weight, out=buf[5])
        terms = 6
    tables = np.zeros((terms, size))
    if m:
        tables[:, layout.keys] = np.add.reduceat(buf[:terms, :m], layout.starts, axis=1)
    if scalar:
        tables[:2] *= scale
        tables[3:] *= scale
    s_pp, s_pw = tables[0], tables[1]
    if gone.size:
        count, s_pq, s_qq, s_qw = tables[2], tables[3], tables[4], tables[5]
    else:  # no missing values: Q = W
        count, s_pq, s_qq, s_qw = layout.count, s_pw, layout.s_ww, layout.s_ww
    return (s_pp, s_pq, s_qq, s_pw, s_qw, layout.s_ww, count)


def _cluster_tables(
    design: SurveyDesign,
    mixed: tuple[IntArray, IntArray, IntArray],
    *,
    summed: list[FloatArray],
    group: Factor,
    valid: npt.NDArray[np.bool_] | None,
    wy: FloatArray,
) -> ClusterTables:
    """The :class:`ClusterTables` of one grouping: simple PSUs summed, mixed ones kept.

    ``mixed`` holds the rows of the mixed PSUs, their mixed-PSU number (0, 1, ...)
    and the mixed PSUs in the design's numbering; ``valid`` (None: all valid) and
    ``wy`` are the variable's at those rows.
    """
    slots = group.n_levels + 1
    mixed_rows, mixed_local, mixed_psu = mixed
    m = int(mixed_psu.size)
    mixed_p = mixed_q = np.zeros((m, slots))
    mixed_cells = None
    mixed_scale = np.zeros(m)
    mixed_stratum = np.zeros(m, dtype=np.intp)
    if m:
        codes = group.codes[mixed_rows]
        inside = codes >= 0
        if valid is not None:
            inside &= valid
        slot = mixed_local * slots + np.where(inside, codes, slots - 1)
        mixed_p = group_sum(slot, wy, m * slots).reshape(m, slots)
        w_in = np.where(inside, design.weights[mixed_rows], 0.0)
        mixed_q = group_sum(slot, w_in, m * slots).reshape(m, slots)
        mixed_stratum = design.psu_stratum[mixed_psu]
        mixed_scale = design.stratum_scale[mixed_stratum]
        if design.calibration is not None:
            mixed_cells = design.psu_cell_weights()[mixed_psu]
    s_pp, s_pq, s_qq, s_pw, s_qw, s_ww, psu_count = summed
    return ClusterTables(
        s_pp=s_pp,
        s_pq=s_pq,
        s_qq=s_qq,
        s_pw=s_pw,
        s_qw=s_qw,
        s_ww=s_ww,
        psu_count=psu_count,
        mixed_p=mixed_p,
        mixed_q=mixed_q,
        mixed_scale=mixed_scale,
        mixed_stratum=mixed_stratum,
        mixed_cells=mixed_cells,
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
    clusters = None
    if row_tables is not None:
        clusters = row_tables.clusters
        if (design.psu is not None) != (clusters is not None):
            raise ValueError("row tables of a design with clusters need their cluster tables")
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
    if design.psu is None or clusters is not None:
        if clusters is None:
            in_stratum = count.sum(axis=1)[:, :n_dom]  # strata × domains
        else:  # PSUs with respondents in the domain, by stratum
            in_stratum = clusters.psu_count.sum(axis=1)[:, :n_dom]
            if clusters.mixed_q.shape[0]:
                with_rows = (clusters.mixed_q[:, :n_dom] > 0).astype(np.float64)
                in_stratum = in_stratum + _column_sums(
                    clusters.mixed_stratum, with_rows, design.n_strata
                )
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
    if clusters is not None:
        covariance = _cluster_covariance(
            design, clusters, s_w=s_w, s_wy=s_wy, alpha=alpha, beta=beta, adjust=adjust
        )
    elif design.psu is None:
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
            totals = totals - design.psu_cell_weights() @ adjust
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


def _cluster_covariance(
    design: SurveyDesign,
    clusters: ClusterTables,
    *,
    s_w: FloatArray,
    s_wy: FloatArray,
    alpha: FloatArray,
    beta: FloatArray,
    adjust: FloatArray | None,
) -> FloatArray:
    """Σ_u s_u T_u T_uᵀ - Σ_h scale_h centre_h / n_h S_h S_hᵀ from the cluster tables.

    ``T_u`` is PSU u's vector of domain totals of the (residualised) influence
    values and ``S_h`` their sum over stratum h. A simple PSU in domain d and
    calibration cell c has ``T_u = A_u e_d - W_u a[c]`` with
    ``A_u = α_d P_u + β_d Q_u``, so that summed over the simple PSUs
    ``Σ s T Tᵀ = diag(Σ s A²) - K a - (K a)ᵀ + aᵀ diag(Σ s W²) a`` with
    ``K[d, c] = Σ s A W`` over the PSUs of domain d in cell c; each of these
    is a combination of the tables' sums. Mixed PSUs add ``T ᵀ diag(s) T``
    directly, and ``S_h`` comes from the row tables.
    """
    n_dom = alpha.size
    dom = slice(0, n_dom)
    c = clusters
    # cells × domains, summed over strata (the scale is already inside)
    s_pp, s_pq, s_qq = (t.sum(axis=0)[:, dom] for t in (c.s_pp, c.s_pq, c.s_qq))
    s_aa = alpha**2 * s_pp + 2 * alpha * beta * s_pq + beta**2 * s_qq
    q = np.diag(s_aa.sum(axis=0))
    if adjust is not None:
        k = alpha * c.s_pw.sum(axis=0)[:, dom] + beta * c.s_qw.sum(axis=0)[:, dom]  # c × d
        ka = k.T @ adjust
        q = q - ka - ka.T
        q = q + adjust.T @ (c.s_ww.sum(axis=(0, 2))[:, None] * adjust)
    if c.mixed_p.shape[0]:
        totals = alpha * c.mixed_p[:, dom] + beta * c.mixed_q[:, dom]
        if adjust is not None:
            totals = totals - c.mixed_cells @ adjust
        q = q + totals.T @ (c.mixed_scale[:, None] * totals)
    t_in = (alpha * s_wy[..., dom] + beta * s_w[..., dom]).sum(axis=1)  # h × d
    if adjust is not None:
        t_in = t_in - s_w.sum(axis=2) @ adjust
    centre = design.stratum_scale * design.stratum_centre / design.stratum_n_psu
    covariance: FloatArray = q - np.einsum("h,hd,he->de", centre, t_in, t_in)
    return covariance
