"""The example workspace, built once per test session by real Bazel in its own output base."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from harness.app import APP, matrix_names
from harness.bazel import Bazel
from harness.remote.service import Service
from harness.support import ROOT


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
