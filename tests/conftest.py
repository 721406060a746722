"""Shared fixtures: real wheels from the package index, fetched once per test session."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

TESTS = Path(__file__).resolve().parent
# The code the tests share, `harness`, and the assembler, for every test module to import.
sys.path[:0] = [str(TESTS), str(TESTS.parent / "tools")]

from harness.support import E2E_REQUIREMENTS, PLATFORMS  # noqa: E402
from pex_assembler import wheelhouse  # noqa: E402


@pytest.fixture(scope="session")
def wheel_dir(tmp_path_factory) -> Path:
    """The e2e app's pinned wheels for CPython 3.11, one directory per platform the unit
    tests build for (pip, hash-checked).

    CROSSPEX_TEST_WHEELS names a directory to fill once and reuse: the mutation run's
    sessions, one per mutant, would otherwise each fetch them again."""
    reused = os.environ.get("CROSSPEX_TEST_WHEELS")
    dest = Path(reused) if reused else tmp_path_factory.mktemp("wheels")
    if (dest / "BUILD.bazel").is_file():
        return dest
    platforms = [
        PLATFORMS[n] for n in ("linux_x86_64", "linux_aarch64", "macos_arm64", "windows_x86_64")
    ]
    build = wheelhouse.fetch(E2E_REQUIREMENTS, ["3.11"], platforms, dest)
    (dest / "BUILD.bazel").write_text(build)
    return dest
