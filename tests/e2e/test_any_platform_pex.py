"""One PEX for several platforms, from the README's example (`//app:app_any_pex`: Linux
x86_64 and aarch64, macOS arm64 and Windows x86_64, each on CPython 3.11 and 3.12), proven as
each platform allows: run here on both CPythons and under qemu on aarch64; every embedded
native extension in the binary format its wheel's tag names; the distribution set pex's own
resolver picks for the same targets; and the same bytes from another output base."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from harness.app import run_pex
from harness.bazel import Bazel, pex_info
from harness.binary_format import EXPECTED, binary_format
from harness.support import PLATFORMS, ROOT, aarch64_python, find_python
from harness.workspace import copy_of_workspace
from pex_assembler import target

EXAMPLE = ROOT / "examples" / "app"
TARGETS = ["linux_x86_64", "linux_aarch64", "macos_arm64", "windows_x86_64"]
VERSIONS = ["3.11", "3.12"]
NATIVE_SUFFIXES = (".so", ".pyd", ".dylib", ".dll")
# Each wheel platform tag's target, by what its name ends in.
TAGS = {"x86_64.whl": "linux_x86_64", "aarch64.whl": "linux_aarch64",
        "arm64.whl": "macos_arm64", "win_amd64.whl": "windows_x86_64"}  # fmt: skip


@pytest.fixture(scope="module")
def example(tmp_path_factory):
    workspace = copy_of_workspace(EXAMPLE, tmp_path_factory.mktemp("any") / "example")
    bazel = Bazel(workspace, tmp_path_factory.mktemp("any_output_base"))
    bazel.build("//app:app_any_pex")
    yield bazel
    bazel.shutdown()


@pytest.fixture(scope="module")
def pex(example) -> Path:
    return example.output("app/app_any_pex.pex")


@pytest.mark.parametrize("version", VERSIONS)
def test_it_runs_here_on_each_python(pex, version, tmp_path):
    done = run_pex(find_python(version), pex, tmp_path)
    assert done.returncode == 0, done.stderr
    assert f"python: '{version}'\nmachine: x86_64\nlibyaml: true\n" in done.stdout


def test_it_runs_on_aarch64_under_qemu(pex, tmp_path):
    done = run_pex(aarch64_python(), pex, tmp_path)
    assert done.returncode == 0, done.stderr
    assert "python: '3.11'\nmachine: aarch64\nlibyaml: true\n" in done.stdout


def test_each_native_extension_has_its_wheels_binary_format(pex):
    info = pex_info(pex)
    assert info["interpreter_constraints"] == ["CPython==3.11.*", "CPython==3.12.*"]
    checked = set()
    with zipfile.ZipFile(pex) as outer:
        for name in outer.namelist():
            if not (name.startswith(".deps/") and name.endswith(".whl")):
                continue
            platform = next((t for end, t in TAGS.items() if name.endswith(end)), None)
            with zipfile.ZipFile(outer.open(name)) as wheel:
                for member in wheel.namelist():
                    if member.endswith(NATIVE_SUFFIXES):
                        expected = EXPECTED[platform][0]
                        assert binary_format(wheel.read(member)) == expected, (name, member)
                        checked.add((platform, name.split("-cp3")[1][:2]))
    # Every target's own extension, once per Python version.
    assert checked == {(t, v.split(".")[1]) for t in TARGETS for v in VERSIONS}


def test_its_distributions_are_what_pex_resolves_for_the_same_targets(example, pex, tmp_path):
    """pex's CLI, given every wheel and the eight targets as complete platforms."""
    pool = tmp_path / "wheels"
    pool.mkdir()
    example.run("query", *example.flags, "deps(@wheels//:all)")
    for wheel in example.wheel_files():
        shutil.copy(wheel, pool / wheel.name)
    platforms = []
    for name in TARGETS:
        for version in VERSIONS:
            described = tmp_path / f"{name}_{version}.json"
            spec = target.from_spec(PLATFORMS[name], version).to_complete_platform()
            described.write_text(json.dumps(spec))
            platforms += ["--complete-platform", str(described)]
    oracle = tmp_path / "oracle.pex"
    # What the binary depends on: click, and pyyaml through //app:lib.
    requirements = ["click", "pyyaml"]
    subprocess.run(
        [str(Path(sys.executable).parent / "pex"), "--no-pypi", "--find-links", str(pool),
         *platforms, "--no-build", "--no-pre-install-wheels", "--pex-root",
         str(tmp_path / "pex_root"), "-o", str(oracle), *requirements],
        check=True, capture_output=True, text=True,
    )  # fmt: skip
    assert sorted(pex_info(oracle)["distributions"]) == sorted(pex_info(pex)["distributions"])


def test_another_output_base_writes_the_same_bytes(example, pex, tmp_path):
    other = Bazel(example.workspace, tmp_path / "output_base")
    try:
        other.build("//app:app_any_pex")
        assert other.output("app/app_any_pex.pex").read_bytes() == pex.read_bytes()
    finally:
        other.shutdown()


def _inspect(python: str, described: Path) -> Path:
    """A complete platform, as pex writes it for a real interpreter."""
    pex3 = Path(sys.executable).parent / "pex3"
    done = subprocess.run(
        [str(pex3), "interpreter", "inspect", "--markers", "--tags", "--python", python],
        check=True, capture_output=True, text=True,
    )  # fmt: skip
    described.write_text(done.stdout)
    return described


@pytest.fixture(scope="module")
def complete(example):
    """//app:app_complete_pex: the app for this machine's CPython 3.11 and qemu's arm64 one,
    as complete platforms pex inspected, from one set of deps with both pyyaml wheels."""
    package = example.workspace / "app"
    _inspect(find_python("3.11"), package / "host.json")
    _inspect(aarch64_python(), package / "arm64.json")
    # The hub names each platform's wheel file.
    hub = example.run("query", *example.flags, "@wheels//:*").stdout.split()
    (arm64_pyyaml,) = [w for w in hub if w.startswith("@wheels//:cp311_linux_aarch64/pyyaml-")]
    with (package / "BUILD.bazel").open("a") as build:
        build.write(
            "\npy_pex_binary(\n"
            '    name = "app_complete_pex",\n'
            '    complete_platforms = ["host.json", "arm64.json"],\n'
            '    main = "main.py",\n'
            f'    deps = [":lib", "@wheels//:click", "{arm64_pyyaml}"],\n'
            ")\n"
        )
    example.build("//app:app_complete_pex")
    return example.output("app/app_complete_pex.pex")


def test_complete_platforms_run_where_each_describes(complete, tmp_path):
    done = run_pex(find_python("3.11"), complete, tmp_path / "host")
    assert done.returncode == 0, done.stderr
    assert "python: '3.11'\nmachine: x86_64\nlibyaml: true\n" in done.stdout
    done = run_pex(aarch64_python(), complete, tmp_path / "arm64")
    assert done.returncode == 0, done.stderr
    assert "python: '3.11'\nmachine: aarch64\nlibyaml: true\n" in done.stdout


def test_complete_platforms_take_what_pex_resolves_for_them(example, complete, tmp_path):
    pool = tmp_path / "wheels"
    pool.mkdir()
    for wheel in example.wheel_files():
        shutil.copy(wheel, pool / wheel.name)
    oracle = tmp_path / "oracle.pex"
    package = example.workspace / "app"
    subprocess.run(
        [str(Path(sys.executable).parent / "pex"), "--no-pypi", "--find-links", str(pool),
         "--complete-platform", str(package / "host.json"),
         "--complete-platform", str(package / "arm64.json"), "--no-build",
         "--no-pre-install-wheels", "--pex-root", str(tmp_path / "pex_root"), "-o", str(oracle),
         "click", "pyyaml"],
        check=True, capture_output=True, text=True,
    )  # fmt: skip
    assert sorted(pex_info(oracle)["distributions"]) == sorted(pex_info(complete)["distributions"])
    assert len(pex_info(complete)["distributions"]) == 3
