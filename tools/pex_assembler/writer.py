"""Writes the PEX with pex's own builder, so the bootstrap, __main__.py and PEX-INFO are pex's."""

from __future__ import annotations

import os
import shutil
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Mapping, Optional, Sequence

from pex_assembler.errors import AssemblerError
from pex_assembler.wheels import Wheel

LAYOUTS = ("zipapp", "packed", "loose")
EXECUTION_MODES = ("zipapp", "venv")

# What zipimport reads without ZIP64, before CPython 3.13.
_ZIPIMPORT_MAX_ENTRIES = 0xFFFF
_ZIPIMPORT_MAX_BYTES = 2**31 - 1


@dataclass(frozen=True)
class PexOptions:
    entry_point: Optional[str]
    shebang: str
    interpreter_constraints: Sequence[str]
    inject_env: Mapping[str, str]
    inject_args: Sequence[str]
    inherit_path: str
    compress: bool
    strip_pex_env: bool
    layout: str = "zipapp"
    execution_mode: str = "zipapp"
    sh_boot: bool = False
    zip64_importable: bool = False


def _check_zipimport(staged: Path, output: Path, options: PexOptions) -> None:
    if options.layout != "zipapp" or options.zip64_importable:
        return
    with zipfile.ZipFile(staged) as archive:
        entries = len(archive.infolist())
    size = staged.stat().st_size
    if entries > _ZIPIMPORT_MAX_ENTRIES or size > _ZIPIMPORT_MAX_BYTES:
        raise AssemblerError(
            str(output),
            f"would be a zipapp of {entries} entries and {size} bytes, which CPython before "
            "3.13 cannot import (zipimport reads no ZIP64 archives: at most 65535 entries and "
            "2 GiB)",
            'set layout = "packed" (or "loose"): each wheel stays a file of its own',
        )


def write_pex(
    output: Path,
    sources: Mapping[str, Path],
    wheels: Sequence[Wheel],
    options: PexOptions,
    workdir: Path,
) -> None:
    """Builds the PEX in `workdir` and moves it to `output` in one rename."""
    # pex reads PEX_ROOT when first imported; the caller has pointed it into `workdir`.
    from pex.inherit_path import InheritPath
    from pex.interpreter import PythonIdentity, PythonInterpreter
    from pex.interpreter_constraints import InterpreterConstraints
    from pex.layout import Layout
    from pex.pex_builder import Check, CopyMode, PEXBuilder
    from pex.targets import Targets

    # The running interpreter, identified in-process: pex's default spawns a subprocess (and
    # copies pex into PEX_ROOT) only to learn what the target never uses.
    here = PythonInterpreter(PythonIdentity.get())
    builder = PEXBuilder(path=str(workdir / "chroot"), interpreter=here, copy_mode=CopyMode.COPY)
    info = builder.info
    info.deps_are_wheel_files = True
    info.inherit_path = InheritPath.for_value(options.inherit_path)
    info.inject_env = dict(options.inject_env)
    info.inject_args = list(options.inject_args)
    info.strip_pex_env = options.strip_pex_env
    info.interpreter_constraints = InterpreterConstraints.parse(*options.interpreter_constraints)
    if options.execution_mode == "venv":
        info.venv = True
        info.includes_tools = True
    builder.info = info
    for archive_path in sorted(sources):
        builder.add_source(str(sources[archive_path]), archive_path)
    for wheel in wheels:
        builder.add_dist_location(str(wheel.path), fingerprint=wheel.fingerprint)
    if options.entry_point:
        builder.set_entry_point(options.entry_point)
    builder.set_shebang(options.shebang)
    layout = Layout.for_value(options.layout)
    if options.sh_boot:
        builder.freeze(bytecode_compile=False)
        builder.set_sh_boot_script(
            pex_name=output.name,
            targets=Targets(),
            python_shebang=options.shebang,
            layout=layout,
        )

    staged = workdir / output.name
    builder.build(
        str(staged),
        bytecode_compile=False,
        deterministic=True,
        layout=layout,
        compress=options.compress,
        check=Check.NONE,
    )
    _check_zipimport(staged, output, options)
    if staged.is_dir():
        # Bazel creates a directory output before the action runs: replace it whole.
        if output.is_dir():
            shutil.rmtree(output)
    else:
        os.chmod(staged, 0o755)
    os.replace(staged, output)
