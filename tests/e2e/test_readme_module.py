"""A fresh module written from README.md's snippets, as a new user would write it, built on
Bazel 7.7.1 with the flags that stand for Bazel 8 and 9."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from harness.bazel import FORWARD_FLAGS, Bazel, pex_info
from harness.support import ROOT, readme_starlark_blocks

# What the README's layout says requirements.in holds.
REQUIREMENTS_IN = "click\nmsgpack\npyyaml\ntqdm\n"
EXCLUDE_NEWER = "--exclude-newer=2026-11-01T00:00:00Z"

MAIN = """\
import click
import yaml

from app.lib import ANSWER


@click.command()
def main():
    click.echo(yaml.safe_dump({"answer": ANSWER}).strip())


main()
"""


def _snippet(marker: str) -> str:
    (block,) = [b for b in readme_starlark_blocks() if marker in b]
    return block


def _module_from_readme(directory: Path) -> Path:
    """The README's MODULE.bazel and app/BUILD.bazel, as printed, with the lock and the
    sources they name."""
    (directory / "app").mkdir(parents=True)
    text = _snippet('bazel_dep(name = "crosspex"')
    assert 'path = "third_party/crosspex"' in text
    (directory / "MODULE.bazel").write_text(text.replace("third_party/crosspex", str(ROOT)))
    (directory / "BUILD.bazel").write_text(_snippet("pip_lock("))
    (directory / "requirements.in").write_text(REQUIREMENTS_IN)
    shutil.copy(ROOT / "e2e" / "app" / ".bazelrc", directory / ".bazelrc")
    build = _snippet("py_pex_binary(\n    name = ") + _snippet("py_pex_cross_binaries(\n")
    (directory / "app" / "BUILD.bazel").write_text(build)
    (directory / "app" / "lib.py").write_text("ANSWER = 42\n")
    (directory / "app" / "__init__.py").write_text("")
    (directory / "app" / "main.py").write_text(MAIN)
    return directory


def _lock(bazel: Bazel) -> None:
    """`bazel run //:lock`, as the README says; the resolution is frozen at a date."""
    assert not (bazel.workspace / "requirements.txt").exists()
    bazel.run("run", "//:lock", "--", EXCLUDE_NEWER)
    lock = (bazel.workspace / "requirements.txt").read_text()
    assert "--index-url" not in lock and "\ncolorama==" in lock, lock
    assert "sys_platform == 'win32'" in lock.split("\ncolorama==")[1].split("\n")[0], lock


def _check_cross_binaries(bazel: Bazel) -> None:
    bazel.build("//app:all")
    for platform in ("linux_x86_64", "macos_arm64"):
        for version in ("3.11", "3.12"):
            name = f"app/app_{platform}_py{version.replace('.', '')}.pex"
            pex = bazel.output(name)
            assert pex.read_bytes().startswith(f"#!/usr/bin/env python{version}\n".encode()), name
            assert pex_info(pex)["interpreter_constraints"] == [f"CPython=={version}.*"], name


@pytest.fixture(scope="module")
def readme_module(tmp_path_factory):
    module = tmp_path_factory.mktemp("readme") / "module"
    _module_from_readme(module)
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


# The platforms of the README's pip_wheels and pip_lock, and a tag only each one's PyYAML has.
README_PLATFORMS = {
    "linux_x86_64": "manylinux_2_17_x86_64",
    "linux_aarch64": "manylinux_2_17_aarch64",
    "macos_arm64": "macosx_11_0_arm64",
    "windows_x86_64": "win_amd64",
}


def test_the_readme_lists_the_platforms_it_locks():
    for marker in ("pip_lock(", "crosspex.pip_wheels("):
        text = _snippet(marker)
        assert f"platforms = {list(README_PLATFORMS)!r}".replace("'", '"') in text, text
        assert 'python_versions = ["3.11", "3.12"]' in text, text


@pytest.mark.parametrize("platform", sorted(README_PLATFORMS))
def test_every_readme_platform_builds_from_the_lock_it_wrote(locked_module, platform):
    locked_module.build("//app:app_pex", platform=platform)
    distributions = pex_info(locked_module.output("app/app_pex.pex"))["distributions"]
    (pyyaml,) = [d for d in distributions if d.lower().startswith("pyyaml-")]
    assert "-cp311-cp311-" in pyyaml and README_PLATFORMS[platform] in pyyaml, pyyaml
    assert any(d.startswith("click-") for d in distributions), distributions
    # tqdm's colorama is for Windows only: the universal lock has it, and only Windows gets it.
    tqdm = locked_module.run(
        "cquery", f"--platforms=@crosspex//py/platforms:{platform}", "deps(@wheels//:tqdm)"
    ).stdout
    assert ("colorama" in tqdm) == platform.startswith("windows"), tqdm


def test_a_changed_lock_is_fetched_again(locked_module):
    readme_module = locked_module
    """Bazel 8 stops watching files named by label: the lock is watched explicitly."""
    query = ("query", "--incompatible_no_implicit_watch_label", "@wheels//:all")
    assert "@wheels//:msgpack\n" in readme_module.run(*query).stdout
    lock = readme_module.workspace / "requirements.txt"
    entries = re.split(r"\n(?=\S)", lock.read_text())
    lock.write_text("\n".join(e for e in entries if not e.startswith("msgpack==")))
    packages = readme_module.run(*query).stdout
    assert "@wheels//:msgpack\n" not in packages
    assert "@wheels//:pyyaml\n" in packages


def test_the_readme_cross_binaries_build_under_their_names(locked_module):
    _check_cross_binaries(locked_module)
