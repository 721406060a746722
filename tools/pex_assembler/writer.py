"""Writes the PEX with pex's own builder, so the bootstrap, __main__.py and PEX-INFO are pex's."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Mapping, Optional, Sequence

from pex_assembler.wheels import Wheel


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
    builder.info = info
    for archive_path in sorted(sources):
        builder.add_source(str(sources[archive_path]), archive_path)
    for wheel in wheels:
        builder.add_dist_location(str(wheel.path))
    if options.entry_point:
        builder.set_entry_point(options.entry_point)
    builder.set_shebang(options.shebang)

    staged = workdir / output.name
    builder.build(
        str(staged),
        bytecode_compile=False,
        deterministic=True,
        layout=Layout.ZIPAPP,
        compress=options.compress,
        check=Check.ERROR,
    )
    os.chmod(staged, 0o755)
    os.replace(staged, output)
