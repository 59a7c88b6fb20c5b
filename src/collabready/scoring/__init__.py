"""Scoring: item codes to 0-100 subscale, block, gap and index scores (see docs/scoring.md)."""

from collabready.scoring.api import (
    ScoreResult,
    ScoringInputError,
    matrix_from_columns,
    reverse_code,
    score,
    score_matrix,
    score_organisations,
)
from collabready.scoring.plan import ScoringPlan, scoring_plan

__all__ = [
    "ScoreResult",
    "ScoringInputError",
    "ScoringPlan",
    "matrix_from_columns",
    "reverse_code",
    "score",
    "score_matrix",
    "score_organisations",
    "scoring_plan",
]
