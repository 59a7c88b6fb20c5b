"""The SPSS export as PSPP and R's haven read it: the golden facts, checked from our side.

``scripts/reference/check_sav_pspp.py`` exports a small synthetic wave to .sav,
opens it in GNU PSPP and in haven, checks that they read the variable labels,
value labels and missing values the export means to write, and keeps their
output in ``tests/golden/reference/``. These tests need neither tool: they make
the same export again and check, with pyreadstat, that it still holds what PSPP
and haven read (if the export changes on purpose, run the script again and
commit its output).
"""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path
from types import ModuleType
from typing import Any

import pyreadstat
import pytest

from collabready.analysis.load import from_frame
from collabready.formats import read_table
from collabready.formats.export import export_responses
from collabready.formats.writers import write_export
from collabready.instrument import load_instrument
from collabready.synth import generate_wave

ROOT = Path(__file__).resolve().parents[2]
GOLDEN = ROOT / "tests" / "golden" / "reference"
RERUN = "run .venv/bin/python scripts/reference/check_sav_pspp.py and commit its output"


def _script() -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        "check_sav_pspp", ROOT / "scripts" / "reference" / "check_sav_pspp.py"
    )
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


SCRIPT = _script()
FACTS: dict[str, Any] = json.loads((GOLDEN / "facts.json").read_text(encoding="utf-8"))


def _make(lang: str, work: Path) -> tuple[str, Any, Any]:
    """The script's export, made again in process: (language, pyreadstat's frame and meta)."""
    inst = load_instrument()
    generate_wave(respondents=SCRIPT.RESPONDENTS, seed=SCRIPT.SEED, instrument=inst).write(
        work / "wave.parquet"
    )
    matrix = from_frame(read_table(work / "wave.parquet"), inst)
    table = export_responses(matrix, id_key=SCRIPT.ID_KEY.encode(), scores=True, language=lang)
    write_export(table, work / "wave.sav", "sav")
    frame, meta = pyreadstat.read_sav(str(work / "wave.sav"), user_missing=True)
    return lang, frame, meta


@pytest.fixture(scope="module", params=SCRIPT.LANGUAGES)
def export(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> tuple[str, Any, Any]:
    return _make(request.param, tmp_path_factory.mktemp(f"reference-{request.param}"))


def _ours(frame: Any, meta: Any, names: list[str]) -> dict[str, dict[str, Any]]:
    return {
        name: {
            "label": meta.column_names_to_labels[name],
            "measure": meta.variable_measure[name],
            "missing": [int(r["lo"]) for r in meta.missing_ranges.get(name, [])],
            "value_labels": {
                str(int(k)): v for k, v in meta.variable_value_labels.get(name, {}).items()
            },
        }
        for name in names
    }


def test_the_golden_facts_are_what_the_golden_pspp_output_says():
    for lang in SCRIPT.LANGUAGES:
        text = (GOLDEN / f"pspp_{lang}.csv").read_text(encoding="utf-8")
        assert SCRIPT.pspp_facts(text) == FACTS["pspp"][lang]
    if FACTS["haven"]:
        text = (GOLDEN / "haven_en.txt").read_text(encoding="utf-8")
        assert SCRIPT.haven_facts(text) == FACTS["haven"]["en"]


def test_pspp_read_our_labels_missing_values_and_levels(export: tuple[str, Any, Any]):
    lang, frame, meta = export
    pspp = FACTS["pspp"][lang]
    names = list(pspp["variables"])
    if lang == "en":  # the whole dictionary, in order
        assert names == meta.column_names, RERUN
    ours = _ours(frame, meta, names)
    for name in names:
        read = {
            k: pspp["variables"][name][k] for k in ("label", "measure", "missing", "value_labels")
        }
        assert ours[name] == read, f"{name}: PSPP read {read}, we now write {ours[name]}; {RERUN}"
    # the coded columns are whole numbers, the ids text of 16 characters
    assert pspp["variables"]["cit_com_1"]["format"] == "F8.0"
    if lang == "en":
        assert pspp["variables"]["respondent_id"]["format"] == "A16"
        assert pspp["variables"]["cit_com_1"]["missing"] == [8, 9]  # don't know, no answer
        assert pspp["variables"]["cit_com_1"]["value_labels"]["8"] == "Don't know"


def test_pspp_read_the_file_and_its_counts(export: tuple[str, Any, Any]):
    lang, frame, meta = export
    pspp = FACTS["pspp"][lang]
    assert pspp["file"] == {
        "label": meta.file_label,
        "encoding": "UTF-8",
        "cases": meta.number_rows,
        "variables": meta.number_columns,
    }
    for name, counts in pspp["frequencies"].items():
        ours = frame[name].dropna().astype(int).value_counts()
        assert {str(k): int(n) for k, n in ours.items()} == counts, f"{name}; {RERUN}"
    # PSPP counted "don't know" among the missing values, as the export declares
    assert "8" in pspp["frequencies"]["cit_com_1"]


@pytest.mark.skipif(not FACTS["haven"], reason="the golden files were made without haven")
def test_haven_read_our_labels_and_missing_values(tmp_path: Path):
    _, frame, meta = _make("en", tmp_path)  # haven was run on the English export
    haven = FACTS["haven"]["en"]
    assert list(haven["variables"]) == meta.column_names
    ours = _ours(frame, meta, meta.column_names)
    for name, read in haven["variables"].items():
        assert read["label"] == ours[name]["label"], name
        assert read["value_labels"] == ours[name]["value_labels"], name
        assert read["missing"] == ours[name]["missing"], name
        if ours[name]["missing"]:
            expected = "haven_labelled_spss"  # labels and user-missing values, kept as such
        elif ours[name]["value_labels"]:
            expected = "haven_labelled"
        else:
            expected = "character" if meta.readstat_variable_types[name] == "string" else "numeric"
        assert read["class"] == expected, name
    assert haven["cases"] == meta.number_rows
    for name, counts in haven["frequencies"].items():
        ours_counts = frame[name].dropna().astype(int).value_counts()
        assert {str(k): int(n) for k, n in ours_counts.items()} == counts, name
