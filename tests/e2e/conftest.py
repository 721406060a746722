"""The example workspace, built once per test session by real Bazel in its own output base."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path
from typing import Optional

import pytest

from harness.bazel import Bazel
from harness.remote.service import Service
from harness.support import ROOT

APP = ROOT / "e2e" / "app"

# Everything `bazel build //app:all //packer:all` writes, in one invocation.
CROSS_PLATFORMS = [
    "linux_x86_64",
    "linux_aarch64",
    "linux_x86_64_musl",
    "macos_arm64",
    "macos_x86_64",
    "windows_x86_64",
]
PYTHON_VERSIONS = ["3.9", "3.10", "3.11", "3.12", "3.13"]


def copy_of_workspace(source: Path, destination: Path, *ignore: str) -> Path:
    """An e2e workspace copied to `destination`, its MODULE.bazel still using this checkout's
    crosspex."""
    shutil.copytree(source, destination, ignore=shutil.ignore_patterns("bazel-*", *ignore))
    module = destination / "MODULE.bazel"
    text = module.read_text()
    assert 'path = "../.."' in text
    module.write_text(text.replace('path = "../.."', f'path = "{ROOT}"'))
    return destination


def copy_of_app(destination: Path) -> Path:
    """The example workspace copied to `destination`."""
    return copy_of_workspace(APP, destination)


def write_assembler_toolchain(
    package: Path, interpreter: str, exec_compatible_with: Optional[str] = None
) -> None:
    """A package of its own with a pex_assembler_toolchain for `interpreter` and no bytecode
    interpreters, `:assembler`, and its `toolchain()`, `:toolchain`."""
    package.mkdir()
    compatible = f'    exec_compatible_with = ["{exec_compatible_with}"],\n'
    (package / "BUILD.bazel").write_text(
        f"""\
load("@crosspex//py:toolchains.bzl", "pex_assembler_toolchain")

pex_assembler_toolchain(
    name = "assembler",
    interpreter_path = "{interpreter}",
    libraries = "@crosspex//py/toolchains:assembler_libraries",
)

toolchain(
    name = "toolchain",
{compatible if exec_compatible_with else ""}\
    toolchain = ":assembler",
    toolchain_type = "@crosspex//py/toolchains:assembler_toolchain_type",
)
""".replace("'", '"')
    )


def matrix_names():
    """What `bazel build //app:all //packer:all` writes: package/name of each PEX."""
    names = [f"app/app_{p}" for p in CROSS_PLATFORMS]
    names += [f"app/app_by_python_linux_x86_64_py{v.replace('.', '')}" for v in PYTHON_VERSIONS]
    names.append("packer/packer_windows_arm64")
    return names


@pytest.fixture(scope="session")
def app_bazel(tmp_path_factory):
    instance = Bazel(APP, tmp_path_factory.mktemp("output_base"))
    yield instance
    instance.shutdown()


@pytest.fixture(scope="session")
def matrix(app_bazel, tmp_path_factory):
    """name -> a copy of each PEX the cross-build matrix wrote into bazel-bin."""
    app_bazel.build("//app:all", "//packer:all")
    keep = tmp_path_factory.mktemp("matrix")
    pexes = {}
    bin_dir = app_bazel.output("")
    for name in matrix_names():
        built = bin_dir / f"{name}.pex"
        assert built.is_file(), f"{built} was not written by the one matrix build"
        pexes[name.split("/")[1]] = keep / f"{name.split('/')[1]}.pex"
        shutil.copy(built, pexes[name.split("/")[1]])
    return pexes


@pytest.fixture(scope="module")
def remote_service(tmp_path_factory):
    """A Remote Execution API service on loopback (tests/harness/remote/service.py): PostgreSQL,
    BuildGrid and four workers, each running actions in the Debian root Bazel 7 lives in."""
    paths = subprocess.run(
        ["bash", str(ROOT / "scripts" / "remote-execution.sh"), "paths"],
        capture_output=True, text=True, check=True,
    ).stdout.split("\n")  # fmt: skip
    running = Service(tmp_path_factory.mktemp("remote"), Path(paths[0]), Path(paths[1]))
    try:
        running.start_database()
        running.start_buildgrid()
        for index in range(4):
            running.start_worker(index)
        yield running
    finally:
        running.stop_all()
