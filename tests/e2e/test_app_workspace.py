"""The example workspace built by real Bazel for every platform, as a user would build it."""

from __future__ import annotations

import json
import os
import re
import subprocess
from pathlib import Path
from typing import Dict, Union

import pytest
from packaging.utils import parse_wheel_filename

from harness.app import CROSS_PLATFORMS, EXPECTED_OUTPUT, SPECS, copy_of_app, run_pex
from harness.bazel import Bazel, deps_in, pex_info
from harness.support import ROOT, aarch64_python, find_python
from pex_assembler import target


@pytest.mark.parametrize("platform", CROSS_PLATFORMS)
def test_every_wheel_in_the_pex_is_the_targets(matrix, platform):
    pex = matrix[f"app_{platform}"]
    described = target.from_spec(SPECS[platform], "3.11")
    distributions = sorted(pex_info(pex)["distributions"])
    assert deps_in(pex) == distributions
    names = set()
    for filename in distributions:
        name, _, _, tags = parse_wheel_filename(filename)
        names.add(name)
        assert any(described.accepts(tag) for tag in tags), (platform, filename)
    expected = {"click", "msgpack", "python-dateutil", "pyyaml", "six"}
    if platform.startswith("windows"):
        expected.add("colorama")  # click needs it on Windows only
    assert names == expected
    native = [d for d in distributions if not d.endswith("-none-any.whl")]
    assert len(native) == 2, native


@pytest.mark.parametrize("name", ["app_linux_x86_64", "app_any_pex"])
def test_linux_x86_64_pex_runs(matrix, name, tmp_path):
    done = run_pex(find_python("3.11"), matrix[name], tmp_path)
    assert done.returncode == 0, done.stderr
    assert done.stdout == EXPECTED_OUTPUT


def test_the_pex_for_five_platforms_holds_musl_and_glibc_wheels(matrix):
    distributions = pex_info(matrix["app_any_pex"])["distributions"]
    for machine in ("manylinux", "musllinux", "aarch64", "macosx", "win_amd64"):
        assert any(machine in d and "msgpack" in d for d in distributions), machine


@pytest.mark.parametrize("name", ["app_packed", "app_preinstalled"])
def test_packed_and_pre_installed_pexes_run(app_bazel, matrix, tmp_path, name):
    """A packed directory (venv, sh_boot) and a zipapp of installed wheels, from //app:all."""
    pex = app_bazel.output(f"app/{name}.pex")
    assert pex.is_dir() == (name == "app_packed")
    info = pex_info(pex) if pex.is_file() else json.loads((pex / "PEX-INFO").read_text())
    assert info.get("deps_are_wheel_files", False) == (name == "app_packed")
    done = run_pex(find_python("3.11"), pex, tmp_path)
    assert done.returncode == 0, done.stderr
    assert done.stdout == EXPECTED_OUTPUT


def _tree(root: Path) -> Dict[str, Union[bytes, str]]:
    """Each file's bytes and each symbolic link's target under `root`, by relative path."""
    found: Dict[str, Union[bytes, str]] = {}
    for directory, dirnames, filenames in os.walk(root):
        for name in dirnames + filenames:
            path = Path(directory) / name
            key = str(path.relative_to(root))
            if path.is_symlink():
                found[key] = "-> " + os.readlink(path)
            elif path.is_file():
                found[key] = path.read_bytes()
    return found


def test_a_packed_cross_binary_is_the_packed_pex_for_its_platform(app_bazel, matrix, tmp_path):
    """//app:app_packed_for_linux_aarch64: the directory `--platforms` writes for a packed
    PEX, with aarch64 wheels, under the cross binary's name, and it runs under qemu."""
    cross = app_bazel.output("app/app_packed_for_linux_aarch64.pex")
    assert cross.is_dir()
    built = _tree(cross)
    info = json.loads(built["PEX-INFO"])
    assert info["deps_are_wheel_files"]
    native = [d for d in info["distributions"] if not d.endswith("-none-any.whl")]
    assert len(native) == 2 and all(d.endswith("_aarch64.whl") for d in native), native
    assert {f".deps/{d}" for d in info["distributions"]} <= built.keys()
    try:
        app_bazel.build("//app:app_packed", platform="linux_aarch64")
        assert built == _tree(app_bazel.output("app/app_packed.pex"))
    finally:
        # The host's app_packed, which other tests run, back in bazel-bin.
        app_bazel.build("//app:app_packed")
    done = run_pex(aarch64_python(), cross, tmp_path)
    assert done.returncode == 0, done.stderr
    assert done.stdout == EXPECTED_OUTPUT


def test_platforms_flag_and_cross_binary_give_the_same_pex(app_bazel, matrix):
    """`--platforms=X //app:app_pex` and the matrix's `app_X` are the same bytes."""
    app_bazel.build("//app:app_pex", platform="macos_arm64")
    assert (
        app_bazel.output("app/app_pex.pex").read_bytes() == matrix["app_macos_arm64"].read_bytes()
    )


def test_wrong_platform_wheel_fails_the_build(app_bazel):
    done = app_bazel.build("//app:wrong_platform_pex", platform="macos_arm64", check=False)
    assert done.returncode != 0
    assert (
        "PyYAML-6.0.2-cp311-cp311-manylinux_2_17_x86_64.manylinux2014_x86_64.whl: "
        "cannot run on target macos_arm64 (CPython 3.11)"
    ) in done.stderr
    assert "the target's most specific tags are cp311-cp311-macosx_14_0_arm64" in done.stderr
    assert "fix: depend on the pyyaml wheel built for macos_arm64" in done.stderr


def test_platform_without_a_wheel_names_the_package(app_bazel):
    done = app_bazel.build("//app:app_pex", platform="windows_arm64", check=False)
    assert done.returncode != 0
    message = re.search(
        r"crosspex: @\S+//:\S+: (\S+) has no wheel here for windows_arm64 \(CPython 3\.11\), "
        r"the platform and Python version being built; it has wheels for (.*?)\n  fix: add the "
        r"platform",
        done.stderr,
    )
    assert message, done.stderr[-3000:]
    assert message.group(1) in ("click", "msgpack", "python-dateutil", "pyyaml", "six")
    assert "windows_x86_64 (Python 3.9, 3.10, 3.11, 3.12, 3.13)" in message.group(2)
    assert "windows_arm64" not in message.group(2)


def _set_executable_bits(root: Path) -> int:
    """Marks every file under `root` executable, as remote workers do with inputs."""
    count = 0
    for path in root.rglob("*"):
        if path.is_file() and not path.is_symlink():
            path.chmod(0o755)
            count += 1
    return count


def test_identical_bytes_across_checkouts_umasks_environments_and_exec_pythons(matrix, tmp_path):
    """Another checkout path, a fresh output base, umask 077, other TMPDIR, HOME, LANG and TZ,
    the assembler on CPython 3.12 instead of 3.11, and every input executable (sources,
    data, wheels, pex's own files), as a remote worker hands them over: the same PEX bytes."""
    copy = copy_of_app(tmp_path / "elsewhere" / "app")
    for name in ("tmp", "home"):
        (tmp_path / name).mkdir()
    env = {
        "PATH": os.environ["PATH"],
        "TMPDIR": str(tmp_path / "tmp"),
        "HOME": str(tmp_path / "home"),
        "LANG": "de_DE.ISO-8859-1",
        "TZ": "Pacific/Kiritimati",
        "CROSSPEX_PYTHON": find_python("3.12"),
    }
    other = Bazel(copy, tmp_path / "other_output_base", env=env, umask=0o077)
    targets = ["//app:app_linux_x86_64", "//app:app_macos_arm64", "//app:app_windows_x86_64"]
    try:
        other.run("fetch", *targets)
        assert _set_executable_bits(copy / "app") >= 3
        # The three targets' wheels, a repository each: click, six and python-dateutil shared,
        # msgpack and PyYAML per platform, colorama for Windows.
        wheels = other.wheel_repositories()
        assert len(wheels) == 10, wheels
        assert all(_set_executable_bits(r) >= 2 for r in wheels)
        assert _set_executable_bits(other.external("crosspex_exec_python") / "site" / "pex") > 100
        other.build(*targets)
        assert "3.12" in other.exec_python(), "the assembler ran on CPython 3.12"
        for platform in ("linux_x86_64", "macos_arm64", "windows_x86_64"):
            rebuilt = other.output(f"app/app_{platform}.pex").read_bytes()
            assert rebuilt == matrix[f"app_{platform}"].read_bytes(), platform
    finally:
        other.shutdown()


def test_a_pinned_python_version_and_another_asked_for_by_the_flag_fail_the_build(app_bazel):
    """The transition's own failure, which analysis tests cannot catch (tests/analysis has the
    cross rules' check)."""
    done = app_bazel.build(
        "//app:pinned_pex", "--@crosspex//py/config:python_version=3.13", check=False
    )
    assert done.returncode != 0
    assert re.search(
        r'crosspex: \S*pinned_pex: python_version = "3\.12" pins CPython 3\.12, but this build '
        r"asks for CPython 3\.13",
        done.stderr,
    ), done.stderr[-3000:]
    assert "fix: drop python_version from" in done.stderr


def test_a_pinned_python_version_asked_for_builds(app_bazel):
    app_bazel.build("//app:pinned_linux_x86_64_py312")
    pex = app_bazel.output("app/pinned_linux_x86_64_py312.pex")
    assert pex.read_bytes().startswith(b"#!/usr/bin/env python3.12\n")


def test_an_interpreter_pex_runs_what_it_is_given(app_bazel, tmp_path):
    app_bazel.build("//app:interpreter_pex")
    pex = app_bazel.output("app/interpreter_pex.pex")
    assert "entry_point" not in pex_info(pex)
    done = subprocess.run(
        [find_python("3.11"), str(pex), "-c", "import yaml; print(yaml.safe_dump([42]))"],
        capture_output=True,
        text=True,
        env={**os.environ, "PEX_ROOT": str(tmp_path / "pex_root")},
        check=True,
    )
    assert done.stdout == "- 42\n\n", done.stderr


def test_a_main_that_does_not_exist_is_a_missing_input(app_bazel):
    """Bazel checks source files itself, before any rule runs: its message is the one
    troubleshooting.md shows."""
    done = app_bazel.build("//app:missing_main_pex", check=False)
    assert done.returncode != 0
    assert "missing input file '//app:missing.py'" in done.stderr, done.stderr[-3000:]


def test_a_platform_of_ones_own_takes_its_toolchain(app_bazel):
    """docs/cross-build.md's rhel9 platform and toolchain, registered ahead of crosspex's."""
    app_bazel.build("//platforms:hello_pex", "--platforms=//rhel9")
    manifest = json.loads(app_bazel.output("platforms/hello_pex.pex_manifest.json").read_text())
    assert manifest["target"]["platform"] == {
        "name": "rhel9_target",
        "os": "linux",
        "arch": "x86_64",
        "libc": "glibc",
        "libc_version": "2.34",
    }


def test_the_cross_build_guide_prints_the_platform_the_tests_build():
    guide = (ROOT / "docs" / "cross-build.md").read_text()
    (snippet,) = re.findall(r"In `rhel9/BUILD.bazel`:\n\n```starlark\n(.*?)```", guide, re.S)
    assert snippet == (ROOT / "e2e" / "app" / "rhel9" / "BUILD.bazel").read_text()
    line = 'register_toolchains("//rhel9:rhel9_toolchain")'
    assert line in guide and line in (ROOT / "e2e" / "app" / "MODULE.bazel").read_text()
