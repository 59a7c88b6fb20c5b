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
    _psu_cells: list[Any] = field(default_factory=list, repr=False, compare=False)

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

    def psu_cell_weights(self) -> Any:
        """PSUs × calibration cells sparse matrix of the rows' weights (built on first use).

        ``None`` without clusters or calibration.
        """
        if self.psu is None or self.calibration is None:
            return None
        if not self._psu_cells:
            self._psu_cells.append(
                sp.csr_matrix(
                    (self.weights, (self.psu, self.calibration.cell)),
                    shape=(self.n_psu, self.calibration.n_cells),
                )
            )
        return self._psu_cells[0]

    def unit_stratum(self) -> IntArray:
        """The stratum of each variance unit (PSU, or row when there are no clusters)."""
        return self.psu_stratum


#: Integer cluster ids spanning at most this range are numbered with a dense bincount.
_DENSE_CLUSTER_RANGE = 50_000_000


def _codes(values: Factor | npt.ArrayLike | Any, name: str, n: int) -> Factor:
    factor = factorize(values, name=name)
    if len(factor) != n:
        raise DesignError(f"{name} has {len(factor)} rows but the weights have {n}")
    missing = np.flatnonzero(factor.codes < 0)
    if missing.size:
        raise DesignError(f"{name}: row {int(missing[0])} has no value ({missing.size} such rows)")
    return factor


def _cluster_codes(values: Factor | npt.ArrayLike | Any, n: int) -> tuple[IntArray, int]:
    """Cluster codes ``0..k-1`` (in the order :func:`factorize` gives them) and ``k``.

    Integer identifiers (a numpy array, the common case of an organisation id)
    are numbered with a dense bincount over their range: the same codes as
    :func:`factorize`, which sorts numbers numerically, without making a text
    label for each of up to a million clusters.
    """
    if (
        isinstance(values, np.ndarray)
        and values.ndim == 1
        and values.dtype.kind in "iu"
        and values.size == n
        and n > 0
    ):
        low, high = int(values.min()), int(values.max())
        if high - low < _DENSE_CLUSTER_RANGE:
            codes, present = compact_codes(values.astype(np.int64) - low, high - low + 1)
            return codes, int(present.size)
    factor = _codes(values, "clusters", n)
    return factor.codes, factor.n_levels


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
        cluster_codes, n_clusters = _cluster_codes(clusters, n)
        if n_strata == 1:
            psu, psu_stratum = cluster_codes, np.zeros(n_clusters, dtype=np.intp)
        else:
            code = stratum.astype(np.int64) * n_clusters + cluster_codes
            psu, present = compact_codes(code, n_strata * n_clusters)
            psu_stratum = (present // n_clusters).astype(np.intp)
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
    if calibration is not None and calibration.cell.shape != (n,):
        raise DesignError("the calibration does not belong to these rows (different length)")
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
