"""Shared fixtures: real wheels from the package index, fetched once per test session."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

TESTS = Path(__file__).resolve().parent
sys.path[:0] = [str(TESTS), str(TESTS.parent / "tools")]

from pex_assembler import wheelhouse  # noqa: E402
from support import E2E_REQUIREMENTS, PLATFORMS  # noqa: E402


@pytest.fixture(scope="session")
def wheel_dir(tmp_path_factory) -> Path:
    """The example app's pinned wheels, one directory per platform (pip, hash-checked)."""
    dest = tmp_path_factory.mktemp("wheels")
    build = wheelhouse.fetch(E2E_REQUIREMENTS, ["3.11"], list(PLATFORMS.values()), dest)
    (dest / "BUILD.bazel").write_text(build)
    return dest
