"""Helpers shared by the tests."""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
E2E_REQUIREMENTS = ROOT / "e2e" / "app" / "requirements.txt"

PLATFORMS = {
    "linux_x86_64": {"name": "linux_x86_64", "os": "linux", "arch": "x86_64"},
    "macos_arm64": {"name": "macos_arm64", "os": "macos", "arch": "arm64"},
    "windows_x86_64": {"name": "windows_x86_64", "os": "windows", "arch": "x86_64"},
}


def find_wheel(wheel_dir: Path, platform: str, prefix: str) -> Path:
    matches = sorted((wheel_dir / platform).glob(prefix + "-*.whl"))
    assert len(matches) == 1, (platform, prefix, matches)
    return matches[0]
