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
from pex_assembler.zips import FIXED_DATE_TIME

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


def _copy_bytes(source: Path, destination) -> None:
    destination.flush()
    with source.open("rb") as handle:
        remaining = source.stat().st_size
        try:
            while remaining > 0:
                copied = os.copy_file_range(handle.fileno(), destination.fileno(), remaining)
                if copied == 0:
                    break
                remaining -= copied
            destination.seek(0, os.SEEK_END)
            if remaining == 0:
                return
        except (AttributeError, OSError):
            destination.seek(0, os.SEEK_END)
        handle.seek(source.stat().st_size - remaining)
        shutil.copyfileobj(handle, destination, 1024 * 1024)


def _append_wheels(staged: Path, wheels: Sequence[Wheel]) -> None:
    """Adds each wheel as a stored `.deps/` entry, the way pex stores it, at copy speed.

    The CRC-32 comes from the wheel's record, so the bytes go file to file in the kernel.
    """
    with zipfile.ZipFile(staged, "a") as archive:
        entries = [(".deps/", None)] + [(f".deps/{w.filename}", w) for w in wheels]
        for name, wheel in entries:
            info = zipfile.ZipInfo(name, date_time=FIXED_DATE_TIME)
            info.create_system = 3
            info.compress_type = zipfile.ZIP_STORED
            if wheel is None:
                info.external_attr = (0o40755 << 16) | 0x10
                info.file_size = info.compress_size = info.CRC = 0
            else:
                info.external_attr = 0o100644 << 16
                info.file_size = info.compress_size = wheel.path.stat().st_size
                info.CRC = wheel.crc32
            archive.fp.seek(archive.start_dir)
            info.header_offset = archive.start_dir
            archive.fp.write(info.FileHeader(zip64=info.file_size > zipfile.ZIP64_LIMIT))
            if wheel is not None:
                _copy_bytes(wheel.path, archive.fp)
            archive.start_dir = archive.fp.tell()
            archive.filelist.append(info)
            archive.NameToInfo[name] = info
            archive._didModify = True


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
    # Wheels whose digests are known are streamed into the finished zipapp afterwards, byte
    # for byte, instead of going through pex's chroot.
    streamed = options.layout == "zipapp" and all(w.crc32 is not None for w in wheels)
    for wheel in wheels:
        if streamed:
            info.add_distribution(wheel.filename, wheel.fingerprint)
            info.add_requirement(f"{wheel.project_name}=={wheel.version}")
        else:
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
    if streamed and wheels:
        _append_wheels(staged, wheels)
    _check_zipimport(staged, output, options)
    if staged.is_dir():
        # Bazel creates a directory output before the action runs: replace it whole.
        if output.is_dir():
            shutil.rmtree(output)
    else:
        os.chmod(staged, 0o755)
    os.replace(staged, output)
