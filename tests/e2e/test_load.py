"""100 PEX actions (20 targets x 5 platforms) in one invocation at twice the core count:
no collisions between concurrent assemblers, and the same bytes as a serial build."""

from __future__ import annotations

import hashlib
import os

from harness.app import copy_of_app
from harness.bazel import Bazel

PLATFORMS = ["linux_x86_64", "linux_aarch64", "macos_arm64", "macos_x86_64", "windows_x86_64"]


def _digests(bazel: Bazel) -> dict:
    load = bazel.output("load")
    names = [f"load_{i:02d}_for_{p}.pex" for i in range(20) for p in PLATFORMS]
    return {n: hashlib.sha256((load / n).read_bytes()).hexdigest() for n in names}


def test_parallel_build_equals_serial_build(tmp_path):
    bazel = Bazel(copy_of_app(tmp_path / "app"), tmp_path / "output_base")
    try:
        bazel.build(f"--jobs={2 * (os.cpu_count() or 1)}", "//load")
        parallel = _digests(bazel)
        assert len(set(parallel.values())) == len(parallel), "every target and platform differs"
        bazel.run("clean")
        bazel.build("--jobs=1", "//load")
        assert _digests(bazel) == parallel
    finally:
        bazel.shutdown()
