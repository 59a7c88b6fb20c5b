"""Turning a validated instrument document into the immutable :class:`Instrument`."""

from __future__ import annotations

from typing import Any

from collabready.instrument.model import (
    Block,
    Choice,
    Dimension,
    Focus,
    Instrument,
    Item,
    Level,
    OpenQuestion,
    ProfileQuestion,
    QuestionType,
    Scale,
    ScaleOption,
    Section,
    SectionKind,
    Text,
)


def _text(node: dict[str, str]) -> Text:
    return Text(dict(node))


def _opt_text(node: dict[str, Any], key: str) -> Text | None:
    return _text(node[key]) if key in node else None


def _option(node: dict[str, Any]) -> ScaleOption:
    return ScaleOption(code=int(node["code"]), label=_text(node["label"]))


def _scale(node: dict[str, Any]) -> Scale:
    dont_know = node.get("dont_know")
    return Scale(
        id=node["id"],
        options=tuple(_option(o) for o in node["options"]),
        dont_know=_option(dont_know) if dont_know is not None else None,
    )


def _question(node: dict[str, Any]) -> ProfileQuestion:
    return ProfileQuestion(
        id=node["id"],
        text=_text(node["text"]),
        type=QuestionType(node["type"]),
        choices=tuple(
            Choice(code=int(c["code"]), value=c["value"], label=_text(c["label"]))
            for c in node["choices"]
        ),
        hint=_opt_text(node, "hint"),
    )


def _block(node: dict[str, Any]) -> Block:
    items = tuple(
        Item(
            id=it["id"],
            text=_text(it["text"]),
            scale=it["scale"],
            reverse=bool(it.get("reverse", False)),
            dimension=Dimension(it["dimension"]),
            block=node["id"],
        )
        for it in node["items"]
    )
    return Block(
        id=node["id"],
        title=_text(node["title"]),
        description=_text(node["description"]),
        items=items,
        guidance=tuple(_text(g) for g in node["guidance"]),
        short_label=_text(node["short_label"]),
    )


def _section(node: dict[str, Any]) -> Section:
    items = tuple(
        Item(
            id=it["id"],
            text=_text(it["text"]),
            scale=it["scale"],
            reverse=bool(it.get("reverse", False)),
            facet=it.get("facet"),
            section=node["id"],
        )
        for it in node["items"]
    )
    return Section(
        id=node["id"],
        kind=SectionKind(node["kind"]),
        title=_text(node["title"]),
        description=_text(node["description"]),
        items=items,
    )


def _open(node: dict[str, Any]) -> OpenQuestion:
    if "max_length" in node:
        return OpenQuestion(
            id=node["id"],
            text=_text(node["text"]),
            hint=_opt_text(node, "hint"),
            max_length=int(node["max_length"]),
        )
    return OpenQuestion(id=node["id"], text=_text(node["text"]), hint=_opt_text(node, "hint"))


def _level(node: dict[str, Any]) -> Level:
    return Level(
        id=node["id"],
        lower=float(node["lower"]),
        upper=float(node["upper"]),
        label=_text(node["label"]),
        description=_text(node["description"]),
    )


def _focus(node: dict[str, Any]) -> Focus:
    return Focus(
        block=node["block"],
        rationale=_opt_text(node, "rationale"),
        lag_finding=_opt_text(node, "lag_finding"),
    )


def build_instrument(doc: dict[str, Any]) -> Instrument:
    """The :class:`Instrument` for a document that passed both validation stages."""
    extra: dict[str, Any] = {}
    if "min_blocks_for_index" in doc:
        extra["min_blocks_for_index"] = int(doc["min_blocks_for_index"])
    return Instrument(
        id=doc["id"],
        version=doc["version"],
        title=_text(doc["title"]),
        introduction=_text(doc["introduction"]),
        languages=tuple(doc["languages"]),
        estimated_minutes=int(doc["estimated_minutes"]),
        scales=tuple(_scale(s) for s in doc["scales"]),
        profile=tuple(_question(q) for q in doc["profile"]),
        blocks=tuple(_block(b) for b in doc["blocks"]),
        sections=tuple(_section(s) for s in doc["sections"]),
        open_questions=tuple(_open(q) for q in doc["open_questions"]),
        levels=tuple(_level(lv) for lv in doc["levels"]),
        item_prompt=_opt_text(doc, "item_prompt"),
        focus=_focus(doc["focus"]) if "focus" in doc else None,
        **extra,
    )
