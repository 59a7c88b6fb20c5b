"""The analysis policy: k, clusters of their own, the missing domain."""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from pathlib import Path
from typing import ClassVar

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from collabready.analysis.data import grouping
from collabready.analysis.policy import DEFAULT_K, MISSING_LABEL, cluster_ids, with_missing_domain
from collabready.stats import Factor, factorize

SRC = Path(__file__).resolve().parents[2] / "src" / "collabready"


def test_cluster_ids_keep_known_organisations_and_number_the_others_negatively() -> None:
    organisation = np.array([7, 0, 7, 3, 0, 0], dtype=np.int64)
    known = np.array([True, False, True, True, False, False])
    got = cluster_ids(organisation, known)
    assert got.dtype == np.int64
    np.testing.assert_array_equal(got[known], [7, 7, 3])
    own = got[~known]
    assert (own < 0).all()
    assert np.unique(own).size == own.size == 3
    # unknown respondents never share a cluster with each other or with an organisation
    assert not set(own) & set(got[known])


def test_cluster_ids_of_nobody_known() -> None:
    got = cluster_ids(np.zeros(4, dtype=np.int64), np.zeros(4, dtype=np.bool_))
    np.testing.assert_array_equal(got, [-1, -2, -3, -4])


def test_with_missing_domain_labels_the_blanks_and_leaves_the_input_alone() -> None:
    values = factorize(np.array(["a", None, "b", np.nan, "a"], dtype=object))
    got = with_missing_domain(values)
    assert got.levels == ("a", "b", MISSING_LABEL)
    assert [got.levels[c] for c in got.codes] == ["a", MISSING_LABEL, "b", MISSING_LABEL, "a"]
    assert values.codes.tolist() == [0, -1, 1, -1, 0]  # not changed in place
    assert MISSING_LABEL == "(missing)"


def test_with_missing_domain_without_blanks_changes_nothing() -> None:
    values = factorize(np.array(["a", "b"], dtype=object))
    assert with_missing_domain(values) is values


# The defaults of every ``k`` are read in a fresh interpreter where DEFAULT_K is
# first set to an unusual value: a default written as a literal 5 then shows up.
_PROBE = """
import importlib, inspect, json, pkgutil, sys
import collabready.analysis.policy as policy
import collabready.analysis as analysis
policy.DEFAULT_K = analysis.DEFAULT_K = K = 37
found = {}

def record(name, fn):
    try:
        parameter = inspect.signature(fn).parameters.get("k")
    except (TypeError, ValueError):
        return
    if parameter is not None and parameter.default is not inspect.Parameter.empty:
        found[name] = parameter.default

for package in sys.argv[1:]:
    root = importlib.import_module(package)
    names = [package] + [m.name for m in pkgutil.walk_packages(root.__path__, package + ".")]
    for module_name in names:
        module = importlib.import_module(module_name)
        for attr, obj in vars(module).items():
            if getattr(obj, "__module__", None) != module_name:
                continue
            if inspect.isfunction(obj):
                record(f"{module_name}.{attr}", obj)
            elif inspect.isclass(obj):
                for meth_name, meth in vars(obj).items():
                    if inspect.isfunction(meth):
                        record(f"{module_name}.{attr}.{meth_name}", meth)

import typer
from collabready.cli import app
def walk(command, path):
    for p in command.params:
        if p.name == "k":
            found["collabready " + " ".join(path) + " --k"] = p.default
    for name, sub in getattr(command, "commands", {}).items():
        walk(sub, [*path, name])
walk(typer.main.get_command(app), [])
print(json.dumps({"K": K, "found": found}))
"""


def test_default_k_is_the_default_of_every_k() -> None:
    packages = ["collabready.analysis", "collabready.stats", "collabready.reporting"]
    packages.append("collabready.commands")
    out = subprocess.run(
        [sys.executable, "-c", _PROBE, *packages],
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    )
    probe = json.loads(out.stdout)
    found = probe["found"]
    # the probe saw the defaults that matter (so an empty scan cannot pass)
    for name in (
        "collabready.analysis.tables.analyse_responses",
        "collabready.stats.disclosure.apply_disclosure_control",
        "collabready.reporting.national.national_report",
        "collabready.reporting.sector.sector_briefing",
        "collabready.commands.analyse.analyse",
        "collabready analyse --k",
        "collabready report national --k",
        "collabready report sector --k",
        "collabready report organisation --k",
    ):
        assert name in found, (name, sorted(found))
    # None is "no threshold" (a table without a suppression note), not a number
    wrong = {name: k for name, k in found.items() if k is not None and k != probe["K"]}
    assert wrong == {}, "k defaults that are not analysis.policy.DEFAULT_K"


def test_no_k_default_is_written_as_a_number_anywhere_in_src() -> None:
    """Also the web layer, which the probe above cannot import without Django."""
    literal = []
    for path in sorted(SRC.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                continue
            a = node.args
            positional = [*a.posonlyargs, *a.args]
            pairs = list(
                zip(positional[len(positional) - len(a.defaults) :], a.defaults, strict=True)
            )
            pairs += [
                (arg, d)
                for arg, d in zip(a.kwonlyargs, a.kw_defaults, strict=True)
                if d is not None
            ]
            literal += [
                f"{path.relative_to(SRC)}:{node.lineno} {node.name}"
                for arg, default in pairs
                if arg.arg == "k"
                and isinstance(default, ast.Constant)
                and isinstance(default.value, int)
            ]
    assert literal == []
    assert DEFAULT_K == 5  # the documented threshold (docs/statistics.md)


def test_own_clusters_never_merge_with_a_negative_organisation_id() -> None:
    import numpy as np

    from collabready.analysis.policy import cluster_ids

    organisation = np.array([0, -1, 7, -3], dtype=np.int64)
    known = np.array([False, True, True, True])
    out = cluster_ids(organisation, known)
    assert out[1:].tolist() == [-1, 7, -3]
    assert out[0] not in out[1:]
    assert len(set(out.tolist())) == 4


@given(
    levels=st.lists(st.sampled_from(["b", "a", "zz", "c", "(m)"]), min_size=1, unique=True),
    codes=st.lists(st.integers(-1, 4), min_size=1, max_size=60),
)
def test_grouping_is_the_missing_domain_then_the_present_labels_sorted(levels, codes) -> None:
    """``grouping`` (one count and one lookup) gives the factor the policy defines:
    unlabelled respondents in the missing domain, levels present sorted."""
    factor = Factor(np.array([c % (len(levels) + 1) - 1 for c in codes], dtype=np.intp), levels)

    class Data:
        factors: ClassVar = {"v": factor}

    got = grouping(Data(), "v")  # type: ignore[arg-type]
    spelled_out = with_missing_domain(factor)
    present = [lv for i, lv in enumerate(spelled_out.levels) if (spelled_out.codes == i).any()]
    expected = factorize(spelled_out, levels=sorted(present))
    assert got.levels == expected.levels
    np.testing.assert_array_equal(got.codes, expected.codes)
    assert (MISSING_LABEL in got.levels) == bool((factor.codes < 0).any())
