"""Reliability of every block and subscale of an instrument, from the response matrix.

For each building block ``b`` of the instrument three scales are assessed:
``b`` (all its items), ``b_commitment`` and ``b_capacity`` — the same names
as the score columns of :mod:`collabready.scoring`. Reverse-coded items are
flipped (``code' = points + 1 - code``), codes outside ``1..points`` (8 =
don't know, 9 = not answered) are missing, and each scale uses listwise
deletion over its own items unless told otherwise.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from collabready.instrument.model import Dimension, Instrument, Item
from collabready.stats.omega import OmegaResult, omega_from_covariance
from collabready.stats.reliability import (
    AlphaResult,
    MissingPolicy,
    ReliabilityInputError,
    alpha_from_covariance,
    flip_reversed,
    interval_n,
    scale_moments,
)

__all__ = ["ReliabilityTable", "ScaleReliability", "instrument_reliability"]


@dataclass(frozen=True, slots=True)
class ScaleReliability:
    """Alpha (and omega, when asked for) of one block or subscale."""

    scale: str
    block: str
    dimension: Dimension | None
    alpha: AlphaResult
    omega: OmegaResult | None


@dataclass(frozen=True, slots=True)
class ReliabilityTable:
    """Reliability of every block and subscale, in instrument order."""

    scales: tuple[ScaleReliability, ...]

    def scale(self, scale_id: str) -> ScaleReliability:
        for s in self.scales:
            if s.scale == scale_id:
                return s
        raise KeyError(f"no reliability for scale {scale_id!r}")

    def to_frame(self) -> pd.DataFrame:
        """One row per scale: alpha with its Feldt interval, omega, k and n."""
        nan = float("nan")
        return pd.DataFrame(
            {
                "scale": [s.scale for s in self.scales],
                "block": [s.block for s in self.scales],
                "dimension": [
                    None if s.dimension is None else str(s.dimension) for s in self.scales
                ],
                "k": [s.alpha.k for s in self.scales],
                "n": [s.alpha.n for s in self.scales],
                "alpha": [s.alpha.alpha for s in self.scales],
                "alpha_ci_lower": [s.alpha.ci_lower for s in self.scales],
                "alpha_ci_upper": [s.alpha.ci_upper for s in self.scales],
                "omega_total": [
                    nan if s.omega is None else s.omega.omega_total for s in self.scales
                ],
                "omega_hierarchical": [
                    nan if s.omega is None else s.omega.omega_hierarchical for s in self.scales
                ],
            }
        )

    def items_frame(self) -> pd.DataFrame:
        """One row per scale and item: item–rest correlation, alpha if deleted, loading."""
        frames = []
        for s in self.scales:
            f = s.alpha.items_frame()
            f.insert(0, "scale", s.scale)
            f["loading"] = list(s.omega.loadings) if s.omega is not None else float("nan")
            frames.append(f)
        return pd.concat(frames, ignore_index=True)


def _columns(codes: NDArray[Any], idx: list[int]) -> NDArray[Any]:
    """The scale's columns: a view when they are adjacent, else a column-major copy."""
    if idx == list(range(idx[0], idx[0] + len(idx))):
        return codes[:, idx[0] : idx[0] + len(idx)]
    return np.asfortranarray(codes[:, idx])


def _scale_reliability(
    *,
    codes: NDArray[Any],
    instrument: Instrument,
    position: dict[str, int],
    items: tuple[Item, ...],
    weights: NDArray[np.float64] | None,
    missing: MissingPolicy,
    confidence: float,
    with_omega: bool,
) -> tuple[AlphaResult, OmegaResult | None]:
    idx = [position[i.id] for i in items]
    block = _columns(codes, idx)
    points = {instrument.scale(i.scale).points for i in items}
    if len(points) == 1:
        moments = scale_moments(items=block, points=points.pop(), weights=weights, missing=missing)
    else:
        tops = np.array([instrument.scale(i.scale).points for i in items])
        valid = (block >= 1) & (block <= tops[None, :])
        moments = scale_moments(items=block, valid=valid, weights=weights, missing=missing)
    cov = flip_reversed(moments.covariance(), [i.reverse for i in items])
    ids = [i.id for i in items]
    alpha = alpha_from_covariance(
        covariance=cov,
        n=interval_n(moments, missing),
        items=ids,
        confidence=confidence,
        used=moments.used,
        missing=missing,
    )
    omega = omega_from_covariance(covariance=cov, items=ids) if with_omega else None
    return alpha, omega


def instrument_reliability(
    *,
    codes: NDArray[Any],
    instrument: Instrument,
    weights: NDArray[np.float64] | None = None,
    missing: MissingPolicy = MissingPolicy.LISTWISE,
    confidence: float = 0.95,
    with_omega: bool = True,
    subscales: bool = True,
) -> ReliabilityTable:
    """Alpha, Feldt interval, item–rest correlations and omega per block and subscale.

    ``codes`` is the respondents × ``instrument.item_ids`` response matrix
    (int8, column-major is fastest). ``subscales=False`` assesses only the
    whole blocks.
    """
    if codes.ndim != 2 or codes.shape[1] != len(instrument.item_ids):
        raise ReliabilityInputError(
            f"codes must have one column per item of {instrument.key} "
            f"({len(instrument.item_ids)}), got shape {codes.shape}"
        )
    position = {item_id: j for j, item_id in enumerate(instrument.item_ids)}
    out: list[ScaleReliability] = []
    for block in instrument.blocks:
        scales: list[tuple[str, Dimension | None, tuple[Item, ...]]] = [
            (block.id, None, block.items)
        ]
        if subscales:
            scales += [(f"{block.id}_{d}", d, block.items_for(d)) for d in Dimension]
        for scale_id, dim, items in scales:
            if len(items) < 2:
                continue
            alpha, omega = _scale_reliability(
                codes=codes,
                instrument=instrument,
                position=position,
                items=items,
                weights=weights,
                missing=missing,
                confidence=confidence,
                with_omega=with_omega,
            )
            out.append(ScaleReliability(scale_id, block.id, dim, alpha, omega))
    return ReliabilityTable(tuple(out))
