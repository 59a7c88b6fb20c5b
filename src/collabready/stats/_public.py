"""Every public name of :mod:`collabready.stats`, imported (with scipy): what the
package's ``__getattr__`` loads on the first use of one of them."""

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
from collabready.stats.disclosure import (
    ProtectedTable,
    apply_disclosure_control,
    apply_pattern,
    suppression_mask,
)
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
from collabready.stats.instrument_reliability import ReliabilityTable, instrument_reliability
from collabready.stats.margins import (
    Margin,
    Margins,
    margins_from_frame,
    margins_from_records,
    read_margins_csv,
    write_margins_csv,
)
from collabready.stats.omega import OmegaResult, mcdonald_omega
from collabready.stats.regression import RegressionResult, design_regression
from collabready.stats.reliability import (
    AlphaResult,
    MissingPolicy,
    ReliabilityInputError,
    cronbach_alpha,
    feldt_interval,
)
from collabready.stats.validity import (
    CorrelationMethod,
    CorrelationResult,
    index_outcomes_correlation,
    weighted_correlation,
)
from collabready.stats.variance import influence_covariance
from collabready.stats.weights import NonConvergence, RakingResult, WeightBounds, rake

__all__ = [
    "AlphaResult",
    "Calibration",
    "ComparisonTable",
    "CorrelationMethod",
    "CorrelationResult",
    "DesignError",
    "EstimateTable",
    "Factor",
    "FactorError",
    "LonelyPsu",
    "Margin",
    "Margins",
    "MarginsError",
    "MissingPolicy",
    "NonConvergence",
    "OmegaResult",
    "PAdjust",
    "ProportionCI",
    "ProtectedTable",
    "RakingError",
    "RakingResult",
    "RakingWarning",
    "RegressionResult",
    "ReliabilityInputError",
    "ReliabilityTable",
    "StatsInputError",
    "SurveyDesign",
    "WeightBounds",
    "WeightDiagnostics",
    "adjust_p_values",
    "apply_disclosure_control",
    "apply_pattern",
    "compare_domains",
    "compare_waves",
    "cronbach_alpha",
    "cross",
    "design_regression",
    "estimate_means",
    "estimate_proportions",
    "estimate_totals",
    "factorize",
    "feldt_interval",
    "index_outcomes_correlation",
    "influence_covariance",
    "instrument_reliability",
    "margins_from_frame",
    "margins_from_records",
    "mcdonald_omega",
    "paired_difference",
    "rake",
    "raked_design",
    "read_margins_csv",
    "suppression_mask",
    "survey_design",
    "weight_diagnostics",
    "weighted_correlation",
    "write_margins_csv",
]
