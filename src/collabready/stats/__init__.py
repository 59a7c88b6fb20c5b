"""collabready.stats: weights, design-based estimates, comparisons.

Plain functions with keyword-only arguments; results are frozen dataclasses
with ``to_frame()``. See docs/statistics.md for the methods and references.
"""

from collabready.stats.calibration import Calibration
from collabready.stats.compare import (
    ComparisonTable,
    PAdjust,
    adjust_p_values,
    compare_domains,
    compare_waves,
    paired_difference,
)
from collabready.stats.design import LonelyPsu, SurveyDesign, raked_design, survey_design
from collabready.stats.diagnostics import WeightDiagnostics, weight_diagnostics
from collabready.stats.errors import (
    DesignError,
    FactorError,
    MarginsError,
    RakingError,
    RakingWarning,
    StatsInputError,
)
from collabready.stats.estimate import (
    EstimateTable,
    ProportionCI,
    estimate_means,
    estimate_proportions,
    estimate_totals,
)
from collabready.stats.factor import Factor, cross, factorize
from collabready.stats.margins import (
    Margin,
    Margins,
    margins_from_frame,
    margins_from_records,
    read_margins_csv,
    write_margins_csv,
)
from collabready.stats.regression import RegressionResult, design_regression
from collabready.stats.variance import influence_covariance
from collabready.stats.weights import NonConvergence, RakingResult, WeightBounds, rake

__all__ = [
    "Calibration",
    "ComparisonTable",
    "DesignError",
    "EstimateTable",
    "Factor",
    "FactorError",
    "LonelyPsu",
    "Margin",
    "Margins",
    "MarginsError",
    "NonConvergence",
    "PAdjust",
    "ProportionCI",
    "RakingError",
    "RakingResult",
    "RakingWarning",
    "RegressionResult",
    "StatsInputError",
    "SurveyDesign",
    "WeightBounds",
    "WeightDiagnostics",
    "adjust_p_values",
    "compare_domains",
    "compare_waves",
    "cross",
    "design_regression",
    "estimate_means",
    "estimate_proportions",
    "estimate_totals",
    "factorize",
    "influence_covariance",
    "margins_from_frame",
    "margins_from_records",
    "paired_difference",
    "rake",
    "raked_design",
    "read_margins_csv",
    "survey_design",
    "weight_diagnostics",
    "write_margins_csv",
]
