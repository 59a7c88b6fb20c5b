"""What to score: subscales and composites derived from an instrument.

A :class:`ScoringPlan` turns the instrument's structure into plain arrays
(column indices, reverse flags, scale points) once, so that the kernel does no
lookups. Plans are cached per instrument.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

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

    @property
    def size(self) -> int:
        return int(self.columns.size)


@dataclass(frozen=True, slots=True)
class Group:
    """Consecutive subscales that the kernel scores together, as one array operation.

    They have the same number of items on the same scales, and their items are
    ``columns`` (subscale after subscale; a slice when contiguous, so the
    kernel reads a view of the response matrix, not a copy).

    Each subscale's answers are folded into one small integer per respondent:
    each answered item adds ``value + (1 << shift)``, where ``value`` is its
    points above the bottom of the scale (reversed for reverse-coded items) in
    units of ``1 / unit`` of a scale step (``unit`` is the least common multiple of
    the items' step counts, so mixed scales add up exactly); unanswered items
    add nothing. The sum holds the answered count above ``shift`` and the points
    below it, and ``published`` maps every possible sum to its 0-100 score (NaN
    with fewer than half the items answered).
    """

    first: int
    count: int
    size: int
    columns: slice | NDArray[np.intp]
    #: the type of the packed sums, and of one item's packed value (often narrower)
    dtype: type[np.unsignedinteger[Any]]
    item_dtype: type[np.unsignedinteger[Any]]
    shift: int
    #: positions within ``columns`` of reverse-coded items, and the top value to flip around
    reversed_items: tuple[tuple[int, int], ...]
    #: scale points (for the validity test) and multiplier to ``unit``, per column;
    #: plain ints when every item shares one scale
    points: int | NDArray[np.unsignedinteger[Any]]
    multiplier: int | NDArray[np.unsignedinteger[Any]]
    #: packed sums at or above this have enough answers for a score
    enough: int
    published: NDArray[np.float32]


@dataclass(frozen=True, slots=True)
class ScoringPlan:
    """Subscales in output order, and how blocks and the index derive from them.

    The subscales begin with each block's commitment and then its capacity
    subscale, in block order (the kernel relies on it); section subscales follow.
    """

    instrument_key: str
    n_items: int
    subscales: tuple[Subscale, ...]
    #: the subscales again, as the kernel scores them
    groups: tuple[Group, ...]
    block_ids: tuple[str, ...]
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


def _groups(subscales: list[Subscale]) -> tuple[Group, ...]:
    runs: list[list[int]] = []
    for s, sub in enumerate(subscales):
        cols = sub.columns.tolist()
        contiguous = cols == list(range(cols[0], cols[0] + len(cols)))
        if runs and contiguous:
            prev = subscales[runs[-1][-1]]
            if (
                prev.size == sub.size
                and prev.points.tolist() == sub.points.tolist()
                and int(prev.columns[-1]) + 1 == cols[0]
                and prev.columns.tolist() == list(range(int(prev.columns[0]), cols[0]))
            ):
                runs[-1].append(s)
                continue
        runs.append([s])
    return tuple(_group(run[0], [subscales[s] for s in run]) for run in runs)


def _group(first: int, subs: list[Subscale]) -> Group:
    k = subs[0].size
    points = [int(p) for p in subs[0].points]
    steps = [p - 1 for p in points]
    unit = math.lcm(*steps)
    count_bits = k.bit_length()
    shift = (k * unit).bit_length()
    dtype: type[np.unsignedinteger[Any]]
    if shift + count_bits <= 8:
        dtype = np.uint8
    elif shift + count_bits <= 16:
        dtype = np.uint16
    else:
        raise ValueError(f"subscale {subs[0].name!r} has too many items to score ({k})")
    item_dtype = np.uint8 if (1 << shift) + unit <= 255 else dtype
    packed = np.arange(1 << (shift + count_bits), dtype=np.int64)
    answered, total = packed >> shift, packed & ((1 << shift) - 1)
    need = (k + 1) // 2
    score = 100.0 * total / np.maximum(answered * unit, 1)
    columns = np.concatenate([sub.columns for sub in subs])
    contiguous = columns.tolist() == list(range(int(columns[0]), int(columns[0]) + columns.size))
    reverse = np.concatenate([sub.reverse for sub in subs])
    uniform = len(set(points)) == 1
    return Group(
        first=first,
        count=len(subs),
        size=k,
        columns=slice(int(columns[0]), int(columns[-1]) + 1) if contiguous else columns,
        dtype=dtype,
        item_dtype=item_dtype,
        shift=shift,
        reversed_items=tuple((j, steps[j % k]) for j in np.flatnonzero(reverse).tolist()),
        points=points[0] if uniform else np.array(points * len(subs), dtype=item_dtype),
        multiplier=1
        if uniform
        else np.array([unit // x for x in steps] * len(subs), dtype=item_dtype),
        enough=need << shift,
        published=np.where(answered >= need, score, np.nan).astype(np.float32),
    )


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
    for block in instrument.blocks:
        for dim in (Dimension.COMMITMENT, Dimension.CAPACITY):
            subscales.append(_subscale(f"{block.id}_{dim.value}", block.items_for(dim), instrument))
    subscales += _section_subscales(instrument)
    return ScoringPlan(
        instrument_key=instrument.key,
        n_items=len(instrument.item_ids),
        subscales=tuple(subscales),
        groups=_groups(subscales),
        block_ids=instrument.block_ids,
        min_blocks_for_index=instrument.min_blocks_for_index,
        level_lower=np.array([lv.lower for lv in instrument.levels], dtype=np.float64),
        level_ids=tuple(lv.id for lv in instrument.levels),
    )
