"""Shared fixtures: real wheels from the package index, fetched once per test session."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tools"))

from pex_assembler import wheelhouse  # noqa: E402

E2E_REQUIREMENTS = ROOT / "e2e" / "app" / "requirements.txt"

PLATFORMS = {
    "linux_x86_64": {"name": "linux_x86_64", "os": "linux", "arch": "x86_64"},
    "macos_arm64": {"name": "macos_arm64", "os": "macos", "arch": "arm64"},
    "windows_x86_64": {"name": "windows_x86_64", "os": "windows", "arch": "x86_64"},
}


@pytest.fixture(scope="session")
def wheel_dir(tmp_path_factory) -> Path:
    """The example app's pinned wheels, one directory per platform (pip, hash-checked)."""
    dest = tmp_path_factory.mktemp("wheels")
    build = wheelhouse.fetch(E2E_REQUIREMENTS, "3.11", list(PLATFORMS.values()), dest)
    (dest / "BUILD.bazel").write_text(build)
    return dest


def find_wheel(wheel_dir: Path, platform: str, prefix: str) -> Path:
    matches = sorted((wheel_dir / platform).glob(prefix + "-*.whl"))
    assert len(matches) == 1, (platform, prefix, matches)
    return matches[0]
