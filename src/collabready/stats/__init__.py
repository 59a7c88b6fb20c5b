"""collabready.stats: weights, design-based estimates, comparisons, reliability, disclosure.

Plain functions with keyword-only arguments; results are frozen dataclasses
with ``to_frame()``. See docs/statistics.md for the methods and references.

The names are imported on first use (the package's ``__getattr__`` loads
:mod:`._public`): importing one submodule, such as :mod:`.factor`, which the
loader and the exports use, does not import scipy and every estimator with it
(about a second of an export's start).
"""

# the names of ._public, for the type checker (F403, F405: ruff cannot follow the star)
# ruff: noqa: F403, F405
import sys
import types
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from collabready.stats._public import *

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


def __getattr__(name: str) -> Any:
    if name not in __all__:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    from collabready.stats import _public

    globals().update((public, getattr(_public, public)) for public in __all__)
    return globals()[name]


class _Package(types.ModuleType):
    """This package, whose public names are never bound to a submodule of the same name
    (importing ``.instrument_reliability`` would otherwise hide the function)."""

    def __setattr__(self, name: str, value: Any) -> None:
        if not (name in __all__ and isinstance(value, types.ModuleType)):
            super().__setattr__(name, value)


sys.modules[__name__].__class__ = _Package
