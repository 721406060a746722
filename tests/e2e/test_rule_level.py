"""The rule-level tests run in CI: the analysis tests (tests/analysis) and the rule reference's
diff test (docs/rules.md against stardoc's output), in one Bazel invocation at the root.

Every analysis-time `crosspex_fail` must fail a test when it is removed: each is turned into a
`print` in turn, in a copy of the Starlark, and the analysis tests must then fail. Only the
repository rules' (the exec Python, pip_wheels) are left to the e2e tests, which fetch.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path
from typing import List, Tuple

import pytest

from harness.bazel import Bazel
from harness.support import ROOT

# Their failures happen while fetching, which no analysis test reaches.
_FETCH_TIME = ("exec_python.bzl", "pip_wheels.bzl", "errors.bzl")
_CALL = re.compile(r"(?<!def )\bcrosspex_fail\(")


def _sites() -> List[Tuple[str, int]]:
    sites = []
    for path in sorted((ROOT / "py" / "private").glob("*.bzl")):
        if path.name in _FETCH_TIME:
            continue
        for index, _ in enumerate(_CALL.finditer(path.read_text())):
            sites.append((path.name, index))
    return sites


def _test(bazel: Bazel, *targets: str):
    return bazel.run(
        "test",
        "--keep_going",
        "--color=no",
        "--curses=no",
        "--symlink_prefix=/",
        *targets,
        check=False,
    )


def test_analysis_tests_and_the_rule_reference_pass(tmp_path):
    bazel = Bazel(ROOT, tmp_path / "output_base")
    try:
        done = _test(bazel, "--config=stardoc", "//tests/analysis/...", "//docs/...")
    finally:
        bazel.shutdown()
    assert done.returncode == 0, done.stderr[-6000:]
    assert re.search(r"Executed \d+ out of (\d+) tests: \1 tests pass", done.stdout), done.stdout


@pytest.fixture(scope="module")
def starlark_copy(tmp_path_factory):
    """The root module without docs/, whose py/private files the tests below change."""
    workspace = tmp_path_factory.mktemp("workspace")
    for name in ("MODULE.bazel", "BUILD.bazel", ".bazelrc", ".bazelversion"):
        shutil.copy2(ROOT / name, workspace / name)
    for name in ("py", "tools", "tests/analysis"):
        shutil.copytree(ROOT / name, workspace / name, ignore=shutil.ignore_patterns("__pycache__"))
    (workspace / "MODULE.bazel").write_text(
        (workspace / "MODULE.bazel")
        .read_text()
        .replace('bazel_dep(name = "stardoc", version = "0.8.1", dev_dependency = True)\n', "")
    )
    bazel = Bazel(workspace, tmp_path_factory.mktemp("output_base"))
    yield bazel
    bazel.shutdown()


def test_every_analysis_time_crosspex_fail_is_called_somewhere():
    assert len(_sites()) >= 15


@pytest.mark.parametrize("name, index", _sites(), ids=lambda v: str(v))
def test_removing_a_crosspex_fail_fails_an_analysis_test(starlark_copy: Bazel, name, index):
    path: Path = starlark_copy.workspace / "py" / "private" / name
    original = path.read_text()
    call = list(_CALL.finditer(original))[index]
    path.write_text(original[: call.start()] + "print(" + original[call.end() :])
    try:
        done = _test(starlark_copy, "//tests/analysis/...")
    finally:
        path.write_text(original)
    assert done.returncode == 3, (
        f"no analysis test fails without {name}'s crosspex_fail #{index} "
        f"(line {original[: call.start()].count(chr(10)) + 1}):\n{done.stderr[-3000:]}"
    )
