"""Design-based linear regression (R's ``svyglm`` with the gaussian family).

The coefficients are weighted least squares; their covariance is the
linearisation (sandwich) estimator: the influence of row ``i`` is
``w_i e_i x_i (XᵀWX)⁻¹``, passed through the design (calibration residuals,
PSU totals, strata, fpc) like any other influence. Degrees of freedom are the
design df + 1 − number of coefficients, as ``svyglm``'s ``df.residual``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import pandas as pd
from scipy import stats as sps

from collabready.stats.design import SurveyDesign
from collabready.stats.errors import StatsInputError
from collabready.stats.variance import influence_covariance

FloatArray = npt.NDArray[np.float64]

INTERCEPT = "(Intercept)"


@dataclass(frozen=True, slots=True)
class RegressionResult:
    """Coefficients of a design-based linear regression, one row per term."""

    outcome: str
    terms: tuple[str, ...]
    estimate: FloatArray
    se: FloatArray
    t: FloatArray
    p_value: FloatArray
    ci_low: FloatArray
    ci_high: FloatArray
    covariance: FloatArray
    df: int
    n: int
    r_squared: float
    level: float

    def to_frame(self) -> pd.DataFrame:
        """One row per term: estimate, se, t, p_value, ci_low, ci_high, df."""
        return pd.DataFrame(
            {
                "outcome": self.outcome,
                "term": list(self.terms),
                "estimate": self.estimate,
                "se": self.se,
                "t": self.t,
                "p_value": self.p_value,
                "ci_low": self.ci_low,
                "ci_high": self.ci_high,
                "df": self.df,
            }
        )


def design_regression(
    *,
    design: SurveyDesign,
    outcome: npt.ArrayLike,
    predictors: Mapping[str, npt.ArrayLike],
    outcome_name: str = "outcome",
    intercept: bool = True,
    level: float = 0.95,
) -> RegressionResult:
    """Regress ``outcome`` on ``predictors`` under the design.

    Rows missing the outcome or any predictor (NaN) are left out of the fit but
    stay in the design with zero influence, as R does for a calibrated design.
    """
    y = np.asarray(outcome, dtype=np.float64)
    if y.shape != (design.n,):
        raise StatsInputError(f"outcome has shape {y.shape}; the design has {design.n} rows")
    columns = [np.ones(design.n)] if intercept else []
    terms = [INTERCEPT] if intercept else []
    for name, values in predictors.items():
        x = np.asarray(values, dtype=np.float64)
        if x.shape != (design.n,):
            raise StatsInputError(f"predictor {name!r} has shape {x.shape}; expected ({design.n},)")
        columns.append(x)
        terms.append(name)
    if not columns:
        raise StatsInputError("the regression has no terms")
    X = np.column_stack(columns)
    valid = np.isfinite(y) & np.all(np.isfinite(X), axis=1)
    n_valid = int(valid.sum())
    if n_valid <= X.shape[1]:
        raise StatsInputError(
            f"only {n_valid} complete rows for {X.shape[1]} coefficients; cannot fit"
        )
    w = np.where(valid, design.weights, 0.0)
    X = np.where(valid[:, None], X, 0.0)
    y0 = np.where(valid, y, 0.0)
    xtwx = (X * w[:, None]).T @ X
    if np.linalg.matrix_rank(xtwx) < X.shape[1]:
        raise StatsInputError(
            f"the predictors of {outcome_name!r} are collinear ({', '.join(terms)}); "
            "drop one of them"
        )
    inverse = np.linalg.inv(xtwx)
    beta = inverse @ (X.T @ (w * y0))
    residual = y0 - X @ beta
    influence = ((w * residual)[:, None] * X) @ inverse
    covariance = influence_covariance(design, influence)
    se = np.sqrt(np.diag(covariance))
    df = design.df + 1 - X.shape[1]
    with np.errstate(invalid="ignore", divide="ignore"):
        t = beta / se
        ok_df = df if df >= 1 else np.nan
        p = np.asarray(2 * sps.t.sf(np.abs(t), ok_df), dtype=np.float64)
        half = float(sps.t.ppf(0.5 + level / 2, ok_df)) * se
    mean_y = float(np.dot(w, y0) / w.sum())
    total = float(np.dot(w, (y0 - mean_y) ** 2 * valid))
    r_squared = 1.0 - float(np.dot(w, residual**2)) / total if total > 0 else float("nan")
    return RegressionResult(
        outcome=outcome_name,
        terms=tuple(terms),
        estimate=beta,
        se=se,
        t=t,
        p_value=p,
        ci_low=beta - half,
        ci_high=beta + half,
        covariance=covariance,
        df=df,
        n=n_valid,
        r_squared=r_squared,
        level=level,
    )
