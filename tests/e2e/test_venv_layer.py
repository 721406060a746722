"""py_venv_layer built by Bazel for Linux x86_64 and aarch64, each unpacked where its CPython
3.11 is /usr/bin/python3.11 and run: x86_64 on this Debian 12 root, aarch64 in the arm64 root
of scripts/aarch64-python.sh under qemu-user. Both print what the PEX of the same app prints."""

from __future__ import annotations

import os
import subprocess
import sys
import tarfile
from pathlib import Path

import pytest

from bazel import Bazel
from conftest import copy_of_app
from support import ROOT
from test_app_workspace import EXPECTED_OUTPUT


@pytest.fixture(scope="module")
def layers(app_bazel, tmp_path_factory):
    """platform -> the unpacked layer's /opt/venv, both built in one invocation."""
    app_bazel.build("//layer:app_layer_for")
    unpacked = {}
    for platform in ("linux_x86_64", "linux_aarch64"):
        image = tmp_path_factory.mktemp(platform)
        with tarfile.open(app_bazel.output(f"layer/app_layer_for_{platform}.tar")) as tar:
            tar.extractall(image)
        unpacked[platform] = image / "opt" / "venv"
    return unpacked


def _with_venv(venv: Path, *command: str) -> subprocess.CompletedProcess:
    """`command` on this machine's root, the layer's virtualenv at /opt/venv."""
    return subprocess.run(
        ["bwrap", "--dev-bind", "/", "/", "--tmpfs", "/opt", "--ro-bind", str(venv), "/opt/venv",
         "--clearenv", "--setenv", "PATH", "/usr/bin:/bin", "--", *command],
        capture_output=True, text=True, check=False,
    )  # fmt: skip


def test_the_x86_64_layer_runs_on_debian_12s_python(layers):
    done = _with_venv(layers["linux_x86_64"], "/opt/venv/bin/app_layer")
    assert done.returncode == 0, done.stderr
    assert done.stdout == EXPECTED_OUTPUT


def test_the_aarch64_layer_runs_under_qemu(layers):
    wrapper = subprocess.run(
        ["bash", str(ROOT / "scripts" / "aarch64-python.sh")],
        capture_output=True, text=True, check=True,
    ).stdout.strip()  # fmt: skip
    sysroot = Path(wrapper).parents[2]
    # The arm64 CPython started as the virtualenv's bin/python: qemu finds /usr/bin/python3.11
    # and its standard library in the arm64 root, and /opt/venv (absent there) on this one.
    done = _with_venv(
        layers["linux_aarch64"],
        "qemu-aarch64-static", "-L", str(sysroot), "-0", "/opt/venv/bin/python",
        str(sysroot / "usr/bin/python3.11"), "/opt/venv/bin/app_layer",
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert done.stdout == EXPECTED_OUTPUT
    native = sorted(p.name for p in layers["linux_aarch64"].rglob("*.so"))
    assert native and all("aarch64" in n for n in native), native


def test_the_same_bytes_from_another_checkout_output_base_and_exec_python(app_bazel, tmp_path):
    app_bazel.build("//layer:app_layer", platform="linux_x86_64")
    here = app_bazel.output("layer/app_layer.tar").read_bytes()
    elsewhere = Bazel(
        copy_of_app(tmp_path / "elsewhere" / "app"),
        tmp_path / "output_base",
        env={**os.environ, "CROSSPEX_PYTHON": os.path.realpath(sys.executable)},
    )
    try:
        elsewhere.build("//layer:app_layer", platform="linux_x86_64")
        there = elsewhere.output("layer/app_layer.tar").read_bytes()
        assert elsewhere.exec_python() != app_bazel.exec_python()
    finally:
        elsewhere.shutdown()
    assert here == there
