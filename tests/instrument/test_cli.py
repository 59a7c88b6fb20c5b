"""``collabready instrument validate`` and ``show``: exit codes, messages, no tracebacks."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner, Result

from collabready.cli import app
from collabready.instrument import available_versions, load_instrument
from collabready.instrument.loader import data_dir

from .conftest import Writer

runner = CliRunner()


def run(*args: str) -> Result:
    result = runner.invoke(app, ["instrument", *args], env={"COLUMNS": "400"})
    assert "Traceback" not in result.output
    return result


@pytest.mark.parametrize("version", available_versions())
def test_validate_bundled_file(version: str) -> None:
    result = run("validate", str(data_dir() / f"cri-{version}.yaml"))
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith(
        f"valid: cri@{version}, 60 block items in 6 blocks, 20 section items in 3 sections"
    )


def test_validate_corrupted_file_lists_every_problem(doc: dict[str, Any], write: Writer) -> None:
    doc["blocks"][2]["items"][5]["scale"] = "agree7"
    doc["levels"][2]["lower"] = 60
    result = run("validate", str(write(doc)))
    assert result.exit_code == 1
    assert result.output.splitlines() == [
        "invalid: cri-bad.yaml",
        "cri-bad.yaml: 2 problems in the instrument file",
        "cri-bad.yaml: blocks[2].items[5].scale: unknown scale 'agree7' (defined: agree5)",
        "cri-bad.yaml: levels[2].lower: leaves a gap: levels[1] ends at 55, this band starts at 60",
    ]


def test_validate_yaml_syntax_error(tmp_path: Path) -> None:
    path = tmp_path / "broken.yaml"
    path.write_text("id: cri\nversion: [1.0.0\n")
    result = run("validate", str(path))
    assert result.exit_code == 1
    assert "broken.yaml: line 3, column 1: YAML syntax error" in result.output


def test_validate_missing_file(tmp_path: Path) -> None:
    path = tmp_path / "nowhere.yaml"
    result = run("validate", str(path))
    assert result.exit_code == 2
    assert result.output.strip() == f"Error: {path}: no such file"


def test_show_outline_in_english() -> None:
    result = run("show", "--version", "1.0.0")
    assert result.exit_code == 0, result.output
    ins = load_instrument("1.0.0")
    expected = [
        "Collaboration Readiness Index (cri@1.0.0, about 15 min)",
        "cit_com_1 " + ins.item("cit_com_1").text.get("en"),
        "mar_cap_5 " + ins.item("mar_cap_5").text.get("en"),
        "cit_com_5 " + ins.item("cit_com_5").text.get("en") + " (reverse)",
        "Suggested actions for low scores",
        ins.block("markets").guidance[2].get("en"),
        "open_improve " + ins.open_questions[0].text.get("en"),
        "70–100 Leading (leading): " + ins.levels[3].description.get("en"),
        "12 Northern Ireland",
    ]
    for text in expected:
        assert text in result.output


def test_show_defaults_to_latest_version() -> None:
    result = run("show")
    assert result.exit_code == 0
    assert f"cri@{available_versions()[-1]}" in result.output


def test_show_unknown_language_is_a_one_line_error() -> None:
    result = run("show", "--version", "1.0.0", "--language", "fr")
    assert result.exit_code == 2
    assert result.output.strip() == (
        "Error: --language 'fr': cri@1.0.0 has no such language (available: en)"
    )


def test_show_unknown_version_is_a_one_line_error() -> None:
    result = run("show", "--version", "9.9.9")
    assert result.exit_code == 2
    assert result.output.startswith("Error: cri@9.9.9: no bundled instrument version '9.9.9'")
    assert len(result.output.strip().splitlines()) == 1


def test_show_file(doc: dict[str, Any], write: Writer) -> None:
    doc["title"]["en"] = "A local copy"
    result = run("show", "--file", str(write(doc)))
    assert result.exit_code == 0
    assert "A local copy (cri@1.0.0" in result.output


def test_show_invalid_file(doc: dict[str, Any], write: Writer) -> None:
    doc["version"] = "one"
    result = run("show", "--file", str(write(doc)))
    assert result.exit_code == 2
    assert "cri-bad.yaml: version: 'one' is not MAJOR.MINOR.PATCH" in result.output
