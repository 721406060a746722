"""Reads wheel files: their name, version, tags and requirements, without installing them."""

from __future__ import annotations

import base64
import contextlib
import hashlib
import json
import os
import stat
import struct
import time
import zipfile
import zlib
from dataclasses import dataclass, field
from email.message import Message
from email.parser import HeaderParser
from pathlib import Path
from typing import Any, Dict, FrozenSet, List, Mapping, Optional, Tuple

from packaging.tags import Tag
from packaging.utils import (
    InvalidWheelFilename,
    NormalizedName,
    canonicalize_name,
    parse_wheel_filename,
)
from packaging.version import InvalidVersion, Version

from pex_assembler import wheel_contents
from pex_assembler.archive_paths import unsafe_reason
from pex_assembler.errors import AssemblerError
from pex_assembler.wheel_contents import Contents


@dataclass(frozen=True)
class Wheel:
    """A wheel file and what its name and metadata say about it."""

    path: Path
    name: NormalizedName
    version: Version
    tags: FrozenSet[Tag]
    requires_dist: Tuple[str, ...]
    # sha256 of the file, the fingerprint pex's CLI gives a wheel file, and its CRC-32 (what
    # a zip entry records): known from the wheel's record, else None.
    fingerprint: Optional[str] = None
    crc32: Optional[int] = None
    # The project name as its METADATA spells it, e.g. "PyYAML".
    project_name: Optional[str] = None
    # Where its files and scripts install, for the target's file-system check.
    contents: Contents = field(default_factory=Contents)

    @property
    def filename(self) -> str:
        return self.path.name


# A wheel whose entries claim to unpack to more than this many times its own size, beyond
# the floor, is treated as a zip bomb: real wheels compress source and binaries ~2-10x.
_MAX_EXPANSION = 100
_EXPANSION_FLOOR = 64 * 1024 * 1024
# How much of a file is read at a time where it is only streamed through.
CHUNK = 1024 * 1024


def record_digest(digest: bytes) -> str:
    """A digest as RECORD writes it: URL-safe base64 without padding."""
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def _bad(path: Path, problem: str) -> AssemblerError:
    return AssemblerError(
        str(path),
        problem,
        "replace it with the wheel file exactly as its index serves it "
        "(re-download it and check its hash)",
    )


def _check_entries(archive: zipfile.ZipFile, path: Path) -> List[zipfile.ZipInfo]:
    entries = archive.infolist()
    size = path.stat().st_size
    seen = set()
    declared = 0
    for info in entries:
        reason = unsafe_reason(info.filename)
        if reason is None and not info.flag_bits & 0x800 and not info.filename.isascii():
            reason = "is not valid UTF-8 (the entry is not flagged as UTF-8)"
        if reason:
            raise AssemblerError(
                str(path),
                f"has the entry {info.filename!r}, which {reason}: installing it could write "
                "outside the install directory",
                "do not use this wheel; rebuild it from trusted sources",
            )
        if stat.S_ISLNK(info.external_attr >> 16):
            raise AssemblerError(
                str(path),
                f"has the entry {info.filename!r}, which is a symbolic link",
                "do not use this wheel; wheels hold regular files only",
            )
        if info.filename in seen:
            raise _bad(path, f"holds the entry {info.filename!r} twice")
        seen.add(info.filename)
        if info.compress_size > size:
            raise _bad(path, f"declares {info.filename!r} larger than the whole file: truncated?")
        declared += info.file_size
    if declared > max(_EXPANSION_FLOOR, _MAX_EXPANSION * size):
        raise AssemblerError(
            str(path),
            f"declares {declared} bytes of content in a {size}-byte file: a zip bomb",
            "do not use this wheel",
        )
    return entries


def _verify_record(archive: zipfile.ZipFile, dist_info: str, path: Path) -> None:
    record_name = f"{dist_info}/RECORD"
    try:
        text = archive.read(record_name).decode("utf-8")
    except KeyError as exc:
        raise _bad(path, f"has no {record_name}") from exc
    except UnicodeDecodeError as exc:
        raise _bad(path, f"has a {record_name} that is not UTF-8") from exc
    recorded = wheel_contents.read_record(path, record_name, text)
    exempt = {f"{dist_info}/{name}" for name in wheel_contents.RECORD_EXEMPT}
    for info in archive.infolist():
        if info.is_dir():
            continue
        name = info.filename
        if name in exempt:
            continue
        row = recorded.get(name)
        if row is None or not row[0]:
            raise _bad(path, f"has {name!r}, which its RECORD does not list with a hash")
        expected, size = row
        algorithm, _, digest = expected.partition("=")
        if algorithm not in ("sha256", "sha384", "sha512"):
            raise _bad(path, f"records {name!r} with the weak or unknown hash {algorithm!r}")
        hasher = hashlib.new(algorithm)
        with archive.open(info) as member:
            for chunk in iter(lambda: member.read(CHUNK), b""):
                hasher.update(chunk)
        actual = record_digest(hasher.digest())
        if actual != digest:
            raise _bad(
                path, f"has {name!r}, whose content does not match its RECORD hash: tampered"
            )
        if size and int(size) != info.file_size:
            raise _bad(path, f"has {name!r}, whose size does not match its RECORD: tampered")
    missing = sorted(set(recorded) - set(archive.namelist()))
    if missing:
        raise _bad(path, f"lists {missing[0]!r} in its RECORD but does not hold it")


def _parse_filename(path: Path) -> Tuple[NormalizedName, Version, FrozenSet[Tag]]:
    try:
        name, version, _, tags = parse_wheel_filename(path.name)
    except InvalidWheelFilename as exc:
        raise AssemblerError(
            str(path),
            f"is not named like a wheel ({exc})",
            "pass built wheels only (NAME-VERSION-PY-ABI-PLATFORM.whl); build sdists into "
            "wheels for the target first",
        ) from exc
    return name, version, tags


def read_contents(archive: zipfile.ZipFile, path: Path) -> Tuple[Message, Contents, str]:
    """The METADATA headers, the contents and the dist-info directory of the wheel open in
    `archive`, after checking its metadata, layout, WHEEL and entry points (not its RECORD)."""
    name, version, _ = _parse_filename(path)
    names = archive.namelist()
    dist_info = wheel_contents.dist_info_of(path, names)
    metadata = _headers(archive, f"{dist_info}/METADATA", path)
    meta_name = canonicalize_name(metadata.get("Name", ""))
    meta_version = metadata.get("Version", "")
    try:
        same_version = Version(meta_version) == version
    except InvalidVersion:
        same_version = False
    if meta_name != name or not same_version:
        raise _bad(
            path,
            f"is named {name} {version} but its METADATA says {meta_name} {meta_version}",
        )
    name_stem = "-".join(path.name.split("-")[:2])
    data_dir = wheel_contents.check_layout(path, names, dist_info, name_stem, name, version)
    wheel_file = _headers(archive, f"{dist_info}/WHEEL", path)
    wheel_contents.check_wheel_version(path, wheel_file)
    try:
        entry_points: Optional[bytes] = archive.read(f"{dist_info}/entry_points.txt")
    except KeyError:
        entry_points = None
    scripts = wheel_contents.entry_point_scripts(path, dist_info, entry_points)
    purelib = wheel_file.get("Root-Is-Purelib", "").strip().lower() == "true"
    files = wheel_contents.installed_files(names, data_dir, purelib)
    return metadata, Contents(files, scripts), dist_info


def requires_dist_of(path: Path) -> Tuple[str, ...]:
    """The Requires-Dist lines of the wheel at `path`, read from its METADATA alone: the
    wheel as a whole is checked by its own action (`check-wheel`) when a build uses it."""
    _parse_filename(path)
    try:
        with zipfile.ZipFile(path) as archive:
            dist_info = wheel_contents.dist_info_of(path, archive.namelist())
            metadata = _headers(archive, f"{dist_info}/METADATA", path)
    except (zipfile.BadZipFile, zlib.error, EOFError, ValueError, OSError) as exc:
        raise _bad(path, f"is not a readable zip archive ({exc})") from exc
    return tuple(metadata.get_all("Requires-Dist") or ())


def read_wheel(path: Path) -> Wheel:
    """Reads and checks the wheel at `path`; raises AssemblerError if it is not a sound wheel."""
    name, version, tags = _parse_filename(path)
    try:
        with path.open("rb") as handle:
            magic = handle.read(4)
        if magic[:2] == b"\x1f\x8b":
            raise AssemblerError(
                str(path),
                "is a gzip archive (an sdist?), not a wheel",
                "build the sdist into a wheel for the target and pass that wheel",
            )
        with zipfile.ZipFile(path) as archive:
            _check_entries(archive, path)
            metadata, contents, dist_info = read_contents(archive, path)
            _verify_record(archive, dist_info, path)
    except (
        zipfile.BadZipFile,
        zlib.error,
        EOFError,
        ValueError,
        NotImplementedError,
        RuntimeError,
        struct.error,
    ) as exc:
        raise _bad(path, f"is not a readable zip archive, or is truncated ({exc})") from exc
    except OSError as exc:
        raise _bad(path, f"cannot be read ({exc})") from exc
    return described(path, name, version, tags, metadata, contents)


def described(
    path: Path,
    name: NormalizedName,
    version: Version,
    tags: FrozenSet[Tag],
    metadata: Message,
    contents: Contents,
) -> Wheel:
    """The wheel at `path`, from its file name's parts, METADATA headers and contents."""
    return Wheel(
        path=path,
        name=name,
        version=version,
        tags=tags,
        requires_dist=tuple(metadata.get_all("Requires-Dist") or ()),
        project_name=metadata["Name"],  # present: both callers compared it with `name`
        contents=contents,
    )


def _headers(archive: zipfile.ZipFile, member: str, path: Path):
    try:
        raw = archive.read(member)
    except KeyError as exc:
        raise _bad(path, f"has no {member}") from exc
    return HeaderParser().parsestr(raw.decode("utf-8", errors="replace"))


def digests(path: Path) -> Tuple[str, int]:
    """The sha256 (the fingerprint pex's CLI gives a wheel file) and CRC-32 of a file, in one
    read."""
    hasher, crc = hashlib.sha256(), 0
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(CHUNK), b""):
            hasher.update(chunk)
            crc = zlib.crc32(chunk, crc)
    return hasher.hexdigest(), crc


def crc32_of(path: Path) -> int:
    crc = 0
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(CHUNK), b""):
            crc = zlib.crc32(chunk, crc)
    return crc


# A wheel record: what checking a wheel found, written once per wheel by its own (cached)
# Bazel action, so building a PEX does not check every wheel's content again.
RECORD_SUFFIX = ".crosspex.json"


def write_record(wheel: Wheel, output: Path) -> None:
    fingerprint, crc = digests(wheel.path)
    record = {
        "wheel": str(wheel.path),
        "size": wheel.path.stat().st_size,
        "requires_dist": list(wheel.requires_dist),
        "fingerprint": fingerprint,
        "crc32": crc,
        "project_name": wheel.project_name,
        "files": [list(f) for f in wheel.contents.files],
        "scripts": [list(s) for s in wheel.contents.scripts],
    }
    # Whole or not at all: a half-written record on a full disk would not even parse.
    staged = output.with_name(f".{output.name}.staged")
    try:
        # json.dumps writes ASCII: no encoding to choose.
        staged.write_text(json.dumps(record) + "\n")
        os.replace(staged, output)
    finally:
        with contextlib.suppress(OSError):  # gone after the rename; else the first error counts
            staged.unlink()


# CRC-32s this process computed, by the identity of the file they were computed from: a
# persistent worker binds an unchanged wheel once. Any rewrite changes the inode's ctime,
# which no user can set; but the kernel keeps it at a clock tick's grain, so, as git does
# with racily clean files, only an identity whose ctime has settled is remembered.
_BOUND: Dict[Tuple[int, int, int, int, int], int] = {}
SETTLED_NS = 2_000_000_000


def _bound_crc32(path: Path) -> int:
    """The file's CRC-32, computed once per settled identity of the file in this process."""
    status = path.stat()
    identity = (
        status.st_dev,
        status.st_ino,
        status.st_size,
        status.st_mtime_ns,
        status.st_ctime_ns,
    )
    crc = _BOUND.get(identity)
    if crc is None:
        crc = crc32_of(path)
        if time.time_ns() - status.st_ctime_ns > SETTLED_NS:
            _BOUND[identity] = crc
    return crc


def from_record(path: Path, record: Mapping[str, Any]) -> Wheel:
    """The wheel a record describes, if the record is of this very content; else a full read.

    The file's CRC-32 binds the record to it: zlib computes it at about twice the speed of
    any cryptographic hash, and it is what the PEX's zip entry will declare for the file.
    """
    try:
        if (
            record["wheel"] != str(path)
            or record["size"] != path.stat().st_size
            or _bound_crc32(path) != int(record["crc32"])
        ):
            return read_wheel(path)
        name, version, _, tags = parse_wheel_filename(path.name)
        files = tuple((str(scheme), str(file)) for scheme, file in record["files"])
        return Wheel(
            path=path,
            name=name,
            version=version,
            tags=tags,
            requires_dist=tuple(record["requires_dist"]),
            fingerprint=str(record["fingerprint"]),
            crc32=int(record["crc32"]),
            project_name=str(record["project_name"]),
            contents=Contents(files, tuple((str(n), str(v)) for n, v in record["scripts"])),
        )
    except (KeyError, TypeError, ValueError, InvalidWheelFilename, OSError):
        return read_wheel(path)
