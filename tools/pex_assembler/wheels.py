"""Reads wheel files: their name, version, tags and requirements, without installing them."""

from __future__ import annotations

import zipfile
from dataclasses import dataclass
from email.parser import HeaderParser
from pathlib import Path
from typing import FrozenSet, Tuple

from packaging.tags import Tag
from packaging.utils import (
    InvalidWheelFilename,
    NormalizedName,
    canonicalize_name,
    parse_wheel_filename,
)
from packaging.version import InvalidVersion, Version

from pex_assembler.errors import AssemblerError


@dataclass(frozen=True)
class Wheel:
    """A wheel file and what its name and metadata say about it."""

    path: Path
    name: NormalizedName
    version: Version
    tags: FrozenSet[Tag]
    requires_dist: Tuple[str, ...]

    @property
    def filename(self) -> str:
        return self.path.name

    @property
    def project(self) -> str:
        return f"{self.name} {self.version}"


def _bad(path: Path, problem: str) -> AssemblerError:
    return AssemblerError(
        str(path),
        problem,
        "replace it with the wheel file exactly as its index serves it "
        "(re-download it and check its hash)",
    )


def read_wheel(path: Path) -> Wheel:
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
        with zipfile.ZipFile(path) as archive:
            names = archive.namelist()
            dist_infos = {
                n.split("/", 1)[0] for n in names if n.split("/", 1)[0].endswith(".dist-info")
            }
            if len(dist_infos) != 1:
                raise _bad(path, f"holds {len(dist_infos)} .dist-info directories, not one")
            dist_info = dist_infos.pop()
            metadata = _headers(archive, f"{dist_info}/METADATA", path)
            _headers(archive, f"{dist_info}/WHEEL", path)
    except zipfile.BadZipFile as exc:
        raise _bad(path, f"is not a readable zip archive ({exc})") from exc
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
    return Wheel(
        path=path,
        name=name,
        version=version,
        tags=tags,
        requires_dist=tuple(metadata.get_all("Requires-Dist") or ()),
    )


def _headers(archive: zipfile.ZipFile, member: str, path: Path):
    try:
        raw = archive.read(member)
    except KeyError as exc:
        raise _bad(path, f"has no {member}") from exc
    return HeaderParser().parsestr(raw.decode("utf-8", errors="replace"))
