"""What only Bazel 8 and 9 could show, checked statically: Bazel 9 has no builtin PyInfo and
no native Python rules, so every use of them is loaded from rules_python, except in the one
place that tells Bazel versions apart (py/private/compat.bzl)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import List

import pytest

from harness.support import ROOT, find_wheel, readme_starlark_blocks
from pex_assembler import wheelhouse

RULES = ("py_binary", "py_library", "py_test", "py_runtime", "py_runtime_pair")
ALLOWED = {ROOT / "py" / "private" / "compat.bzl"}
LOADED = re.compile(r'load\(\s*"[^"]+"((?:\s*,\s*(?:\w+\s*=\s*)?"\w+")+)\s*,?\s*\)', re.S)


def offences(text: str) -> List[str]:
    """Bare PyInfo or native Python rules that `text` (Starlark) uses without loading them."""
    loaded = {
        alias or name
        for names in LOADED.findall(text)
        for alias, name in re.findall(r'(?:(\w+)\s*=\s*)?"(\w+)"', names)
    }
    found = []
    code = re.sub(r"#.*", "", text)
    for rule in RULES:
        if re.search(rf"native\.{rule}\b", code):
            found.append(f"native.{rule}")
        if re.search(rf"(?<![\w.]){rule}\(", code) and rule not in loaded:
            found.append(rule)
    if re.search(r"(?<![\w.\"])PyInfo\b", code) and "PyInfo" not in loaded:
        found.append("PyInfo")
    return found


def starlark_files() -> List[Path]:
    patterns = ["py/**/*.bzl", "py/**/BUILD.bazel", "e2e/**/*.bzl", "e2e/**/BUILD.bazel"]
    patterns += ["e2e/*/MODULE.bazel", "MODULE.bazel"]
    files = {p for pattern in patterns for p in ROOT.glob(pattern) if "bazel-" not in str(p)}
    return sorted(files - ALLOWED)


@pytest.mark.parametrize("path", starlark_files(), ids=lambda p: str(p.relative_to(ROOT)))
def test_starlark_loads_every_python_rule_and_pyinfo(path):
    assert offences(path.read_text()) == [], path


def test_readme_snippets_load_every_python_rule_and_pyinfo():
    blocks = readme_starlark_blocks()
    assert any("py_library(" in b for b in blocks)
    for block in blocks:
        assert offences(block) == [], block


def test_generated_wheel_repositories_load_what_they_use(wheel_dir):
    wheel = find_wheel(wheel_dir, "linux_x86_64", "python_dateutil")
    planned = {
        "configs": {"linux_x86_64_python_3.11": {"markers": {}, "pinned": ["six"],
                                                 "directory": "cp311_linux_x86_64"}},
        "repositories": {f"wheels__{wheel.name[:-4]}": {
            "filename": wheel.name, "urls": ["https://index.invalid/" + wheel.name],
            "configs": ["linux_x86_64_python_3.11"],
        }},
    }  # fmt: skip
    text = wheelhouse.hub_build(planned, "wheels", {f"wheels__{wheel.name[:-4]}": wheel})
    assert offences(text) == []
    assert '"@crosspex//py/config:is_linux_x86_64_python_3.11": [\n        ":six"' in text
    # A wheel whose index serves no METADATA: its own repository's BUILD file.
    assert offences(wheelhouse.wheel_build(wheel, "wheels", planned["configs"])) == []


@pytest.mark.parametrize(
    "text",
    [
        "py_library(name = 'x')",
        'load("@rules_python//python:defs.bzl", "py_binary")\npy_library(name = "x")',
        "def _impl(ctx):\n    return [PyInfo(transitive_sources = depset())]",
        "x = native.py_binary",
    ],
)
def test_the_check_catches_unloaded_uses(text):
    assert offences(text) != []


def test_the_check_accepts_loaded_uses():
    text = (
        'load("@rules_python//python:defs.bzl", "py_library", _PyInfo = "PyInfo")\n'
        'py_library(name = "x")\n'
        "PY = [_PyInfo]\n"
    )
    assert offences(text.replace("_PyInfo", "PyInfo")) == []
