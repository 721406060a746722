"""Lock files to per-platform wheels: a pdm.lock (as pdm wrote it) and a uv.lock (written by
uv for this run), each turned into targets that select the right wheel per platform."""

from __future__ import annotations

import shutil
import subprocess
import sys

import pytest

from harness.app import run_pex
from harness.bazel import Bazel, pex_info
from harness.support import ROOT, find_python
from harness.workspace import copy_of_workspace

LOCKS = ROOT / "e2e" / "locks"
COMMON = [
    "click-8.1.7-py3-none-any.whl",
    "python_dateutil-2.9.0.post0-py2.py3-none-any.whl",
    "six-1.17.0-py2.py3-none-any.whl",
]
MSGPACK = {
    "linux_x86_64": "msgpack-1.1.0-cp311-cp311-manylinux_2_17_x86_64.manylinux2014_x86_64.whl",
    "macos_arm64": "msgpack-1.1.0-cp311-cp311-macosx_11_0_arm64.whl",
    "windows_x86_64": "msgpack-1.1.0-cp311-cp311-win_amd64.whl",
}


@pytest.fixture(scope="module")
def locks_bazel(tmp_path_factory):
    workspace = copy_of_workspace(LOCKS, tmp_path_factory.mktemp("locks") / "locks", "uv.lock")
    uv = shutil.which("uv", path=str(sys.executable).rsplit("/", 1)[0])
    subprocess.run([uv, "lock", "--quiet"], cwd=workspace, check=True)
    bazel = Bazel(workspace, tmp_path_factory.mktemp("locks_output_base"))
    bazel.build("//app:all")
    yield bazel
    bazel.shutdown()


@pytest.mark.parametrize("lock", ["pdm", "uv"])
@pytest.mark.parametrize("platform", sorted(MSGPACK))
def test_lock_selects_each_platforms_wheels(locks_bazel, lock, platform):
    pex = locks_bazel.output(f"app/{lock}_{platform}.pex")
    expected = [*COMMON, MSGPACK[platform]]
    if platform.startswith("windows"):
        expected.append("colorama-0.4.6-py2.py3-none-any.whl")  # locked for Windows only
    assert sorted(pex_info(pex)["distributions"]) == sorted(expected)


@pytest.mark.parametrize("lock", ["pdm", "uv"])
def test_locked_linux_pex_runs(locks_bazel, lock, tmp_path):
    done = run_pex(
        find_python("3.11"), locks_bazel.output(f"app/{lock}_linux_x86_64.pex"), tmp_path
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout == "29 msgpack._cmsgpack click\n"
