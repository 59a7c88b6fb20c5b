"""The variables of an export, and the codebook that documents them.

:func:`export_variables` is the one definition of an export's columns: their
names, labels (from the instrument, in English or Welsh), value labels,
missing codes and measurement level. The writers (:mod:`.writers`) label the
files from it, and :func:`codebook` documents it, so the two cannot disagree.

Codes (every export):

- rated items: ``1 .. points`` (the scale), ``8`` = don't know, ``9`` = no answer;
- profile questions: the choice codes, ``99`` = no answer;
- ``level``: ``1 ..`` the readiness levels in order, empty when the index is missing.

In SPSS the missing codes are user-missing values; in Stata they are the
extended missing values ``.a`` (don't know) and ``.b`` (no answer).

Why this module is long: the variables of an export and the codebook that
documents them are one definition, rendered three ways (JSON, Markdown,
HTML); split, each rendering would need all of the definition back.
"""

from __future__ import annotations

import html
import json
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, Final

from collabready.formats.labels import (
    SPSS_VALUE_LABEL_BYTES,
    SPSS_VARIABLE_LABEL_BYTES,
    STATA_VARIABLE_LABEL_CHARS,
    fit_bytes,
    fit_chars,
)
from collabready.instrument import DONT_KNOW, MISSING, Instrument

__all__ = [
    "NO_ANSWER_PROFILE",
    "Kind",
    "Missing",
    "Variable",
    "codebook",
    "export_variables",
    "render_codebook",
    "score_columns",
]

#: The code of an unanswered profile question (profile choices use 1, 2, ...).
NO_ANSWER_PROFILE: Final = 99
#: Stata extended missing value of each missing code.
STATA_TAG: Final = {DONT_KNOW: "a", MISSING: "b", NO_ANSWER_PROFILE: "b"}

#: Words the instrument does not hold, in the languages the exports speak.
#: The Welsh comes from the web layer's translations (locale/cy/django.po)
#: where it has them; the rest falls back to English.
_WORDS: Final[dict[str, dict[str, str]]] = {
    "no_answer": {"en": "No answer", "cy": "Heb ateb"},
    "commitment": {"en": "commitment", "cy": "ymrwymiad"},
    "capacity": {"en": "capacity", "cy": "capasiti"},
    "gap": {"en": "gap (commitment minus capacity)", "cy": "bwlch (ymrwymiad llai capasiti)"},
    "overall_commitment": {"en": "Commitment (ambition)", "cy": "Ymrwymiad (uchelgais)"},
    "overall_capacity": {"en": "Capacity (practice)", "cy": "Capasiti (ymarfer)"},
    "overall_gap": {"en": "Ambition–practice gap", "cy": "Bwlch rhwng uchelgais ac ymarfer"},
    "index": {"en": "Readiness index", "cy": "Mynegai parodrwydd"},
    "level": {"en": "Readiness level"},
    "respondent_id": {"en": "Respondent (pseudonymous id, stable within the wave)"},
    "organisation_id": {"en": "Organisation (pseudonymous id, stable within the wave)"},
    "weight": {"en": "Raking weight (to the population margins)"},
    "complete": {"en": "Response complete (submitted)"},
    "complete_no": {"en": "Partial (not submitted)"},
    "complete_yes": {"en": "Complete (submitted)"},
    "last_page": {"en": "Last page saved (partial responses)"},
}

#: The status columns of an export with partial responses (``--partial``).
COMPLETE: Final = "complete"
LAST_PAGE: Final = "last_page"


def _word(key: str, language: str) -> str:
    words = _WORDS[key]
    return words.get(language, words["en"])


class Kind(StrEnum):
    ID = "id"
    PROFILE = "profile"
    ITEM = "item"
    SCORE = "score"
    LEVEL = "level"
    WEIGHT = "weight"
    TEXT = "text"
    OPEN = "open"
    STATUS = "status"


@dataclass(frozen=True, slots=True)
class Missing:
    """A declared missing code: SPSS user-missing value, Stata extended missing ``.tag``."""

    code: int
    label: str
    stata: str


@dataclass(frozen=True, slots=True)
class Variable:
    """One column of an export."""

    name: str
    kind: Kind
    label: str
    values: tuple[tuple[int, str], ...] = ()
    missing: tuple[Missing, ...] = ()
    measure: str = "nominal"  # SPSS: nominal, ordinal or scale
    notes: str = ""

    @property
    def coded(self) -> bool:
        return bool(self.values or self.missing)

    @property
    def value_labels(self) -> dict[int, str]:
        return {**dict(self.values), **{m.code: m.label for m in self.missing}}

    @property
    def stata_label(self) -> str:
        return fit_chars(self.label, STATA_VARIABLE_LABEL_CHARS)

    @property
    def spss_label(self) -> str:
        return fit_bytes(self.label, SPSS_VARIABLE_LABEL_BYTES)

    @property
    def spss_value_labels(self) -> dict[int, str]:
        return {k: fit_bytes(v, SPSS_VALUE_LABEL_BYTES) for k, v in self.value_labels.items()}


def score_columns(instrument: Instrument) -> tuple[str, ...]:
    """The score columns of :func:`collabready.scoring.score_matrix`, in order."""
    import numpy as np

    from collabready.scoring import score_matrix

    codes = np.full((1, len(instrument.item_ids)), MISSING, dtype=np.int8, order="F")
    return score_matrix(codes, instrument).columns


def _score_label(instrument: Instrument, name: str, language: str) -> str:
    scale = " (0–100)"
    for block in instrument.blocks:
        title = block.title.get(language)
        if name == block.id:
            return title + scale
        for suffix in ("commitment", "capacity"):
            if name == f"{block.id}_{suffix}":
                return f"{title}: {_word(suffix, language)}{scale}"
        if name == f"{block.id}_gap":
            return f"{title}: {_word('gap', language)}"
    overall = {"commitment": "overall_commitment", "capacity": "overall_capacity"}
    if name in overall:
        return _word(overall[name], language) + scale
    if name == "gap":
        return _word("overall_gap", language)
    if name == "index":
        return _word("index", language) + scale
    for section in instrument.sections:
        title = section.title.get(language)
        if name == section.id:
            return title + scale
        if name.startswith(f"{section.id}_"):
            facet = name[len(section.id) + 1 :].replace("_", " ")
            return f"{title}: {facet}{scale}"
    return name


def export_variables(
    instrument: Instrument,
    *,
    language: str = "en",
    scores: bool = False,
    weight: bool = False,
    open_answers: bool = False,
    partial: bool = False,
) -> tuple[Variable, ...]:
    """The columns of an export, in order: ids, profile, items, then (as asked for) the
    open answers, the partial-response status, the scores and the weight."""
    no_answer = _word("no_answer", language)
    out = [
        Variable("respondent_id", Kind.ID, _word("respondent_id", language)),
        Variable("organisation_id", Kind.ID, _word("organisation_id", language)),
    ]
    for q in instrument.profile:
        out.append(
            Variable(
                q.id,
                Kind.PROFILE,
                q.text.get(language),
                values=tuple((c.code, c.label.get(language)) for c in q.choices),
                missing=(Missing(NO_ANSWER_PROFILE, no_answer, STATA_TAG[NO_ANSWER_PROFILE]),),
                notes="choice values: " + ", ".join(f"{c.code} = {c.value}" for c in q.choices),
            )
        )
    for item in instrument.iter_items():
        scale = instrument.scale(item.scale)
        missing = []
        if scale.dont_know is not None:
            missing.append(Missing(DONT_KNOW, scale.dont_know.label.get(language), "a"))
        missing.append(Missing(MISSING, no_answer, "b"))
        where = item.block or item.section or ""
        notes = f"{where}; {item.dimension.value if item.dimension else item.facet or ''}"
        out.append(
            Variable(
                item.id,
                Kind.ITEM,
                item.text.get(language),
                values=tuple((o.code, o.label.get(language)) for o in scale.options),
                missing=tuple(missing),
                measure="ordinal",
                notes=f"scale {scale.id} ({scale.points} points); {notes.strip('; ')}"
                + ("; REVERSE-CODED in scoring" if item.reverse else ""),
            )
        )
    if open_answers:
        for oq in instrument.open_questions:
            out.append(
                Variable(
                    oq.id,
                    Kind.OPEN,
                    oq.text.get(language),
                    notes=f"free text, at most {oq.max_length:,} characters; empty when not "
                    "answered; in CSV and XLSX a text starting with = + - @, a tab or a "
                    "carriage return gets a leading apostrophe",
                )
            )
    if partial:
        out.append(
            Variable(
                COMPLETE,
                Kind.STATUS,
                _word("complete", language),
                values=((0, _word("complete_no", language)), (1, _word("complete_yes", language))),
            )
        )
        out.append(
            Variable(
                LAST_PAGE,
                Kind.STATUS,
                _word("last_page", language),
                notes="the page a partial response was last saved on (a profile, block or "
                "section page, or open for the open questions); empty for a complete response",
            )
        )
    if scores:
        for name in score_columns(instrument):
            out.append(
                Variable(
                    name, Kind.SCORE, _score_label(instrument, name, language), measure="scale"
                )
            )
        out.append(
            Variable(
                "level",
                Kind.LEVEL,
                _word("level", language),
                values=tuple(
                    (n, lv.label.get(language)) for n, lv in enumerate(instrument.levels, 1)
                ),
                measure="ordinal",
                notes="empty when the index is missing",
            )
        )
    if weight:
        out.append(Variable("weight", Kind.WEIGHT, _word("weight", language), measure="scale"))
    return tuple(out)


def _scoring_rules(instrument: Instrument) -> list[str]:
    reverse = [i.id for i in instrument.iter_items() if i.reverse]
    bands = "; ".join(
        f"{lv.label.get()} {lv.lower:g} to under {lv.upper:g}" for lv in instrument.levels
    )
    return [
        "An answer on a k-point scale scores code − 1 points (0 … k−1); a reverse-coded "
        "item scores k − code. Reverse-coded items: " + (", ".join(reverse) or "none") + ".",
        "Don't know (8), no answer (9) and codes outside 1…k add nothing and do not count "
        "as answered; they are never scored as zero.",
        "Subscale score = 100 × points / ((k − 1) × answered); missing when fewer than half "
        "its items are answered.",
        "Block score = mean of the block's commitment and capacity scores; block gap = "
        "commitment − capacity; both missing if either is missing.",
        "Overall commitment, capacity and index = mean of the block scores present, provided "
        f"at least {instrument.min_blocks_for_index} of {len(instrument.blocks)} blocks are "
        "present; overall gap = commitment − capacity.",
        f"Readiness level of the index: {bands} (the top band includes 100).",
        "The full rules, with a worked example: docs/scoring.md in the collabready sources.",
    ]


def codebook(instrument: Instrument, *, language: str = "en") -> dict[str, Any]:
    """The codebook of every export of ``instrument`` as plain data (the JSON form).

    Every variable an export can hold is listed (scores and the weight are in
    an export only when asked for). ``stata_label`` and ``spss_value_labels``
    are given where a format's limit made the written label shorter.
    """
    variables = []
    for v in export_variables(
        instrument, language=language, scores=True, weight=True, open_answers=True, partial=True
    ):
        entry: dict[str, Any] = {
            "name": v.name,
            "kind": v.kind.value,
            "label": v.label,
            "measure": v.measure,
            "values": [{"code": c, "label": lab} for c, lab in v.values],
            "missing": [
                {"code": m.code, "label": m.label, "stata": f".{m.stata}"} for m in v.missing
            ],
        }
        if v.notes:
            entry["notes"] = v.notes
        if v.kind in (Kind.SCORE, Kind.LEVEL):
            entry["only_with"] = "--scores"
        if v.kind is Kind.WEIGHT:
            entry["only_with"] = "--weights"
        if v.kind is Kind.OPEN:
            entry["only_with"] = "--open-answers"
        if v.kind is Kind.STATUS:
            entry["only_with"] = "--partial"
        if v.stata_label != v.label:
            entry["stata_label"] = v.stata_label
        if v.spss_label != v.label:
            entry["spss_label"] = v.spss_label
        short = {str(k): s for k, s in v.spss_value_labels.items() if s != v.value_labels[k]}
        if short:
            entry["spss_value_labels"] = short
        variables.append(entry)
    return {
        "instrument": {
            "id": instrument.id,
            "version": instrument.version,
            "title": instrument.title.get(language),
        },
        "language": language,
        "identifiers": (
            "respondent_id and organisation_id are pseudonyms: the first 16 hex digits of "
            "HMAC-SHA256 of the internal id under a secret key given for the export. The "
            "same key gives the same pseudonyms; without the key they cannot be linked to "
            "anyone. They carry no e-mail address or name. organisation_id is empty for a "
            "respondent without a known organisation (an open-link response)."
        ),
        "codes": {
            "items": f"1 … points of the scale; {DONT_KNOW} = don't know; {MISSING} = no answer",
            "profile": f"the choice codes; {NO_ANSWER_PROFILE} = no answer",
            "spss": "missing codes are declared user-missing values",
            "stata": ".a = don't know, .b = no answer (extended missing values)",
        },
        "scoring_rules": _scoring_rules(instrument),
        "variables": variables,
    }


def _values_text(entry: dict[str, Any]) -> str:
    parts = [f"{v['code']} = {v['label']}" for v in entry["values"]]
    parts += [f"{m['code']} = {m['label']} (missing; Stata {m['stata']})" for m in entry["missing"]]
    return "; ".join(parts)


def _markdown(book: dict[str, Any]) -> str:
    inst = book["instrument"]

    def cell(text: str) -> str:
        return text.replace("|", "\\|").replace("\n", " ")

    lines = [
        f"# Codebook: {inst['title']} ({inst['id']}@{inst['version']})",
        "",
        f"Language of the labels: {book['language']}.",
        "",
        "## Identifiers",
        "",
        book["identifiers"],
        "",
        "## Codes",
        "",
        *(f"- **{k}**: {v}" for k, v in book["codes"].items()),
        "",
        "## Scoring rules",
        "",
        *(f"{n}. {rule}" for n, rule in enumerate(book["scoring_rules"], 1)),
        "",
        "## Variables",
        "",
        "| variable | label | values | notes |",
        "|---|---|---|---|",
    ]
    for v in book["variables"]:
        lines.append(
            f"| `{v['name']}` | {cell(v['label'])} | {cell(_values_text(v))} "
            f"| {cell(_notes_text(v))} |"
        )
    return "\n".join(lines) + "\n"


def _notes_text(v: dict[str, Any]) -> str:
    """A variable's notes as one line (Markdown and HTML codebooks alike)."""
    notes = [v.get("notes", "")]
    if "only_with" in v:
        notes.append(f"only with {v['only_with']}")
    if "stata_label" in v:
        notes.append(f"Stata label (80 characters): {v['stata_label']}")
    return "; ".join(n for n in notes if n)


def _html(book: dict[str, Any]) -> str:
    e = html.escape
    inst = book["instrument"]
    title = f"Codebook: {inst['title']} ({inst['id']}@{inst['version']})"
    rows = []
    for v in book["variables"]:
        rows.append(
            f"<tr><th scope=row><code>{e(v['name'])}</code></th><td>{e(v['label'])}</td>"
            f"<td>{e(_values_text(v))}</td><td>{e(_notes_text(v))}</td></tr>"
        )
    codes = "".join(f"<li><b>{e(k)}</b>: {e(v)}</li>" for k, v in book["codes"].items())
    rules = "".join(f"<li>{e(r)}</li>" for r in book["scoring_rules"])
    return (
        f'<!doctype html>\n<html lang="{e(book["language"])}"><head><meta charset="utf-8">'
        f"<title>{e(title)}</title><style>body{{font-family:sans-serif;max-width:70em;"
        "margin:auto}table{border-collapse:collapse}td,th{border:1px solid #bbb;padding:.3em;"
        "text-align:left;vertical-align:top}</style></head><body>"
        f"<h1>{e(title)}</h1><h2>Identifiers</h2><p>{e(book['identifiers'])}</p>"
        f"<h2>Codes</h2><ul>{codes}</ul><h2>Scoring rules</h2><ol>{rules}</ol>"
        "<h2>Variables</h2><table><thead><tr><th scope=col>variable</th><th scope=col>label"
        "</th><th scope=col>values</th><th scope=col>notes</th></tr></thead><tbody>"
        + "".join(rows)
        + "</tbody></table></body></html>\n"
    )


def render_codebook(instrument: Instrument, suffix: str, *, language: str = "en") -> str:
    """The codebook as ``.json``, ``.md`` or ``.html`` text."""
    book = codebook(instrument, language=language)
    if suffix == ".json":
        return json.dumps(book, ensure_ascii=False, indent=2) + "\n"
    if suffix == ".md":
        return _markdown(book)
    if suffix == ".html":
        return _html(book)
    raise ValueError(f"unknown codebook format {suffix!r}")
