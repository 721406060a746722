"""Writes a zipapp PEX at copy speed: pex's skeleton, the sources, and the wheels as they are.

The skeleton is the PEX pex itself builds with the same options but no code and no
distributions (`writer.write_skeleton`): its header, `.bootstrap/`, `__main__.py` and
PEX-INFO. It does not depend on the app, so Bazel builds it once per set of options. Here,
without importing pex, PEX-INFO gains the code hash, the distributions and the PEX hash the
way pex computes them; the hash is put where pex put the skeleton's (the `__main__.py` boot
call, the `__pex__` import hook, a sh_boot header); the skeleton's other entries are copied
byte for byte, still compressed; each wheel is copied file to file in the kernel, or, when
its wheels are pre-installed, the entries of its installed zip (`preinstalled`) are.
"""

from __future__ import annotations

import hashlib
import json
import os
import posixpath
import shutil
import zipfile
from pathlib import Path
from typing import BinaryIO, Dict, List, Mapping, Optional, Sequence, Set, Tuple

from pex_assembler import modes, preinstalled
from pex_assembler.archive_paths import is_bytecode
from pex_assembler.errors import AssemblerError
from pex_assembler.wheels import CHUNK, Wheel, digests
from pex_assembler.zips import begin_entry, end_entry, unix_entry

# What zipimport reads without ZIP64, before CPython 3.13.
ZIPIMPORT_MAX_ENTRIES = 0xFFFF
ZIPIMPORT_MAX_BYTES = 2**31 - 1

# The entries pex writes from the PEX's hash; everything else in the skeleton is copied.
_HASHED_ENTRIES = ("__main__.py", "__pex__/__init__.py")
_PEX_OWNED = ("PEX-INFO", "__main__.py", "__pex__/", ".bootstrap/", ".deps/")


def code_hash(sources: Mapping[str, Path]) -> str:
    """pex's code hash of a chroot holding `sources`: names, then contents, in path order.

    Like pex, it leaves out bytecode and files whose name starts with a dot.
    """
    hashed = sorted(
        name
        for name in sources
        if not is_bytecode(name)
        and not posixpath.basename(name).startswith(".")
        and "__pycache__" not in name.split("/")[:-1]
    )
    digest = hashlib.sha1("".join(hashed).encode("utf-8"))
    for name in hashed:
        with sources[name].open("rb") as handle:
            for chunk in iter(lambda: handle.read(CHUNK), b""):
                digest.update(chunk)
    return digest.hexdigest()


def _pex_info(
    skeleton: Mapping[str, object],
    entry_point: Optional[str],
    sources: Mapping[str, Path],
    wheels: Sequence[Tuple[Wheel, str]],
    requirements: Optional[Sequence[str]] = None,
    script: Optional[str] = None,
) -> Tuple[bytes, str]:
    """PEX-INFO for the app, as pex dumps it, and the PEX hash pex derives from it. The
    requirements are each wheel's release unless given (a PEX for several targets)."""
    info = dict(skeleton)
    del info["pex_hash"]  # write_zipapp read it: the skeleton has one
    if entry_point:
        info["entry_point"] = entry_point
    if script:
        info["script"] = script
    info["code_hash"] = code_hash(sources)
    info["distributions"] = {wheel.filename: fingerprint for wheel, fingerprint in wheels}
    if requirements is None:
        requirements = sorted(
            {f"{wheel.project_name or wheel.name}=={wheel.version}" for wheel, _ in wheels}
        )
    info["requirements"] = list(requirements)
    pex_hash = hashlib.sha1(_dump(info)).hexdigest()
    info["pex_hash"] = pex_hash
    return _dump(info), pex_hash


def _dump(info: Mapping[str, object]) -> bytes:
    return json.dumps(info, sort_keys=True, separators=(",", ":")).encode("utf-8")


def _bad_skeleton(skeleton: Path, problem: str) -> AssemblerError:
    return AssemblerError(
        str(skeleton), problem, "pass the zipapp `pex-assembler skeleton` wrote for these options"
    )


def _rehash(data: bytes, old: str, new: str, where: str, skeleton: Path) -> bytes:
    if old.encode() not in data:
        raise _bad_skeleton(skeleton, f"has no PEX hash in its {where}")
    return data.replace(old.encode(), new.encode())


def _copy_range(source: BinaryIO, offset: int, length: int, destination: BinaryIO) -> None:
    """Copies `length` bytes at `offset`, in the kernel where it can."""
    destination.flush()
    try:
        while length:
            copied = os.copy_file_range(
                source.fileno(), destination.fileno(), length, offset_src=offset
            )
            if copied == 0:
                break
            offset, length = offset + copied, length - copied
    except (AttributeError, OSError):
        pass
    destination.seek(0, os.SEEK_END)
    if length:
        source.seek(offset)
        while length:
            chunk = source.read(min(length, CHUNK))
            if not chunk:
                raise AssemblerError(
                    source.name,
                    "ended before the size it had when the copy began",
                    "build again: something rewrote the file while the PEX was written",
                )
            destination.write(chunk)
            length -= len(chunk)


class _Writer:
    """Appends entries to a zip opened over a file that starts with the PEX's header."""

    def __init__(self, path: Path, compress: bool) -> None:
        self.archive = zipfile.ZipFile(path, "a")
        self.compression = zipfile.ZIP_DEFLATED if compress else zipfile.ZIP_STORED
        self.directories: Set[str] = set()

    def directory(self, name: str) -> None:
        """The entry of the directory `name` (ending in "/"), once."""
        if name in self.directories:
            return
        info = _entry(name)
        info.external_attr = modes.DIRECTORY_ATTRIBUTES
        self.archive.writestr(info, b"")
        self.directories.add(name)

    def parents(self, name: str) -> None:
        """The entries of the directories above `name`, outermost first."""
        parts = name.split("/")[:-1]
        for depth in range(1, len(parts) + 1):
            self.directory("/".join(parts[:depth]) + "/")

    def data(self, like: zipfile.ZipInfo, data: bytes) -> None:
        """A new content under the name, mode and compression of a skeleton entry."""
        self.parents(like.filename)
        info = _entry(like.filename)
        info.external_attr = like.external_attr
        self.archive.writestr(info, data, compress_type=like.compress_type)

    def file(self, name: str, path: Path) -> None:
        """A first-party file, copied in chunks: memory stays flat whatever its size."""
        self.parents(name)
        info = _entry(name)
        info.external_attr = modes.FILE_ATTRIBUTES
        info.compress_type = self.compression
        large = path.stat().st_size > zipfile.ZIP64_LIMIT
        with path.open("rb") as source, self.archive.open(info, "w", force_zip64=large) as target:
            shutil.copyfileobj(source, target, CHUNK)

    def raw(self, info: zipfile.ZipInfo, source: BinaryIO, offset: int) -> None:
        """An entry whose stored bytes, at `offset` in `source`, are copied as they are."""
        self.parents(info.filename)
        begin_entry(self.archive, info)
        _copy_range(source, offset, info.compress_size, self.archive.fp)
        end_entry(self.archive, info)

    def close(self) -> Tuple[int, int]:
        """Writes the central directory; returns the entry count and the file's size."""
        entries = len(self.archive.filelist)
        self.archive.close()
        return entries, os.path.getsize(self.archive.filename)


def _entry(name: str, like: Optional[zipfile.ZipInfo] = None) -> zipfile.ZipInfo:
    """A deterministic entry: pex's fixed date, Unix attributes, those of `like` if given."""
    info = unix_entry(name)
    if like is not None:
        info.external_attr, info.compress_type = like.external_attr, like.compress_type
        info.file_size, info.compress_size, info.CRC = like.file_size, like.compress_size, like.CRC
    return info


def _stored(name: str, size: int, crc: int) -> zipfile.ZipInfo:
    """The entry of a wheel file: stored as it is, as pex stores wheel files."""
    info = _entry(name)
    info.external_attr = modes.FILE_ATTRIBUTES
    info.compress_type = zipfile.ZIP_STORED
    info.file_size = info.compress_size = size
    info.CRC = crc
    return info


def check_zipimport(output: Path, count: int, size: int, zip64_importable: bool) -> None:
    """Fails for a zipapp the target's Python could not import."""
    if zip64_importable or (count <= ZIPIMPORT_MAX_ENTRIES and size <= ZIPIMPORT_MAX_BYTES):
        return
    raise AssemblerError(
        str(output),
        f"would be a zipapp of {count} entries and {size} bytes, which CPython before "
        "3.13 cannot import (zipimport reads no ZIP64 archives: at most 65535 entries and "
        "2 GiB)",
        'set layout = "packed" (or "loose"): each wheel stays a file of its own',
    )


def _data_offset(handle: BinaryIO, entry: zipfile.ZipInfo) -> int:
    """Where an entry's stored bytes start: after its local header, whose extra may differ."""
    handle.seek(entry.header_offset + 26)
    name_length, extra_length = (int.from_bytes(handle.read(2), "little") for _ in range(2))
    return entry.header_offset + 30 + name_length + extra_length


def _check_sources(sources: Mapping[str, Path]) -> None:
    for name in sources:
        if name in _PEX_OWNED or name.startswith(_PEX_OWNED[2:]):
            raise AssemblerError(
                name,
                "is a path the PEX itself uses (PEX-INFO, __main__.py, __pex__/, .bootstrap/, "
                ".deps/)",
                "move the file, or give it another import root",
            )


def _installed_form(
    installed: Mapping[str, preinstalled.Installed], wheel: Wheel
) -> preinstalled.Installed:
    found = installed.get(wheel.filename)
    if found is None:
        raise AssemblerError(
            wheel.filename,
            "is to be pre-installed, and no installed zip among the inputs holds it",
            "pass the zip `pex-assembler install-wheels` wrote for it (--installed)",
        )
    return found


def _copy_installed(writer: _Writer, wheel: preinstalled.Installed) -> None:
    with wheel.zip_path.open("rb") as source:
        for entry in wheel.entries:
            if entry.is_dir():
                writer.directory(entry.filename)
            else:
                writer.raw(_entry(entry.filename, entry), source, _data_offset(source, entry))


def write_zipapp(
    output: Path,
    skeleton: Path,
    entry_point: Optional[str],
    sources: Mapping[str, Path],
    wheels: Sequence[Wheel],
    zip64_importable: bool,
    compress: bool,
    staged: Path,
    requirements: Optional[Sequence[str]] = None,
    script: Optional[str] = None,
    installed: Optional[Mapping[str, preinstalled.Installed]] = None,
) -> None:
    """Writes the PEX at `staged` from `skeleton` and moves it to `output` in one rename.

    Given `installed` (a skeleton for pre-installed wheels), each wheel goes in as its
    entries there, installed as pex installs it, rather than as its `.whl` file.
    """
    _check_sources(sources)
    sources = {name: path for name, path in sources.items() if not is_bytecode(name)}
    fingerprinted: List[Tuple[Wheel, str, int]] = []
    for wheel in wheels:
        if installed is not None:
            fingerprint, crc = _installed_form(installed, wheel).fingerprint, 0
        elif wheel.fingerprint is None or wheel.crc32 is None:
            fingerprint, crc = digests(wheel.path)
        else:
            fingerprint, crc = wheel.fingerprint, wheel.crc32
        fingerprinted.append((wheel, fingerprint, crc))

    try:
        base = zipfile.ZipFile(skeleton)
    except (OSError, zipfile.BadZipFile) as exc:
        raise _bad_skeleton(skeleton, f"is not a zip archive ({exc})") from exc
    with base, skeleton.open("rb") as handle:
        entries = {e.filename: e for e in base.infolist()}
        try:
            skeleton_info = json.loads(base.read("PEX-INFO"))
            old_hash = skeleton_info["pex_hash"]
        except (KeyError, ValueError, TypeError, zipfile.BadZipFile) as exc:
            raise _bad_skeleton(skeleton, f"has no readable PEX-INFO ({exc})") from exc
        if not isinstance(old_hash, str) or not old_hash:
            raise _bad_skeleton(skeleton, "has no pex_hash in its PEX-INFO")
        pex_info, pex_hash = _pex_info(
            skeleton_info,
            entry_point,
            sources,
            [(w, f) for w, f, _ in fingerprinted],
            requirements,
            script,
        )
        first = min(e.header_offset for e in entries.values())
        handle.seek(0)
        header = handle.read(first)
        # A sh_boot header names the PEX's install directory, which holds the hash.
        staged.write_bytes(header.replace(old_hash.encode(), pex_hash.encode()))

        writer = _Writer(staged, compress)
        replaced: Dict[str, bytes] = {"PEX-INFO": pex_info}
        for name in _HASHED_ENTRIES:
            if name in entries:
                replaced[name] = _rehash(base.read(name), old_hash, pex_hash, name, skeleton)
        names = sorted([n for n, e in entries.items() if not e.is_dir()] + list(sources))
        for name in names:
            if name in replaced:
                writer.data(entries[name], replaced[name])
            elif name in sources:
                writer.file(name, sources[name])
            else:
                entry = entries[name]
                writer.raw(_entry(name, entry), handle, _data_offset(handle, entry))

    # The wheels last: each as one stored `.deps/` entry, the way pex stores wheel files, or
    # as the entries of its installed form.
    writer.directory(preinstalled.DEPS)
    if installed is not None:
        # In pex's order: by path.
        for filename in sorted(wheel.filename for wheel, _, _ in fingerprinted):
            _copy_installed(writer, installed[filename])
    else:
        for wheel, _, crc in fingerprinted:
            size = wheel.path.stat().st_size
            info = _stored(f"{preinstalled.DEPS}{wheel.filename}", size, crc)
            with wheel.path.open("rb") as source:
                writer.raw(info, source, 0)
    count, size = writer.close()
    check_zipimport(output, count, size, zip64_importable)
    os.chmod(staged, modes.EXECUTABLE)
    os.replace(staged, output)
