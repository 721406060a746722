"""Shared fixtures: real wheels from the package index, fetched once per test session."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

TESTS = Path(__file__).resolve().parent
# The code the tests share, `harness`, and the assembler, for every test module to import.
sys.path[:0] = [str(TESTS), str(TESTS.parent / "tools")]

from harness.support import E2E_REQUIREMENTS, PLATFORMS, fetch_wheels  # noqa: E402


@pytest.fixture(scope="session")
def wheel_dir(tmp_path_factory) -> Path:
    """The e2e app's pinned wheels for CPython 3.11, one directory per platform the unit
    tests build for, chosen and checked as pip_wheels does.

    CROSSPEX_TEST_WHEELS names a directory to fill once and reuse: the mutation run's
    sessions, one per mutant, would otherwise each fetch them again."""
    reused = os.environ.get("CROSSPEX_TEST_WHEELS")
    dest = Path(reused) if reused else tmp_path_factory.mktemp("wheels")
    done = dest / "fetched"
    if done.is_file():
        return dest
    platforms = [
        PLATFORMS[n] for n in ("linux_x86_64", "linux_aarch64", "macos_arm64", "windows_x86_64")
    ]
    fetch_wheels(E2E_REQUIREMENTS, ["3.11"], platforms, dest)
    done.write_text("")
    return dest
