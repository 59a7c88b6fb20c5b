"""A survey design: weights plus the sampling structure that standard errors need.

:func:`survey_design` mirrors R's ``svydesign(ids=, strata=, weights=, fpc=)``
for single-stage designs, and takes the :class:`Calibration` left by
:func:`~collabready.stats.weights.rake` so that standard errors are
calibration-aware as after R's ``rake()``. Clusters (PSUs) are numbered within
strata (R's ``nest=TRUE``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt
import scipy.sparse as sp

from collabready.stats.calibration import Calibration
from collabready.stats.errors import DesignError
from collabready.stats.factor import Factor, compact_codes, factorize

if TYPE_CHECKING:
    from collabready.stats.weights import RakingResult

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.intp]
BoolArray = npt.NDArray[np.bool_]


class LonelyPsu(StrEnum):
    """What to do with a stratum that has a single PSU (R's ``survey.lonely.psu``)."""

    FAIL = "fail"  #: raise DesignError (R's default)
    CERTAINTY = "certainty"  #: the stratum contributes no variance
    ADJUST = "adjust"  #: centre the stratum at the overall mean instead of its own


@dataclass(frozen=True, slots=True)
class SurveyDesign:
    """Weights and sampling structure. Build it with :func:`survey_design`.

    ``psu`` is ``None`` when every row is its own PSU. ``stratum_scale`` is
    ``f_h * n_h / (n_h - 1)`` for each stratum (``f_h`` the finite population
    correction), ``stratum_centre`` whether its PSU totals are centred.
    """

    weights: FloatArray
    strata: IntArray
    psu: IntArray | None
    psu_stratum: IntArray
    stratum_n_psu: IntArray
    stratum_scale: FloatArray
    stratum_centre: BoolArray
    calibration: Calibration | None
    df: int
    psu_cell_weights: Any = field(default=None, repr=False)

    @property
    def n(self) -> int:
        """Number of respondents (rows)."""
        return int(self.weights.shape[0])

    @property
    def n_strata(self) -> int:
        """Number of strata (1 when unstratified)."""
        return int(self.stratum_n_psu.shape[0])

    @property
    def n_psu(self) -> int:
        """Number of PSUs (the rows when there are no clusters)."""
        return int(self.psu_stratum.shape[0])

    def unit_stratum(self) -> IntArray:
        """The stratum of each variance unit (PSU, or row when there are no clusters)."""
        return self.psu_stratum


def _codes(values: Factor | npt.ArrayLike | Any, name: str, n: int) -> Factor:
    factor = factorize(values, name=name)
    if len(factor) != n:
        raise DesignError(f"{name} has {len(factor)} rows but the weights have {n}")
    missing = np.flatnonzero(factor.codes < 0)
    if missing.size:
        raise DesignError(f"{name}: row {int(missing[0])} has no value ({missing.size} such rows)")
    return factor


def survey_design(
    *,
    weights: npt.ArrayLike,
    strata: Factor | npt.ArrayLike | Any | None = None,
    clusters: Factor | npt.ArrayLike | Any | None = None,
    fpc: npt.ArrayLike | None = None,
    calibration: Calibration | None = None,
    lonely_psu: LonelyPsu = LonelyPsu.FAIL,
) -> SurveyDesign:
    """A single-stage survey design, as R's ``svydesign``.

    ``fpc`` (one value per row, constant within a stratum) is either the
    number of PSUs in the stratum's population, or, when every value is at
    most 1, the sampling fraction. ``calibration`` comes from
    :func:`~collabready.stats.weights.rake` (see :func:`raked_design`).
    """
    w = np.asarray(weights, dtype=np.float64)
    if w.ndim != 1 or w.size == 0:
        raise DesignError("weights must be a non-empty one-dimensional array")
    n = int(w.size)
    bad = np.flatnonzero(~np.isfinite(w) | (w <= 0))
    if bad.size:
        raise DesignError(
            f"weights must be finite and positive; row {int(bad[0])} has {w[bad[0]]!r}"
        )
    if strata is None:
        stratum = np.zeros(n, dtype=np.intp)
        stratum_labels: tuple[str, ...] = ("all",)
    else:
        factor = _codes(strata, "strata", n)
        stratum, stratum_labels = factor.codes, factor.levels
    n_strata = len(stratum_labels)
    psu: IntArray | None = None
    if clusters is None:
        psu_stratum = stratum
    else:
        cluster = _codes(clusters, "clusters", n)
        code = stratum.astype(np.int64) * cluster.n_levels + cluster.codes
        psu, present = compact_codes(code, n_strata * cluster.n_levels)
        psu_stratum = (present // cluster.n_levels).astype(np.intp)
    n_psu = np.bincount(psu_stratum, minlength=n_strata).astype(np.intp)
    fraction = np.zeros(n_strata)
    if fpc is not None:
        f = np.asarray(fpc, dtype=np.float64)
        if f.shape != (n,) or not np.all(np.isfinite(f)) or np.any(f <= 0):
            raise DesignError(f"fpc must hold one finite positive value per row ({n} rows)")
        low = np.full(n_strata, np.inf)
        high = np.full(n_strata, -np.inf)
        np.minimum.at(low, stratum, f)
        np.maximum.at(high, stratum, f)
        varies = np.flatnonzero(~np.isclose(low, high, rtol=1e-12))
        if varies.size:
            raise DesignError(
                f"fpc varies within stratum {stratum_labels[int(varies[0])]!r}; "
                "it must be constant within each stratum"
            )
        population = n_psu / low if np.all(f <= 1) else low
        small = np.flatnonzero(population < n_psu - 1e-9)
        if small.size:
            h = int(small[0])
            raise DesignError(
                f"fpc: stratum {stratum_labels[h]!r} has {int(n_psu[h])} sampled PSUs but a "
                f"population of only {population[h]:g}"
            )
        fraction = n_psu / population
    f_h = 1.0 - fraction
    lonely = n_psu == 1
    if lonely.any() and lonely_psu is LonelyPsu.FAIL:
        h = int(np.flatnonzero(lonely)[0])
        raise DesignError(
            f"stratum {stratum_labels[h]!r} has only one PSU, so its variance cannot be "
            "estimated; merge it with a similar stratum or choose lonely_psu='certainty' "
            "or 'adjust'"
        )
    scale = np.where(lonely, f_h, f_h * n_psu / np.maximum(n_psu - 1, 1))
    if lonely_psu is LonelyPsu.CERTAINTY:
        scale = np.where(lonely, 0.0, scale)
    centre = ~lonely if lonely_psu is LonelyPsu.ADJUST else np.ones(n_strata, dtype=bool)
    psu_cells = None
    if calibration is not None:
        if calibration.cell.shape != (n,):
            raise DesignError("the calibration does not belong to these rows (different length)")
        if psu is not None:
            psu_cells = sp.csr_matrix(
                (w, (psu, calibration.cell)), shape=(int(psu_stratum.size), calibration.n_cells)
            )
    return SurveyDesign(
        weights=w,
        strata=stratum,
        psu=psu,
        psu_stratum=psu_stratum,
        stratum_n_psu=n_psu,
        stratum_scale=scale.astype(np.float64),
        stratum_centre=centre,
        calibration=calibration,
        df=int(psu_stratum.size - n_strata),
        psu_cell_weights=psu_cells,
    )


def raked_design(
    raking: RakingResult,
    *,
    strata: Factor | npt.ArrayLike | Any | None = None,
    clusters: Factor | npt.ArrayLike | Any | None = None,
    fpc: npt.ArrayLike | None = None,
    lonely_psu: LonelyPsu = LonelyPsu.FAIL,
) -> SurveyDesign:
    """The design of a raked sample: raked weights with calibration-aware standard errors."""
    return survey_design(
        weights=raking.weights,
        strata=strata,
        clusters=clusters,
        fpc=fpc,
        calibration=raking.calibration,
        lonely_psu=lonely_psu,
    )
