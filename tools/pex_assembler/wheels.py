"""Reads wheel files: their name, version, tags and requirements, without installing them."""

from __future__ import annotations

import base64
import csv
import hashlib
import io
import json
import stat
import struct
import zipfile
import zlib
from dataclasses import dataclass
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

from pex_assembler.archive_paths import unsafe_reason
from pex_assembler.errors import AssemblerError


@dataclass(frozen=True)
class Wheel:
    """A wheel file and what its name and metadata say about it."""

    path: Path
    name: NormalizedName
    version: Version
    tags: FrozenSet[Tag]
    requires_dist: Tuple[str, ...]
    # sha1 of the file, as pex fingerprints wheel files, and its CRC-32 (what a zip entry
    # records): known from the wheel's record, else None.
    fingerprint: Optional[str] = None
    crc32: Optional[int] = None
    # The project name as its METADATA spells it, e.g. "PyYAML".
    project_name: Optional[str] = None

    @property
    def filename(self) -> str:
        return self.path.name


# A wheel whose entries claim to unpack to more than this many times its own size, beyond
# the floor, is treated as a zip bomb: real wheels compress source and binaries ~2-10x.
_MAX_EXPANSION = 100
_EXPANSION_FLOOR = 64 * 1024 * 1024
_CHUNK = 1024 * 1024
_RECORD_EXEMPT = ("RECORD", "RECORD.jws", "RECORD.p7s")


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
        rows = list(csv.reader(io.StringIO(archive.read(record_name).decode("utf-8"))))
    except KeyError as exc:
        raise _bad(path, f"has no {record_name}") from exc
    except UnicodeDecodeError as exc:
        raise _bad(path, f"has a {record_name} that is not UTF-8") from exc
    recorded: Dict[str, str] = {}
    for row in rows:
        if row and row[0]:
            recorded[row[0]] = row[1] if len(row) > 1 else ""
    for info in archive.infolist():
        if info.is_dir():
            continue
        name = info.filename
        if name.startswith(dist_info + "/") and name[len(dist_info) + 1 :] in _RECORD_EXEMPT:
            continue
        expected = recorded.get(name)
        if not expected:
            raise _bad(path, f"has {name!r}, which its RECORD does not list with a hash")
        algorithm, _, digest = expected.partition("=")
        if algorithm not in ("sha256", "sha384", "sha512"):
            raise _bad(path, f"records {name!r} with the weak or unknown hash {algorithm!r}")
        hasher = hashlib.new(algorithm)
        with archive.open(info) as member:
            for chunk in iter(lambda: member.read(_CHUNK), b""):
                hasher.update(chunk)
        actual = record_digest(hasher.digest())
        if actual != digest:
            raise _bad(
                path, f"has {name!r}, whose content does not match its RECORD hash: tampered"
            )
    missing = sorted(set(recorded) - set(archive.namelist()))
    if missing:
        raise _bad(path, f"lists {missing[0]!r} in its RECORD but does not hold it")


def read_wheel(path: Path, verify_record: bool = True) -> Wheel:
    """Reads and checks the wheel at `path`; raises AssemblerError if it is not a sound wheel."""
    try:
        name, version, _, tags = parse_wheel_filename(path.name)
    except InvalidWheelFilename as exc:
        raise AssemblerError(
            str(path),
            f"is not named like a wheel ({exc})",
            "pass built wheels only (NAME-VERSION-PY-ABI-PLATFORM.whl); build sdists into "
            "wheels for the target first",
        ) from exc
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
            entries = _check_entries(archive, path)
            dist_infos = {
                e.filename.split("/", 1)[0]
                for e in entries
                if e.filename.split("/", 1)[0].endswith(".dist-info")
            }
            if len(dist_infos) != 1:
                raise _bad(path, f"holds {len(dist_infos)} .dist-info directories, not one")
            dist_info = dist_infos.pop()
            metadata = _headers(archive, f"{dist_info}/METADATA", path)
            _headers(archive, f"{dist_info}/WHEEL", path)
            if verify_record:
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
    return described(path, name, version, tags, metadata)


def described(
    path: Path, name: NormalizedName, version: Version, tags: FrozenSet[Tag], metadata: Message
) -> Wheel:
    """The wheel at `path`, from its file name's parts and its METADATA headers."""
    return Wheel(
        path=path,
        name=name,
        version=version,
        tags=tags,
        requires_dist=tuple(metadata.get_all("Requires-Dist") or ()),
        project_name=metadata.get("Name", name),
    )


def _headers(archive: zipfile.ZipFile, member: str, path: Path):
    try:
        raw = archive.read(member)
    except KeyError as exc:
        raise _bad(path, f"has no {member}") from exc
    return HeaderParser().parsestr(raw.decode("utf-8", errors="replace"))


def digests(path: Path) -> Tuple[str, int]:
    """The sha1 (pex's fingerprint) and CRC-32 of a file, in one read."""
    hasher, crc = hashlib.sha1(), 0
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(_CHUNK), b""):
            hasher.update(chunk)
            crc = zlib.crc32(chunk, crc)
    return hasher.hexdigest(), crc


# A wheel record: what checking a wheel found, written once per wheel by its own (cached)
# Bazel action, so building a PEX does not read every wheel's content again.
RECORD_SUFFIX = ".crosspex.json"


def write_record(wheel: Wheel, output: Path) -> None:
    sha1, crc = digests(wheel.path)
    record = {
        "wheel": str(wheel.path),
        "size": wheel.path.stat().st_size,
        "name": wheel.name,
        "version": str(wheel.version),
        "tags": sorted(str(t) for t in wheel.tags),
        "requires_dist": list(wheel.requires_dist),
        "fingerprint": sha1,
        "crc32": crc,
        "project_name": wheel.project_name,
    }
    output.write_text(json.dumps(record, indent=1, sort_keys=True) + "\n", encoding="utf-8")


def from_record(path: Path, record: Mapping[str, Any]) -> Wheel:
    """The wheel a record describes, if the record is of this very file; else a full read."""
    try:
        if record["wheel"] != str(path) or record["size"] != path.stat().st_size:
            return read_wheel(path)
        name, version, _, tags = parse_wheel_filename(path.name)
        return Wheel(
            path=path,
            name=name,
            version=version,
            tags=tags,
            requires_dist=tuple(record["requires_dist"]),
            fingerprint=str(record["fingerprint"]),
            crc32=int(record["crc32"]),
            project_name=str(record["project_name"]),
        )
    except (KeyError, TypeError, InvalidWheelFilename, OSError):
        return read_wheel(path)
