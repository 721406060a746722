"""The e2e workspace, e2e/app: what it builds, for which targets, and what its PEXes print."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

from harness.support import PLATFORMS, ROOT
from harness.workspace import copy_of_workspace

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

SPECS = {name: PLATFORMS[name] for name in CROSS_PLATFORMS}
EXPECTED_OUTPUT = """\
msgpack_bytes: 15
msgpack_extension: msgpack._cmsgpack
msgpack_roundtrip: true
span:
  days: 15
  months: 1
yaml_libyaml: true
six: 1.17.0
"""


def copy_of_app(destination: Path) -> Path:
    """The example workspace copied to `destination`."""
    return copy_of_workspace(APP, destination)


def matrix_names():
    """What `bazel build //app:all //packer:all` writes: package/name of each PEX."""
    names = [f"app/app_{p}" for p in CROSS_PLATFORMS]
    names += [f"app/app_by_python_linux_x86_64_py{v.replace('.', '')}" for v in PYTHON_VERSIONS]
    names.append("app/app_any_pex")
    names.append("packer/packer_windows_arm64")
    return names


def run_pex(python: str, pex, tmp_path, *args: str) -> subprocess.CompletedProcess:
    env = {"PATH": os.environ["PATH"], "PEX_ROOT": str(tmp_path / "pex_root")}
    return subprocess.run([python, str(pex), *args], capture_output=True, text=True, env=env)
