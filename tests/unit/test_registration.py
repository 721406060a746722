"""crosspex's MODULE.bazel registers a target toolchain per built-in platform, the fallback
last, and the assembler's."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_module_bazel_registers_every_builtin_platform_then_the_fallback():
    platforms = re.findall(
        r'^    "(\w+)": struct\(', (ROOT / "py/private/platforms.bzl").read_text(), re.M
    )
    assert "macos_arm64" in platforms
    module = (ROOT / "MODULE.bazel").read_text()
    registered = re.findall(r'"//py/toolchains:(\w+)"', module)
    assert registered == [f"{p}_toolchain" for p in sorted(platforms)] + [
        "unknown_platform_toolchain"
    ]
    assert '"@crosspex_toolchains//:assembler_toolchain"' in module
