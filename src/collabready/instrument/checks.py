"""Stage 2 of validation: the meaning of a structurally valid instrument document.

Each check returns problem lines ``"<path>: <what is wrong>"``; :func:`meaning_problems`
runs them all, so that an author sees every problem at once.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from typing import Any, Final

from collabready.instrument.model import DONT_KNOW, Dimension, SectionKind
from collabready.instrument.structure import format_path, problem

#: Fewest commitment (and capacity) statements a block may have.
MIN_ITEMS_PER_SUBSCALE: Final = 4
#: ``MAJOR.MINOR.PATCH``, without leading zeros (Semantic Versioning 2.0 core).
VERSION_RE: Final = re.compile(r"^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)$")
#: File names that carry an id and a version, such as ``cri-1.0.0.yaml``.
FILE_NAME_RE: Final = re.compile(r"^(?P<id>.+)-(?P<version>\d+\.\d+\.\d+)$")
#: The facets that the scoring of an environment section relies on.
ENVIRONMENT_FACETS: Final = ("helps", "hinders")

Path = tuple[str | int, ...]


def iter_texts(doc: dict[str, Any]) -> Iterator[tuple[Path, dict[str, str]]]:
    """Every text in the document with its path, in file order."""

    def opt(node: dict[str, Any], key: str, path: Path) -> Iterator[tuple[Path, dict[str, str]]]:
        if key in node:
            yield (*path, key), node[key]

    for key in ("title", "introduction", "item_prompt"):
        yield from opt(doc, key, ())
    for i, scale in enumerate(doc["scales"]):
        for j, option in enumerate(scale["options"]):
            yield ("scales", i, "options", j, "label"), option["label"]
        if "dont_know" in scale:
            yield ("scales", i, "dont_know", "label"), scale["dont_know"]["label"]
    for i, q in enumerate(doc["profile"]):
        yield ("profile", i, "text"), q["text"]
        yield from opt(q, "hint", ("profile", i))
        for j, c in enumerate(q["choices"]):
            yield ("profile", i, "choices", j, "label"), c["label"]
    for group in ("blocks", "sections"):
        for i, node in enumerate(doc[group]):
            yield (group, i, "title"), node["title"]
            yield from opt(node, "short_label", (group, i))
            yield (group, i, "description"), node["description"]
            for j, item in enumerate(node["items"]):
                yield (group, i, "items", j, "text"), item["text"]
            for k, action in enumerate(node.get("guidance", [])):
                yield (group, i, "guidance", k), action
        if group == "blocks" and "focus" in doc:
            for key in ("rationale", "lag_finding"):
                yield from opt(doc["focus"], key, ("focus",))
    for i, q in enumerate(doc["open_questions"]):
        yield ("open_questions", i, "text"), q["text"]
        yield from opt(q, "hint", ("open_questions", i))
    for i, level in enumerate(doc["levels"]):
        yield ("levels", i, "label"), level["label"]
        yield ("levels", i, "description"), level["description"]


def check_version(doc: dict[str, Any], *, file_name: str) -> list[str]:
    out: list[str] = []
    version = doc["version"]
    if not VERSION_RE.match(version):
        out.append(
            problem(["version"], f"{version!r} is not MAJOR.MINOR.PATCH (for example '1.0.0')")
        )
    stem = file_name.rsplit(".", 1)[0]
    named = FILE_NAME_RE.match(stem)
    if named and named["version"] != version:
        out.append(
            problem(
                ["version"],
                f"{version!r} disagrees with the file name, which says {named['version']!r}: "
                "a new version must be a new file",
            )
        )
    if named and named["id"] != doc["id"]:
        out.append(
            problem(
                ["id"], f"{doc['id']!r} disagrees with the file name, which says {named['id']!r}"
            )
        )
    return out


def check_languages(doc: dict[str, Any]) -> list[str]:
    declared: list[str] = doc["languages"]
    out: list[str] = []
    for path, text in iter_texts(doc):
        out += [
            problem(path, f"missing language {lang!r}") for lang in declared if lang not in text
        ]
        out += [
            problem(path, f"language {lang!r} is not declared in languages ({', '.join(declared)})")
            for lang in text
            if lang not in declared
        ]
    return out


def _unique(entries: Sequence[tuple[Path, object]], what: str) -> list[str]:
    """Problems for every entry whose value was already seen at an earlier path."""
    first: dict[object, Path] = {}
    out: list[str] = []
    for path, value in entries:
        if value in first:
            out.append(
                problem(path, f"duplicate {what} {value!r} (first at {format_path(first[value])})")
            )
        else:
            first[value] = path
    return out


def check_unique_ids(doc: dict[str, Any]) -> list[str]:
    columns: list[tuple[Path, object]] = []
    for group in ("blocks", "sections"):
        for i, node in enumerate(doc[group]):
            columns += [
                ((group, i, "items", j, "id"), it["id"]) for j, it in enumerate(node["items"])
            ]
    for group in ("profile", "open_questions"):
        columns += [((group, i, "id"), q["id"]) for i, q in enumerate(doc[group])]
    parts = [((g, i, "id"), n["id"]) for g in ("blocks", "sections") for i, n in enumerate(doc[g])]
    out = _unique(columns, "item or question id")
    out += _unique(parts, "block or section id")
    out += _unique(
        [(("scales", i, "id"), s["id"]) for i, s in enumerate(doc["scales"])], "scale id"
    )
    out += _unique(
        [(("levels", i, "id"), lv["id"]) for i, lv in enumerate(doc["levels"])], "level id"
    )
    for i, q in enumerate(doc["profile"]):
        choices = list(enumerate(q["choices"]))
        out += _unique(
            [(("profile", i, "choices", j, "code"), c["code"]) for j, c in choices], "choice code"
        )
        out += _unique(
            [(("profile", i, "choices", j, "value"), c["value"]) for j, c in choices],
            "choice value",
        )
    return out


def check_short_labels(doc: dict[str, Any]) -> list[str]:
    """No two blocks share a short label in any language (they head the same table)."""
    out: list[str] = []
    for lang in doc["languages"]:
        out += _unique(
            [
                (("blocks", i, "short_label", lang), b["short_label"][lang])
                for i, b in enumerate(doc["blocks"])
                if lang in b["short_label"]
            ],
            "short label",
        )
    return out


def check_focus(doc: dict[str, Any]) -> list[str]:
    """``focus.block`` names one of the blocks."""
    if "focus" not in doc:
        return []
    known = [b["id"] for b in doc["blocks"]]
    named = doc["focus"]["block"]
    if named in known:
        return []
    return [problem(("focus", "block"), f"unknown block {named!r} (blocks: {', '.join(known)})")]


def check_scales(doc: dict[str, Any]) -> list[str]:
    out: list[str] = []
    for i, scale in enumerate(doc["scales"]):
        for j, option in enumerate(scale["options"]):
            if option["code"] != j + 1:
                out.append(
                    problem(
                        ("scales", i, "options", j, "code"),
                        f"is {option['code']}, expected {j + 1}: options are coded 1, 2, ... "
                        "from the lowest up",
                    )
                )
        dont_know = scale.get("dont_know")
        if dont_know is not None and dont_know["code"] != DONT_KNOW:
            out.append(
                problem(
                    ("scales", i, "dont_know", "code"),
                    f"is {dont_know['code']}, must be {DONT_KNOW}",
                )
            )
    return out


def check_scale_references(doc: dict[str, Any]) -> list[str]:
    known = [s["id"] for s in doc["scales"]]
    out: list[str] = []
    for group in ("blocks", "sections"):
        for i, node in enumerate(doc[group]):
            for j, item in enumerate(node["items"]):
                if item["scale"] not in known:
                    out.append(
                        problem(
                            (group, i, "items", j, "scale"),
                            f"unknown scale {item['scale']!r} (defined: {', '.join(known)})",
                        )
                    )
    return out


def check_blocks(doc: dict[str, Any]) -> list[str]:
    out: list[str] = []
    for i, block in enumerate(doc["blocks"]):
        for dim in Dimension:
            n = sum(1 for item in block["items"] if item["dimension"] == dim.value)
            if n < MIN_ITEMS_PER_SUBSCALE:
                out.append(
                    problem(
                        ("blocks", i, "items"),
                        f"block {block['id']!r} has {n} {dim.value} items, "
                        f"at least {MIN_ITEMS_PER_SUBSCALE} are needed",
                    )
                )
    wanted = doc.get("min_blocks_for_index")
    if wanted is not None and wanted > len(doc["blocks"]):
        out.append(
            problem(
                ["min_blocks_for_index"],
                f"is {wanted}, but there are only {len(doc['blocks'])} blocks",
            )
        )
    return out


def check_sections(doc: dict[str, Any]) -> list[str]:
    out: list[str] = []
    for i, section in enumerate(doc["sections"]):
        if section["kind"] != SectionKind.ENVIRONMENT.value:
            continue
        for j, item in enumerate(section["items"]):
            if item.get("facet") not in ENVIRONMENT_FACETS:
                out.append(
                    problem(
                        ("sections", i, "items", j, "facet"),
                        f"is {item.get('facet')!r}; environment items need facet "
                        "'helps' or 'hinders'",
                    )
                )
    return out


def check_levels(doc: dict[str, Any]) -> list[str]:
    out: list[str] = []
    levels = doc["levels"]
    for i, level in enumerate(levels):
        if level["lower"] >= level["upper"]:
            out.append(
                problem(
                    ("levels", i),
                    f"lower ({level['lower']}) must be below upper ({level['upper']})",
                )
            )
    if levels[0]["lower"] != 0:
        out.append(
            problem(
                ("levels", 0, "lower"), f"is {levels[0]['lower']}: the first band must start at 0"
            )
        )
    for i in range(1, len(levels)):
        before, here = levels[i - 1]["upper"], levels[i]["lower"]
        if here > before:
            out.append(
                problem(
                    ("levels", i, "lower"),
                    f"leaves a gap: levels[{i - 1}] ends at {before}, this band starts at {here}",
                )
            )
        elif here < before:
            out.append(
                problem(
                    ("levels", i, "lower"),
                    f"overlaps: levels[{i - 1}] ends at {before}, this band starts at {here}",
                )
            )
    if levels[-1]["upper"] != 100:
        out.append(
            problem(
                ("levels", len(levels) - 1, "upper"),
                f"is {levels[-1]['upper']}: the last band must end at 100",
            )
        )
    return out


def meaning_problems(doc: dict[str, Any], *, file_name: str) -> list[str]:
    """Every meaning problem of a document that has passed the structure stage."""
    return [
        *check_version(doc, file_name=file_name),
        *check_unique_ids(doc),
        *check_short_labels(doc),
        *check_scales(doc),
        *check_scale_references(doc),
        *check_blocks(doc),
        *check_focus(doc),
        *check_sections(doc),
        *check_levels(doc),
        *check_languages(doc),
    ]
