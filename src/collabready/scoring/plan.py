"""What to score: subscales and composites derived from an instrument.

A :class:`ScoringPlan` turns the instrument's structure into plain arrays
(column indices, reverse flags, scale points) once, so that the kernel does no
lookups. Plans are cached per instrument.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from collabready.instrument.model import Dimension, Instrument, Item, SectionKind


@dataclass(frozen=True, slots=True)
class Subscale:
    """A set of items averaged into one 0-100 score.

    ``columns`` index the response matrix; an answer counts when its code lies
    in ``1..points``. The subscale is missing when fewer than half its items
    are answered (``answered * 2 < len(columns)``).
    """

    name: str
    columns: NDArray[np.intp]
    reverse: NDArray[np.bool_]
    points: NDArray[np.uint8]
    #: (column, reverse, points) per item, as plain Python values for the kernel
    items: tuple[tuple[int, bool, int], ...]
    #: every item has the same number of scale points
    uniform: bool

    @property
    def size(self) -> int:
        return int(self.columns.size)


@dataclass(frozen=True, slots=True)
class ScoringPlan:
    """Subscales in output order, and how blocks and the index derive from them."""

    instrument_key: str
    n_items: int
    subscales: tuple[Subscale, ...]
    block_ids: tuple[str, ...]
    #: for each block, the positions of its commitment and capacity subscales
    block_subscales: tuple[tuple[int, int], ...]
    min_blocks_for_index: int
    level_lower: NDArray[np.float64]
    level_ids: tuple[str, ...]

    @property
    def columns(self) -> tuple[str, ...]:
        """Names of the score columns, in :class:`ScoreResult` order."""
        names = [s.name for s in self.subscales]
        for b in self.block_ids:
            names += [b, f"{b}_gap"]
        names += ["commitment", "capacity", "index", "gap"]
        return tuple(names)


def _subscale(name: str, items: tuple[Item, ...], instrument: Instrument) -> Subscale:
    position = {item_id: j for j, item_id in enumerate(instrument.item_ids)}
    columns = [position[i.id] for i in items]
    points = [instrument.scale(i.scale).points for i in items]
    return Subscale(
        name=name,
        columns=np.array(columns, dtype=np.intp),
        reverse=np.array([i.reverse for i in items], dtype=np.bool_),
        points=np.array(points, dtype=np.uint8),
        items=tuple((c, i.reverse, p) for c, i, p in zip(columns, items, points, strict=True)),
        uniform=len(set(points)) == 1,
    )


def _section_subscales(instrument: Instrument) -> list[Subscale]:
    out: list[Subscale] = []
    for kind in SectionKind:
        sections = [s for s in instrument.sections if s.kind is kind]
        items = tuple(i for s in sections for i in s.items)
        if not items:
            continue
        if kind is SectionKind.ENVIRONMENT:
            # "helps" and "hinders" are scored apart: they are not one scale.
            for facet in ("helps", "hinders"):
                facet_items = tuple(i for i in items if i.facet == facet)
                if facet_items:
                    out.append(_subscale(f"environment_{facet}", facet_items, instrument))
            continue
        out.append(_subscale(kind.value, items, instrument))
        if kind is SectionKind.ENABLERS:
            facets = dict.fromkeys(i.facet for i in items if i.facet)
            for facet in facets:
                facet_items = tuple(i for i in items if i.facet == facet)
                out.append(_subscale(f"enablers_{facet}", facet_items, instrument))
    return out


_CACHE: dict[int, tuple[Instrument, ScoringPlan]] = {}


def scoring_plan(instrument: Instrument) -> ScoringPlan:
    """The plan for scoring responses to ``instrument`` (cached per instrument object)."""
    hit = _CACHE.get(id(instrument))
    if hit is not None and hit[0] is instrument:
        return hit[1]
    plan = _build_plan(instrument)
    if len(_CACHE) > 32:
        _CACHE.clear()
    _CACHE[id(instrument)] = (instrument, plan)
    return plan


def _build_plan(instrument: Instrument) -> ScoringPlan:
    subscales: list[Subscale] = []
    block_subscales: list[tuple[int, int]] = []
    for block in instrument.blocks:
        pair = []
        for dim in (Dimension.COMMITMENT, Dimension.CAPACITY):
            pair.append(len(subscales))
            subscales.append(_subscale(f"{block.id}_{dim.value}", block.items_for(dim), instrument))
        block_subscales.append((pair[0], pair[1]))
    subscales += _section_subscales(instrument)
    return ScoringPlan(
        instrument_key=instrument.key,
        n_items=len(instrument.item_ids),
        subscales=tuple(subscales),
        block_ids=instrument.block_ids,
        block_subscales=tuple(block_subscales),
        min_blocks_for_index=instrument.min_blocks_for_index,
        level_lower=np.array([lv.lower for lv in instrument.levels], dtype=np.float64),
        level_ids=tuple(lv.id for lv in instrument.levels),
    )
