"""examples/app, the module README.md shows: its snippets are the example's files, and a fresh
copy locks with `bazel run //:lock` and builds, on Bazel 7.7.1 with the flags that stand for
Bazel 8 and 9."""

from __future__ import annotations

import re

import pytest

from harness.bazel import FORWARD_FLAGS, Bazel, pex_info
from harness.support import ROOT, readme_starlark_blocks
from harness.workspace import copy_of_workspace

EXAMPLE = ROOT / "examples" / "app"
EXCLUDE_NEWER = "--exclude-newer=2026-11-01T00:00:00Z"
# The platforms of the example's pip_wheels and pip_lock, and a tag only each one's PyYAML has.
EXAMPLE_PLATFORMS = {
    "linux_x86_64": "manylinux_2_17_x86_64",
    "linux_aarch64": "manylinux_2_17_aarch64",
    "macos_arm64": "macosx_11_0_arm64",
    "windows_x86_64": "win_amd64",
}
# Where each README snippet comes from.
SNIPPETS = {
    'bazel_dep(name = "crosspex"': "MODULE.bazel",
    "pip_lock(": "BUILD.bazel",
    'py_pex_binary(\n    name = "app_pex"': "app/BUILD.bazel",
    'py_pex_binary(\n    name = "app_any_pex"': "app/BUILD.bazel",
    "py_pex_cross_binaries(\n": "app/BUILD.bazel",
    "py_venv_layer(\n": "app/BUILD.bazel",
}


def test_the_registry_presubmit_builds_the_example():
    presubmit = (ROOT / ".bcr" / "presubmit.yml").read_text()
    assert "module_path: examples/app\n" in presubmit
    assert re.findall(r"^ +- (.*)$", presubmit, re.M) == ['"//app:all"']


def _loads(text: str) -> set:
    """(file, symbol) of each symbol the Starlark text loads."""
    loaded = set()
    for bzl, symbols in re.findall(r'^load\("([^"]+)", (.*)\)$', text, re.M):
        loaded.update((bzl, symbol) for symbol in re.findall(r'"([^"]+)"', symbols))
    return loaded


@pytest.mark.parametrize("marker", sorted(SNIPPETS))
def test_each_readme_snippet_is_the_example_s_own_text(marker):
    """Every statement a snippet shows is in the example's file, as printed (the override's
    path aside), and what it loads the file loads."""
    (block,) = [b for b in readme_starlark_blocks() if marker in b]
    text = (EXAMPLE / SNIPPETS[marker]).read_text()
    text = text.replace('path = "../.."', 'path = "third_party/crosspex"')
    assert _loads(block) <= _loads(text), (marker, block)
    for statement in block.split("\n\n"):
        if not statement.startswith("load("):
            assert statement.strip() in text, (SNIPPETS[marker], statement)


def test_the_example_needs_what_the_readme_says():
    layout = (ROOT / "README.md").read_text()
    assert "requirements.in     what the app needs, one per line: click, msgpack, pyyaml, tqdm" in (
        layout
    )
    assert (EXAMPLE / "requirements.in").read_text() == "click\nmsgpack\npyyaml\ntqdm\n"
    for name in ("MODULE.bazel", "BUILD.bazel"):
        (platforms,) = re.findall(r"platforms = \[(.*?)\]", (EXAMPLE / name).read_text(), re.S)
        assert re.findall(r'"(\w+)"', platforms) == list(EXAMPLE_PLATFORMS), name


def _lock(bazel: Bazel) -> None:
    """`bazel run //:lock`, as the README says, resolving as of the date the example's lock
    was written: it writes that lock again."""
    assert not (bazel.workspace / "requirements.txt").exists()
    bazel.run("run", "//:lock", "--", EXCLUDE_NEWER)
    lock = (bazel.workspace / "requirements.txt").read_text()
    assert lock == (EXAMPLE / "requirements.txt").read_text()
    assert "--index-url" not in lock and "\ncolorama==" in lock, lock
    assert "sys_platform == 'win32'" in lock.split("\ncolorama==")[1].split("\n")[0], lock


def _check_cross_binaries(bazel: Bazel) -> None:
    bazel.build("//app:all")
    for platform in EXAMPLE_PLATFORMS:
        for version in ("3.11", "3.12"):
            name = f"app/app_{platform}_py{version.replace('.', '')}.pex"
            pex = bazel.output(name)
            assert pex.read_bytes().startswith(f"#!/usr/bin/env python{version}\n".encode()), name
            assert pex_info(pex)["interpreter_constraints"] == [f"CPython=={version}.*"], name


@pytest.fixture(scope="module")
def readme_module(tmp_path_factory):
    module = copy_of_workspace(
        EXAMPLE, tmp_path_factory.mktemp("readme") / "module", "requirements.txt"
    )
    # A target that is no PEX but resolves toolchains (the C++ one), so Bazel loads every
    # registered toolchain(), crosspex's among them.
    (module / "native").mkdir()
    (module / "native" / "BUILD.bazel").write_text('cc_library(name = "c", srcs = ["c.c"])\n')
    (module / "native" / "c.c").write_text("int answer(void) { return 42; }\n")
    bazel = Bazel(module, tmp_path_factory.mktemp("readme_output_base"), flags=FORWARD_FLAGS)
    yield bazel
    bazel.shutdown()


def test_a_build_without_a_pex_does_not_fetch_the_assembler(readme_module):
    """The assembler's toolchain() sits in a small repository of its own: resolving
    toolchains does not fetch the Python and pex it points to."""
    readme_module.build("//native:c")
    readme_module.external("crosspex_toolchains")
    with pytest.raises(AssertionError, match="no single repository"):
        readme_module.external("crosspex_exec_python")


@pytest.fixture(scope="module")
def locked_module(readme_module):
    _lock(readme_module)
    return readme_module


@pytest.mark.parametrize("platform", sorted(EXAMPLE_PLATFORMS))
def test_every_example_platform_builds_from_the_lock_it_wrote(locked_module, platform):
    locked_module.build("//app:app_pex", platform=platform)
    distributions = pex_info(locked_module.output("app/app_pex.pex"))["distributions"]
    (pyyaml,) = [d for d in distributions if d.lower().startswith("pyyaml-")]
    assert "-cp311-cp311-" in pyyaml and EXAMPLE_PLATFORMS[platform] in pyyaml, pyyaml
    assert any(d.startswith("click-") for d in distributions), distributions
    # tqdm's colorama is for Windows only: the universal lock has it, and only Windows gets it.
    tqdm = locked_module.run(
        "cquery", f"--platforms=@crosspex//py/platforms:{platform}", "deps(@wheels//:tqdm)"
    ).stdout
    assert ("colorama" in tqdm) == platform.startswith("windows"), tqdm


def test_a_changed_lock_is_fetched_again(locked_module):
    """Bazel 8 stops watching files named by label: the lock is watched explicitly."""
    readme_module = locked_module
    query = ("query", "--incompatible_no_implicit_watch_label", "@wheels//:all")
    assert "@wheels//:msgpack\n" in readme_module.run(*query).stdout
    lock = readme_module.workspace / "requirements.txt"
    entries = re.split(r"\n(?=\S)", lock.read_text())
    lock.write_text("\n".join(e for e in entries if not e.startswith("msgpack==")))
    packages = readme_module.run(*query).stdout
    assert "@wheels//:msgpack\n" not in packages
    assert "@wheels//:pyyaml\n" in packages


def test_the_example_s_cross_binaries_build_under_their_names(locked_module):
    _check_cross_binaries(locked_module)


def test_a_lock_that_cannot_resolve_names_the_workspace_file(locked_module):
    """The message names requirements.in where the user edits it, not a runfiles copy."""
    requirements_in = locked_module.workspace / "requirements.in"
    kept = requirements_in.read_text()
    requirements_in.write_text(kept + "pyyaml==0.0.0.1\n")
    try:
        done = locked_module.run("run", "//:lock", "--", EXCLUDE_NEWER, check=False)
    finally:
        requirements_in.write_text(kept)
    assert done.returncode != 0
    assert f"pex-assembler: error: {requirements_in}: uv could not resolve it" in done.stderr
    assert "runfiles" not in done.stderr.split("pex-assembler: error:")[1]
