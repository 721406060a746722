"""Wheels installed at build time, as pex's CLI installs them, in zips ready to be copied.

pex's CLI installs each wheel into a directory of its own (`install_wheel_chroot`: the files
spread as pex's runtime expects, `.layout.json` holding the fingerprint PEX-INFO names), then
zips every one under `.deps/<wheel file name>/`, on one thread. Here the wheels install on
several threads, and their files are compressed on several threads too (zlib releases the
GIL), into an "installed zip": the `.deps/` entries, in pex's order, with pex's date, modes
and compression. Bazel keeps one per wheel, so a rebuild only copies their entries into the
PEX (`zipapp.write_zipapp`).
"""

from __future__ import annotations

import functools
import itertools
import json
import os
import shutil
import stat
import zipfile
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Dict, Iterator, List, Optional, Sequence, Tuple

from pex_assembler import modes, zips
from pex_assembler.archive_paths import from_os, is_bytecode, unsafe_reason
from pex_assembler.errors import AssemblerError

DEPS = ".deps/"
# pex's record of an installed wheel, at the top of its directory.
LAYOUT = ".layout.json"
# zlib's default level, as pex's zip of the PEX uses.
_LEVEL = -1
_EMPTY = zips.pack_bytes(b"", compress=False, level=0)


@dataclass(frozen=True)
class Installed:
    """One wheel's entries in an installed zip."""

    filename: str
    fingerprint: str
    zip_path: Path
    entries: Tuple[zipfile.ZipInfo, ...]


def _directory(name: str) -> zipfile.ZipInfo:
    info = zips.unix_entry(name)
    info.external_attr = modes.DIRECTORY_ATTRIBUTES
    return info


def _file(name: str, path: Path) -> zipfile.ZipInfo:
    """As pex dates and modes a file it zips: executable or not, by the installed file."""
    info = zips.unix_entry(name)
    executable = path.stat().st_mode & 0o111
    info.external_attr = (stat.S_IFREG | (modes.EXECUTABLE if executable else modes.FILE)) << 16
    return info


def _members(filename: str, chroot: Path, compress: bool, spool_dir: Path) -> Iterator[tuple]:
    """The entries of one installed wheel, in the order pex zips them: every file by its
    path, each after the directories above it; bytecode left out, as pex leaves it out."""
    files = []
    for directory, _, names in os.walk(chroot):
        for name in names:
            path = Path(directory) / name
            relative = from_os(path.relative_to(chroot).as_posix())
            if path.is_symlink() or not path.is_file():
                raise AssemblerError(
                    filename,
                    f"installed {relative!r} as something other than a file",
                    "rebuild the wheel without links or special files",
                )
            if not is_bytecode(relative):
                files.append((relative, path))
    written = {DEPS}
    for relative, path in sorted(files):
        name = f"{DEPS}{filename}/{relative}"
        parts = name.split("/")
        for depth in range(2, len(parts)):
            parent = "/".join(parts[:depth]) + "/"
            if parent not in written:
                written.add(parent)
                yield _directory(parent), lambda: _EMPTY
        yield _file(name, path), functools.partial(zips.pack, path, compress, _LEVEL, spool_dir)


def install_chroot(wheel: Path, chroot: Path) -> None:
    """Installs `wheel` into the directory `chroot` as pex's CLI installs a downloaded wheel,
    so that its fingerprint is the one pex's CLI gives it.

    pex is imported here: the caller has confined its caches to a working directory.
    """
    from pex.pep_427 import install_wheel_chroot

    try:
        # Unpacking only, as pex installs for a foreign platform: nothing runs or compiles.
        # The wheel's own entry dates and modes are recorded, as pex's CLI records them.
        install_wheel_chroot(str(wheel.absolute()), str(chroot.absolute()))
    except Exception as exc:  # pex raises many kinds; each says what it found
        raise AssemblerError(
            str(wheel),
            f"cannot be installed as pex installs a wheel ({type(exc).__name__}: {exc})",
            "check it with `pex-assembler check-wheel`, and rebuild or replace the wheel",
        ) from exc


def install(
    wheel_paths: Sequence[Path], output: Path, compress: bool, workdir: Path, jobs: int = 0
) -> None:
    """Writes the installed zip `output` of the wheels, installed in `workdir` (to which the
    caller has confined pex's caches)."""
    jobs = jobs or os.cpu_count() or 1

    def install_one(wheel: Path) -> Tuple[str, Path]:
        chroot = workdir / "installed" / wheel.name
        install_chroot(wheel, chroot)
        return wheel.name, chroot

    spool_dir = workdir / "spool"
    spool_dir.mkdir(parents=True, exist_ok=True)
    with ThreadPoolExecutor(max_workers=jobs) as pool:
        chroots = sorted(pool.map(install_one, wheel_paths))
        with zipfile.ZipFile(output, "w") as archive:
            deps: List[tuple] = [(_directory(DEPS), lambda: _EMPTY)]
            members = itertools.chain(
                deps,
                *(_members(filename, chroot, compress, spool_dir) for filename, chroot in chroots),
            )
            for _ in zips.write_in_order(archive, members, pool, 2 * jobs):
                pass
    for _, chroot in chroots:
        shutil.rmtree(chroot)


def _bad(zip_path: Path, problem: str) -> AssemblerError:
    return AssemblerError(
        str(zip_path),
        problem,
        "pass the zip `pex-assembler install-wheels` wrote, unchanged",
    )


def read(zip_paths: Sequence[Path]) -> Dict[str, Installed]:
    """Each wheel's entries in the installed zips, by wheel file name, checked: every name
    below `.deps/<wheel>/` and plain, and each wheel's fingerprint in its `.layout.json`."""
    found: Dict[str, Installed] = {}
    for zip_path in zip_paths:
        try:
            with zipfile.ZipFile(zip_path) as archive:
                by_wheel: Dict[str, List[zipfile.ZipInfo]] = {}
                for info in archive.infolist():
                    name = info.filename
                    if name == DEPS:
                        continue
                    filename = name[len(DEPS) :].split("/", 1)[0]
                    reason = unsafe_reason(name.rstrip("/"))
                    if reason or not name.startswith(DEPS) or not filename.endswith(".whl"):
                        raise _bad(zip_path, f"holds {name!r}, outside .deps/<wheel>/")
                    by_wheel.setdefault(filename, []).append(info)
                for filename, entries in by_wheel.items():
                    fingerprint = _fingerprint(archive, filename, zip_path)
                    if filename in found:
                        raise _bad(zip_path, f"installs {filename}, which another zip installs")
                    found[filename] = Installed(filename, fingerprint, zip_path, tuple(entries))
        except (OSError, zipfile.BadZipFile) as exc:
            raise _bad(zip_path, f"is not a readable zip ({exc})") from exc
    return found


def _fingerprint(archive: zipfile.ZipFile, filename: str, zip_path: Path) -> str:
    try:
        layout = json.loads(archive.read(f"{DEPS}{filename}/{LAYOUT}"))
        fingerprint: Optional[str] = layout["fingerprint"]
    except (KeyError, ValueError, TypeError) as exc:
        raise _bad(zip_path, f"has no fingerprint for {filename} ({exc})") from exc
    if not isinstance(fingerprint, str) or not fingerprint:
        raise _bad(zip_path, f"has no fingerprint for {filename}")
    return fingerprint
