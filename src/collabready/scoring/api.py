"""Scoring, as the rest of collabready and its users call it.

``score_matrix`` works on the column-major code matrix; ``score`` works on a
pandas or polars DataFrame with one column per item id and returns the same
kind of frame; ``score_organisations`` combines several respondents' scores
for one organisation.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal, TypeVar, overload

import numpy as np
from numpy.typing import NDArray

from collabready.errors import UserError
from collabready.instrument.model import DONT_KNOW, MISSING, Instrument
from collabready.scoring.kernel import derive_from_subscales, level_codes, score_codes
from collabready.scoring.plan import ScoringPlan, scoring_plan

if TYPE_CHECKING:
    import pandas as pd
    import polars as pl


class ScoringInputError(UserError):
    """The responses cannot be scored as given (missing columns, bad codes)."""


@dataclass(frozen=True, slots=True)
class ScoreResult:
    """Scores for n respondents (or organisations).

    ``values`` is an n x len(columns) float32 matrix (column-major) of 0-100
    scores with NaN for missing; ``level`` holds each row's readiness level as
    a position in ``level_ids`` (-1 where the index is missing).
    """

    instrument_key: str
    columns: tuple[str, ...]
    values: NDArray[np.float32]
    level: NDArray[np.int8]
    level_ids: tuple[str, ...]

    def __len__(self) -> int:
        return int(self.values.shape[0])

    def column(self, name: str) -> NDArray[np.float32]:
        """One score column (a view, not a copy)."""
        try:
            return self.values[:, self.columns.index(name)]
        except ValueError:
            raise KeyError(f"no score column {name!r}; have {', '.join(self.columns)}") from None

    def take(self, rows: NDArray[np.intp] | NDArray[np.bool_]) -> ScoreResult:
        """The scores of ``rows`` (positions or a mask), in that order."""
        return ScoreResult(
            self.instrument_key,
            self.columns,
            np.asfortranarray(self.values[rows]),
            self.level[rows],
            self.level_ids,
        )

    def level_labels(self) -> NDArray[np.object_]:
        """Each row's level id, or None."""
        lookup = np.array([*self.level_ids, None], dtype=object)
        return lookup[np.where(self.level < 0, len(self.level_ids), self.level)]

    def to_frame(self) -> pd.DataFrame:
        """The scores as a pandas DataFrame, with a categorical ``level``."""
        import pandas as pd

        frame = pd.DataFrame(self.values, columns=list(self.columns), copy=False)
        frame["level"] = pd.Categorical.from_codes(
            self.level.astype(np.int64), categories=pd.Index(list(self.level_ids))
        )
        return frame

    def to_polars(self) -> pl.DataFrame:
        """The scores as a polars DataFrame, with an enum ``level``."""
        import polars as pl

        data: dict[str, Any] = {c: self.values[:, i] for i, c in enumerate(self.columns)}
        frame = pl.DataFrame(data).fill_nan(None)
        levels = pl.Series("level", self.level_labels(), dtype=pl.Enum(list(self.level_ids)))
        return frame.with_columns(levels)


def score_matrix(
    codes: NDArray[np.int8] | NDArray[np.uint8], instrument: Instrument
) -> ScoreResult:
    """Score a response matrix: one row per respondent, one column per item.

    Columns follow ``instrument.item_ids``. Codes ``1..points`` are answers;
    ``DONT_KNOW`` (8), ``MISSING`` (9) and any other code are left out.

    >>> import numpy as np
    >>> from collabready.instrument import load_instrument
    >>> cri = load_instrument("1.0.0")
    >>> top = np.full((1, len(cri.item_ids)), 5, dtype=np.int8)
    >>> bool(score_matrix(top, cri).column("index")[0] > 60)
    True
    """
    plan = scoring_plan(instrument)
    values = score_codes(plan, codes)
    return _result(plan, values)


def _result(plan: ScoringPlan, values: NDArray[np.float32]) -> ScoreResult:
    index = values[:, plan.columns.index("index")]
    return ScoreResult(
        instrument_key=plan.instrument_key,
        columns=plan.columns,
        values=values,
        level=level_codes(plan, index),
        level_ids=plan.level_ids,
    )


def reverse_code(codes: NDArray[np.int8], points: int) -> NDArray[np.int8]:
    """Flip answers on a ``points``-point scale (1 <-> points); other codes are kept.

    >>> import numpy as np
    >>> reverse_code(np.array([1, 2, 5, 8, 9], dtype=np.int8), 5).tolist()
    [5, 4, 1, 8, 9]
    """
    valid = (codes >= 1) & (codes <= points)
    return np.where(valid, points + 1 - codes, codes).astype(np.int8)


def matrix_from_columns(
    columns: dict[str, Any], instrument: Instrument, *, source: str
) -> NDArray[np.int8]:
    """Stack item columns (arrays, possibly with nulls as NaN) into the code matrix."""
    item_ids = instrument.item_ids
    missing = [i for i in item_ids if i not in columns]
    if missing:
        shown = ", ".join(missing[:5]) + (" ..." if len(missing) > 5 else "")
        raise ScoringInputError(
            f"{source}: missing {len(missing)} item column(s) for {instrument.key}: {shown}"
        )
    first = np.asarray(columns[item_ids[0]])
    out = np.empty((first.shape[0], len(item_ids)), dtype=np.int8, order="F")
    for j, item_id in enumerate(item_ids):
        points = instrument.scale(instrument.item(item_id).scale).points
        out[:, j] = _item_codes(
            np.asarray(columns[item_id]), points, f"{source}: column {item_id!r}"
        )
    return out


def _item_codes(col: NDArray[Any], points: int, where: str) -> NDArray[np.int8]:
    """One item's codes as int8, refusing anything but 1..points, don't know and missing.

    Each check is one pass over the column (an int8 column needs only one).
    """
    allowed = f"answers are 1-{points}, {DONT_KNOW} = don't know, {MISSING} = missing"
    if col.dtype.kind == "O" and all(v is None for v in col):
        return np.full(col.shape, MISSING, dtype=np.int8)  # nobody answered (an empty column)
    if col.dtype.kind == "f":
        col = np.where(np.isnan(col), MISSING, col)
        whole = col.astype(np.int64)
        if (whole != col).any():
            row = int(np.flatnonzero(whole != col)[0])
            raise ScoringInputError(
                f"{where}, row {row + 1}: {col[row]:g} is not a code ({allowed})"
            )
        col = whole
    elif col.dtype.kind not in "iu":
        raise ScoringInputError(f"{where} must hold integer codes, not {col.dtype}")
    if col.dtype != np.int8:
        out_of_range = (col < 0) | (col > 127)
        if out_of_range.any():
            row = int(np.flatnonzero(out_of_range)[0])
            raise ScoringInputError(
                f"{where}, row {row + 1}: code {col[row]} is not valid ({allowed})"
            )
        col = col.astype(np.int8)
    # uint8 arithmetic throughout (fast): code - 1 wraps 0 and negatives to >= points
    u = col.view(np.uint8)
    bad = np.subtract(u, 1) >= points
    bad &= u != DONT_KNOW
    bad &= u != MISSING
    if bad.any():
        row = int(np.flatnonzero(bad)[0])
        raise ScoringInputError(f"{where}, row {row + 1}: code {col[row]} is not valid ({allowed})")
    return np.asarray(col, dtype=np.int8)


def polars_codes(column: pl.Series) -> NDArray[Any]:
    """A polars item column as numpy: integers with nulls as MISSING (no float detour)."""
    if column.dtype.is_integer():
        return column.fill_null(MISSING).to_numpy()
    return column.to_numpy()  # floats keep NaN; an all-null column gives None


_Frame = TypeVar("_Frame", "pd.DataFrame", "pl.DataFrame")
#: what a row of :func:`score`'s result describes
Per = Literal["respondent", "organisation"]


@overload
def score(responses: pd.DataFrame, instrument: Instrument, *, per: Per = ...) -> pd.DataFrame: ...
@overload
def score(responses: pl.DataFrame, instrument: Instrument, *, per: Per = ...) -> pl.DataFrame: ...
def score(responses: Any, instrument: Instrument, *, per: Per = "respondent") -> Any:
    """Score a DataFrame of responses (pandas or polars); returns the same kind.

    Item columns are named by item id and hold codes (nulls count as missing).
    With ``per="respondent"`` (the default) there is a row per respondent, and
    any ``respondent_id`` / ``organisation_id`` column is carried over in front
    of the score columns. With ``per="organisation"`` there is a row per
    ``organisation_id`` (which the responses must have), with the number of
    ``respondents`` and the organisation's scores (see :func:`score_organisations`).
    """
    module = type(responses).__module__.split(".")[0]
    if module not in ("polars", "pandas"):
        raise TypeError(
            f"score() takes a pandas or polars DataFrame, not {type(responses).__name__}"
        )
    if per not in ("respondent", "organisation"):
        raise ValueError(f"per must be 'respondent' or 'organisation', not {per!r}")
    if per == "organisation" and "organisation_id" not in responses.columns:
        raise ScoringInputError(
            "responses: scoring per organisation needs an organisation_id column"
        )
    cols: dict[str, Any] = {}
    for i in instrument.item_ids:
        if i in responses.columns:
            column = responses[i]
            cols[i] = (
                polars_codes(column)
                if module == "polars"
                else column.to_numpy(dtype=np.float64, na_value=np.nan)
            )
    result = score_matrix(matrix_from_columns(cols, instrument, source="responses"), instrument)
    if per == "organisation":
        ids = responses["organisation_id"].to_numpy()
        orgs, result = score_organisations(result, ids, instrument)
        counts = np.unique(ids, return_counts=True)[1]
        keys: dict[str, Any] = {"organisation_id": orgs, "respondents": counts}
        if module == "polars":
            import polars as pl

            return pl.concat([pl.DataFrame(keys), result.to_polars()], how="horizontal")
    else:
        names = [k for k in ("respondent_id", "organisation_id") if k in responses.columns]
        if module == "polars":
            import polars as pl

            return pl.concat([responses.select(names), result.to_polars()], how="horizontal")
        keys = {k: responses[k].to_numpy() for k in names}
    frame = result.to_frame()
    for pos, (k, v) in enumerate(keys.items()):
        frame.insert(pos, k, v)
    return frame


def score_organisations(
    result: ScoreResult, organisation_ids: NDArray[Any], instrument: Instrument
) -> tuple[NDArray[Any], ScoreResult]:
    """Scores for each organisation from its respondents' scores.

    An organisation's subscale score is the mean of its respondents' non-missing
    subscale scores; its blocks, gaps, index and level are then derived from
    those means by the same rules as for a respondent.
    """
    plan = scoring_plan(instrument)
    if organisation_ids.shape[0] != len(result):
        raise ValueError("organisation_ids must have one entry per scored row")
    orgs, inverse = np.unique(organisation_ids, return_inverse=True)
    n_sub = len(plan.subscales)
    sub_means = np.full((orgs.size, n_sub), np.nan, dtype=np.float32)
    for s in range(n_sub):
        v = result.values[:, s]
        ok = ~np.isnan(v)
        total = np.bincount(inverse[ok], weights=v[ok], minlength=orgs.size)
        count = np.bincount(inverse[ok], minlength=orgs.size)
        sub_means[:, s] = np.where(count > 0, total / np.maximum(count, 1), np.nan)
    return orgs, _result(plan, derive_from_subscales(plan, sub_means))
