"""e2e workspaces copied out of the checkout, and packages written into them."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Optional

from harness.support import ROOT


def copy_of_workspace(source: Path, destination: Path, *ignore: str) -> Path:
    """A workspace of e2e/ or examples/ copied to `destination`, its MODULE.bazel still using
    this checkout's crosspex."""
    shutil.copytree(source, destination, ignore=shutil.ignore_patterns("bazel-*", *ignore))
    module = destination / "MODULE.bazel"
    text = module.read_text()
    assert 'path = "../.."' in text
    module.write_text(text.replace('path = "../.."', f'path = "{ROOT}"'))
    return destination


def write_assembler_toolchain(
    package: Path, interpreter: str, exec_compatible_with: Optional[str] = None
) -> None:
    """A package of its own with a pex_assembler_toolchain for `interpreter` and no bytecode
    interpreters, `:assembler`, and its `toolchain()`, `:toolchain`."""
    package.mkdir()
    compatible = f'    exec_compatible_with = ["{exec_compatible_with}"],\n'
    (package / "BUILD.bazel").write_text(
        f"""\
load("@crosspex//py:toolchains.bzl", "pex_assembler_toolchain")

pex_assembler_toolchain(
    name = "assembler",
    interpreter_path = "{interpreter}",
    libraries = "@crosspex//py/toolchains:assembler_libraries",
)

toolchain(
    name = "toolchain",
{compatible if exec_compatible_with else ""}\
    toolchain = ":assembler",
    toolchain_type = "@crosspex//py/toolchains:assembler_toolchain_type",
)
""".replace("'", '"')
    )
