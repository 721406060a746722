"""Helpers shared by the tests."""

from __future__ import annotations

import glob
import re
import shutil
import subprocess
from pathlib import Path
from typing import List

ROOT = Path(__file__).resolve().parents[1]
E2E_REQUIREMENTS = ROOT / "e2e" / "app" / "requirements.txt"

PLATFORMS = {
    "linux_x86_64": {"name": "linux_x86_64", "os": "linux", "arch": "x86_64"},
    "linux_aarch64": {"name": "linux_aarch64", "os": "linux", "arch": "aarch64"},
    "macos_arm64": {"name": "macos_arm64", "os": "macos", "arch": "arm64"},
    "windows_x86_64": {"name": "windows_x86_64", "os": "windows", "arch": "x86_64"},
}


def find_wheel(wheel_dir: Path, platform: str, prefix: str) -> Path:
    matches = sorted((wheel_dir / f"cp311_{platform}").glob(prefix + "-*.whl"))
    assert len(matches) == 1, (platform, prefix, matches)
    return matches[0]


def find_python(version: str) -> str:
    """The path of CPython `version` (MAJOR.MINOR) on this machine: on PATH, or under pyenv."""
    candidates = [shutil.which(f"python{version}")]
    pyenv = shutil.which("pyenv")
    if pyenv:
        pyenv_root = subprocess.run([pyenv, "root"], capture_output=True, text=True).stdout.strip()
        candidates += sorted(glob.glob(f"{pyenv_root}/versions/{version}.*/bin/python{version}"))
    for candidate in candidates:
        if not candidate:
            continue
        probe = subprocess.run(
            [candidate, "-c", "import sys; print('%d.%d' % sys.version_info[:2])"],
            capture_output=True,
            text=True,
        )
        if probe.returncode == 0 and probe.stdout.strip() == version:
            return candidate
    raise AssertionError(f"CPython {version} is not installed here (PATH or pyenv)")


def readme_starlark_blocks() -> List[str]:
    """The Starlark snippets of README.md, as printed."""
    return re.findall(r"```starlark\n(.*?)```", (ROOT / "README.md").read_text(), re.S)


def modules_loaded(stderr: str, prefix: str) -> List[str]:
    """The files `python -v` says it took code objects from, of those under `prefix`: a
    .pyc when it was valid, the .py when the module had to be compiled."""
    return re.findall(rf"^# code object from '?({re.escape(prefix)}[^'\s]+)", stderr, re.M)
