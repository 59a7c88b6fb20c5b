"""Open an SPSS export in GNU PSPP (and R's haven), check its labels, keep the output.

    .venv/bin/python scripts/reference/check_sav_pspp.py [--pspp pspp] [--rscript Rscript]

Needs ``pspp`` (Debian: ``apt-get install pspp``); R's haven is used when
``Rscript`` can load it (``apt-get install --no-install-recommends r-base-core
r-cran-haven``; without that option apt also brings some 600 recommended R
packages) and skipped, with a note, when not. The tests never need either:
they check the same facts from our side, with pyreadstat, against the golden
files this script writes (``tests/formats/test_reference_sav.py``).

1. ``collabready synth -n 200 --seed 11`` makes a small wave, and
   ``collabready export --data wave.parquet --format sav --scores`` exports it,
   once with the English labels and once with ``--language cy`` (fixed
   ``--id-key``, so the file is the same on every run);
2. PSPP runs ``check_sav.sps`` beside this script on each file (``SYSFILE INFO``,
   ``GET FILE``, ``DISPLAY DICTIONARY``, ``FREQUENCIES`` of three labelled
   variables), with CSV output; haven reads the English file with
   ``read_sav(user_na = TRUE)`` (``read_sav.R`` beside this script);
3. what each tool read (every variable label, measurement level, value label
   and user-missing value; the file label, encoding and number of cases; the
   frequencies) is compared with what the export means to write
   (:func:`collabready.formats.codebook.export_variables`) and with the file's
   values as pyreadstat reads them;
4. the tools' output and the facts read from it are written to
   ``tests/golden/reference/`` (the date PSPP prints is replaced by ``<date>``).

It prints one line per check and exits 1 if any tool read something else than
the export intends.
"""

# ruff: noqa: T201, S603  (a command-line script that runs the reference tools)
from __future__ import annotations

import argparse
import csv
import io
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
GOLDEN = ROOT / "tests" / "golden" / "reference"
RESPONDENTS, SEED = 200, 11
ID_KEY = "reference check key, not a secret"
#: the labelled variables PSPP and haven count
FREQUENCIES = ("sector", "cit_com_1", "level")
LANGUAGES = ("en", "cy")


def run(argv: list[str], **kwargs: Any) -> str:
    done = subprocess.run(argv, capture_output=True, text=True, check=False, **kwargs)
    if done.returncode != 0:
        raise SystemExit(
            f"{' '.join(argv)} failed ({done.returncode}):\n{done.stdout}{done.stderr}"
        )
    return done.stdout


def export(work: Path) -> dict[str, Path]:
    """The small wave, exported to .sav in each language."""
    cli = [str(Path(sys.executable).with_name("collabready"))]
    wave = work / "wave.parquet"
    run([*cli, "synth", "-n", str(RESPONDENTS), "--seed", str(SEED), "-o", str(wave)])
    out = {}
    env = {**os.environ, "COLLABREADY_EXPORT_ID_KEY": ID_KEY}
    for lang in LANGUAGES:
        path = work / f"wave_{lang}.sav"
        options = ["--format", "sav", "--scores", "--language", lang]
        run([*cli, "export", "--data", str(wave), *options, "-o", str(path)], env=env)
        out[lang] = path
    return out


# --- PSPP -------------------------------------------------------------------------------


def pspp_tables(text: str) -> list[tuple[str, list[list[str]]]]:
    """The tables of PSPP's CSV output: (title, rows), in order."""
    tables: list[tuple[str, list[list[str]]]] = []
    for block in re.split(r"\n\s*\n", text.strip()):
        rows = list(csv.reader(io.StringIO(block)))
        if rows and rows[0] and rows[0][0].startswith("Table: "):
            tables.append((rows[0][0].removeprefix("Table: "), rows[1:]))
    return tables


def pspp_facts(text: str) -> dict[str, Any]:
    """What PSPP read: the file, and each variable's label, level, missing values and
    value labels (``99[a]``: a user-missing value), and the frequencies."""
    tables = pspp_tables(text)
    info = dict(
        row[:2] for row in next(rows for title, rows in tables if title == "File Information")
    )
    # SYSFILE INFO lists the dictionary too: DISPLAY DICTIONARY's tables are the last ones
    variables_rows = [rows for title, rows in tables if title == "Variables"][-1]
    labels_rows = [rows for title, rows in tables if title == "Value Labels"][-1]
    header = variables_rows[0]
    variables: dict[str, dict[str, Any]] = {}
    for row in variables_rows[1:]:
        cell = dict(zip(header, row, strict=True))
        missing = [int(v) for v in cell["Missing Values"].split("; ") if v]
        variables[cell["Name"]] = {
            "label": cell["Label"],
            "measure": cell["Measurement Level"].lower(),
            "format": cell["Print Format"],
            "missing": missing,
            "value_labels": {},
        }
    current = ""
    for row in labels_rows[1:]:
        if row[0].startswith("Footnote"):
            continue
        current = row[0] or current
        code = row[1].removesuffix("[a]")
        variables[current]["value_labels"][code] = row[2]
        if row[1].endswith("[a]") and int(code) not in variables[current]["missing"]:
            raise SystemExit(f"PSPP marks {current}={code} missing but lists other missing values")
    frequencies: dict[str, dict[str, int]] = {}
    for name in FREQUENCIES:
        rows = next(rows for title, rows in tables if title == name)
        counts: dict[str, int] = {}
        for row in rows[1:]:
            if row[0] == "Total":
                continue
            code = row[1].split(" ", 1)[0]  # TNUMBERS=BOTH: "8 Don't know"
            counts[code] = int(row[2].replace(",", ""))
        frequencies[name] = counts
    return {
        "file": {
            "label": info["Label"],
            "encoding": info["Encoding"],
            "cases": int(info["Cases"]),
            "variables": int(info["Variables"]),
        },
        "variables": variables,
        "frequencies": frequencies,
    }


def run_pspp(pspp: str, sav: Path, lang: str, work: Path) -> str:
    syntax = (HERE / "check_sav.sps").read_text().replace("{FILE}", sav.name)
    if lang != "en":  # the Welsh file: the dictionary of the three counted variables only
        syntax = syntax.replace(
            "DISPLAY DICTIONARY.", "DISPLAY DICTIONARY /VARIABLES=sector cit_com_1 level."
        )
    (work / f"check_{lang}.sps").write_text(syntax)
    out = work / f"pspp_{lang}.csv"
    run([pspp, "-o", str(out), f"check_{lang}.sps"], cwd=work)
    text = out.read_text(encoding="utf-8")
    return re.sub(r"(?m)^Created,[^\n]*? by ", "Created,<date> by ", text)


# --- haven ------------------------------------------------------------------------------


def haven_facts(text: str) -> dict[str, Any]:
    """What haven read (the lines ``read_sav.R`` prints)."""
    variables: dict[str, dict[str, Any]] = {}
    frequencies: dict[str, dict[str, int]] = {}
    cases = 0
    current: dict[str, Any] = {}
    for line in text.splitlines():
        kind, *rest = line.split("\t")
        if kind == "variable":
            current = variables.setdefault(
                rest[0], {"label": "", "class": "", "missing": [], "value_labels": {}}
            )
        elif kind == "label":
            current["label"] = rest[0]
        elif kind == "class":
            current["class"] = rest[0]
        elif kind == "value":
            current["value_labels"][rest[0]] = rest[1]
        elif kind == "na_value":
            current["missing"].append(int(rest[0]))
        elif kind == "count":
            frequencies.setdefault(rest[0], {})[rest[1]] = int(rest[2])
        elif kind == "cases":
            cases = int(rest[0])
    return {"cases": cases, "variables": variables, "frequencies": frequencies}


def haven_available(rscript: str | None) -> bool:
    if rscript is None or shutil.which(rscript) is None:
        return False
    probe = subprocess.run(
        [rscript, "-e", "suppressMessages(library(haven))"], capture_output=True, check=False
    )
    return probe.returncode == 0


# --- comparison -------------------------------------------------------------------------


def intended(lang: str) -> dict[str, dict[str, Any]]:
    """What the export means to write, from the same definitions the writer uses."""
    from collabready.formats.codebook import export_variables
    from collabready.instrument import load_instrument

    out = {}
    for v in export_variables(load_instrument(), language=lang, scores=True):
        out[v.name] = {
            "label": v.spss_label,
            "measure": v.measure,
            "missing": [m.code for m in v.missing],
            "value_labels": {str(k): lab for k, lab in v.spss_value_labels.items()},
        }
    return out


def counted(sav: Path) -> tuple[int, dict[str, dict[str, int]], str]:
    """The cases, the frequencies of the counted variables and the file label, by pyreadstat."""
    import pyreadstat

    frame, meta = pyreadstat.read_sav(str(sav), user_missing=True)
    counts = {}
    for name in FREQUENCIES:
        values = frame[name].dropna().astype(int).value_counts().sort_index()
        counts[name] = {str(k): int(n) for k, n in values.items()}
    return meta.number_rows, counts, meta.file_label


def compare(
    tool: str, lang: str, read: dict[str, Any], sav: Path, fields: tuple[str, ...]
) -> list[str]:
    problems: list[str] = []
    want = intended(lang)
    cases, counts, file_label = counted(sav)
    names = list(read["variables"])
    if (tool == "haven" or lang == "en") and names != list(want):
        problems.append(
            f"{tool} {lang}: variables {names[:5]}… are not the export's {list(want)[:5]}…"
        )
    for name, got in read["variables"].items():
        for field in fields:
            if got.get(field) != want[name][field]:
                problems.append(
                    f"{tool} {lang}: {name} {field} is {got.get(field)!r}, the export means "
                    f"{want[name][field]!r}"
                )
    if read.get("cases", read.get("file", {}).get("cases")) != cases:
        problems.append(f"{tool} {lang}: {read.get('cases')} cases, pyreadstat reads {cases}")
    if read["frequencies"] != counts:
        problems.append(f"{tool} {lang}: frequencies {read['frequencies']} != pyreadstat {counts}")
    if tool == "pspp":
        if read["file"]["encoding"] != "UTF-8":
            problems.append(f"pspp {lang}: encoding {read['file']['encoding']}")
        if read["file"]["label"] != file_label:
            problems.append(f"pspp {lang}: file label {read['file']['label']!r} != {file_label!r}")
    checked = sum(len(v["value_labels"]) for v in read["variables"].values())
    missing = sum(len(v["missing"]) for v in read["variables"].values())
    print(
        f"{tool:6} {lang}: {len(names)} variables, {checked} value labels, {missing} missing "
        f"values, {cases} cases: " + ("OK" if not problems else f"{len(problems)} difference(s)")
    )
    return problems


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--pspp", default="pspp")
    parser.add_argument("--rscript", default="Rscript")
    args = parser.parse_args()
    if shutil.which(args.pspp) is None:
        print(f"error: {args.pspp} not found (Debian: apt-get install pspp)", file=sys.stderr)
        return 2
    version = run([args.pspp, "--version"]).splitlines()[0]
    GOLDEN.mkdir(parents=True, exist_ok=True)
    problems: list[str] = []
    facts: dict[str, Any] = {"pspp_version": version, "pspp": {}, "haven": {}}
    with tempfile.TemporaryDirectory(prefix="collabready-pspp-") as tmp:
        work = Path(tmp)
        files = export(work)
        for lang, sav in files.items():
            text = run_pspp(args.pspp, sav, lang, work)
            (GOLDEN / f"pspp_{lang}.csv").write_text(text, encoding="utf-8")
            read = pspp_facts(text)
            facts["pspp"][lang] = read
            problems += compare(
                "pspp", lang, read, sav, ("label", "measure", "missing", "value_labels")
            )
        if haven_available(args.rscript):
            facts["haven_version"] = run(
                [args.rscript, "-e", 'cat(as.character(packageVersion("haven")))']
            ).strip()
            text = run([args.rscript, str(HERE / "read_sav.R"), str(files["en"]), *FREQUENCIES])
            (GOLDEN / "haven_en.txt").write_text(text, encoding="utf-8")
            read = haven_facts(text)
            facts["haven"]["en"] = read
            problems += compare(
                "haven", "en", read, files["en"], ("label", "missing", "value_labels")
            )
        else:
            print(f"haven : skipped ({args.rscript} with the haven package not found)")
    (GOLDEN / "facts.json").write_text(
        json.dumps(facts, ensure_ascii=False, indent=1) + "\n", encoding="utf-8"
    )
    print(f"{version}; golden files written to {GOLDEN.relative_to(ROOT)}/")
    for problem in problems:
        print(f"  {problem}")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
