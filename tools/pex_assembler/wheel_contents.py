"""What a wheel may hold, checked whole before pex or pypa/installer reads it.

One `.dist-info` of the wheel's own name and version; a `Wheel-Version` this reader knows; a
`.data` directory of known schemes only, and nothing else that starts like it; a strict
RECORD; entry points whose script names are plain file names; no path that is both a file and
a directory; no component longer than a file system holds. pip is the yardstick for what is
legal; where this is stricter (docs/troubleshooting.md says where), pip's own installer or
pex would crash, loop or write outside their root on the same input.
"""

from __future__ import annotations

import configparser
import csv
import io
import re
from dataclasses import dataclass
from email.message import Message
from pathlib import Path
from typing import Dict, Iterable, List, Optional, Set, Tuple

from packaging.utils import canonicalize_name
from packaging.version import InvalidVersion, Version

from pex_assembler import filesystems
from pex_assembler.errors import AssemblerError

SCHEMES = ("purelib", "platlib", "headers", "scripts", "data")
RECORD_EXEMPT = ("RECORD", "RECORD.jws", "RECORD.p7s")
# What an entry point's value must look like: `module:attr`, optionally with extras.
_ENTRY_POINT_VALUE = re.compile(r"^[\w.]+\s*:\s*[\w.]+\s*(\[.*\])?\s*$")
_SCRIPT_SECTIONS = ("console_scripts", "gui_scripts")
# No wheel may hold a name longer than Linux and macOS hold, whatever its target.
MAX_COMPONENT_BYTES = filesystems.MAX_NAME


@dataclass(frozen=True)
class Contents:
    """Where a wheel's files install: (scheme, path within it), and its entry-point scripts."""

    files: Tuple[Tuple[str, str], ...] = ()
    # Each console and GUI script: its name, and the `module:attr` it runs.
    scripts: Tuple[Tuple[str, str], ...] = ()


def problem(path: Path, text: str, expected: str) -> AssemblerError:
    """The error for a wheel that breaks the format: what was found and what a reader expects."""
    return AssemblerError(
        str(path),
        f"{text}; {expected}",
        "do not use this wheel: rebuild it with a standard wheel builder, or take the project's "
        "released wheel",
    )


def plain_name_problem(name: str) -> Optional[str]:
    """Why `name` cannot be one file's name in a directory, on any OS; None if it can."""
    if not name.strip():
        return "is empty"
    if name in (".", ".."):
        return "is '.' or '..'"
    if "/" in name or "\\" in name:
        return "holds a path separator"
    if any(ord(c) < 0x20 or ord(c) == 0x7F for c in name):
        return "holds a control character"
    if any(0xD800 <= ord(c) <= 0xDFFF for c in name):
        return "is not valid UTF-8"
    if len(name.encode("utf-8")) > MAX_COMPONENT_BYTES:
        return f"is longer than {MAX_COMPONENT_BYTES} bytes"
    return None


def check_wheel_version(path: Path, wheel: Message) -> None:
    version = wheel.get("Wheel-Version")
    if version is None:
        raise problem(path, "has a WHEEL file without Wheel-Version", "a reader expects 1.x")
    if not re.fullmatch(r"1\.\d+", version.strip()):
        raise problem(
            path,
            f"has Wheel-Version {version.strip()!r}",
            "this reader knows 1.x and must refuse other major versions",
        )


def dist_info_of(path: Path, names: Iterable[str]) -> str:
    """The wheel's one `.dist-info` directory, among its entry `names`."""
    tops = {n.split("/")[0] for n in names}
    dist_infos = sorted(t for t in tops if t.endswith(".dist-info"))
    if len(dist_infos) != 1:
        raise problem(
            path, f"holds {len(dist_infos)} .dist-info directories", "a wheel holds exactly one"
        )
    return dist_infos[0]


def check_layout(
    path: Path, names: List[str], dist_info: str, name_stem: str, name: str, version: Version
) -> str:
    """The wheel's data directory name, after checking its top level: the dist-info directory
    `dist_info` is the wheel's own, and only the data directory starts like it or like
    `name_stem`, `NAME-VERSION` as the file name spells it."""
    stem = dist_info[: -len(".dist-info")]
    info_name, _, info_version = stem.rpartition("-")
    try:
        same = canonicalize_name(info_name) == name and Version(info_version) == version
    except InvalidVersion:
        same = False
    if not same:
        raise problem(
            path,
            f"has the metadata directory {dist_info!r}",
            f"a wheel of {name} {version} names it {name_stem}.dist-info",
        )
    # Named after the dist-info directory, as pip and pex find it; a name that starts like it
    # or like the file name's spelling (pypa/installer's) loops that installer.
    data_dir = f"{stem}.data"
    files = [n for n in names if not n.endswith("/")]
    for member in files:
        parts = member.split("/")
        if not member.startswith((data_dir, f"{name_stem}.data")):
            continue
        if parts[0] != data_dir:
            raise problem(
                path,
                f"has {member!r}, which starts like its data directory but is not in it",
                f"a wheel keeps installed data in {data_dir}/<scheme>/",
            )
        if len(parts) < 3 or parts[1] not in SCHEMES:
            raise problem(
                path,
                f"has {member!r}, which is in no scheme of its data directory",
                f"files there sit in {data_dir}/<scheme>/, a scheme one of {', '.join(SCHEMES)}",
            )
    _check_files_and_directories(path, files)
    return data_dir


def _check_files_and_directories(path: Path, files: List[str]) -> None:
    as_files = set(files)
    for member in files:
        for component in member.split("/"):
            if len(component.encode("utf-8")) > MAX_COMPONENT_BYTES:
                raise problem(
                    path,
                    f"has {member!r}, whose name {component[:40]!r}... is longer than "
                    f"{MAX_COMPONENT_BYTES} bytes",
                    "no file system crosspex targets holds such a name",
                )
        parent = member.rpartition("/")[0]
        while parent:
            if parent in as_files:
                raise problem(
                    path,
                    f"has {parent!r} both as a file and as the directory of {member!r}",
                    "a path is a file or a directory, not both",
                )
            parent = parent.rpartition("/")[0]


def read_record(path: Path, record_name: str, text: str) -> Dict[str, Tuple[str, str]]:
    """RECORD's rows, path -> (hash, size), each row checked as pip's installer reads it."""
    rows: Dict[str, Tuple[str, str]] = {}
    try:
        for number, row in enumerate(csv.reader(io.StringIO(text, newline="")), start=1):
            if len(row) != 3:
                raise problem(
                    path,
                    f"has line {number} of {record_name} with {len(row)} fields",
                    "each line is path,hash,size",
                )
            member, digest, size = row
            if not member or (size and not size.isdigit()) or (digest and "=" not in digest):
                raise problem(
                    path,
                    f"has line {number} of {record_name}, {','.join(row)[:80]!r}, out of form",
                    "each line is path,algorithm=digest,size in bytes",
                )
            if member in rows:
                raise problem(path, f"lists {member!r} twice in {record_name}", "each path once")
            rows[member] = (digest, size)
    except csv.Error as exc:
        raise problem(
            path, f"has a {record_name} that is not CSV ({exc})", "each line is path,hash,size"
        ) from exc
    return rows


_ENTRY_POINTS_FORM = "an INI file of [section] and name = module:attr lines, each name once"


def entry_point_scripts(
    path: Path, dist_info: str, raw: Optional[bytes]
) -> Tuple[Tuple[str, str], ...]:
    """The console and gui scripts of `entry_points.txt` (`raw`, None if absent): each name
    and the `module:attr` it runs."""
    if raw is None:
        return ()
    where = f"{dist_info}/entry_points.txt"
    try:
        parser = configparser.ConfigParser(delimiters=("=",), interpolation=None, strict=True)
        parser.optionxform = str  # type: ignore[assignment,method-assign]
        parser.read_string(raw.decode("utf-8"))
    except UnicodeDecodeError as exc:
        raise problem(path, f"has a {where} that is not UTF-8", _ENTRY_POINTS_FORM) from exc
    except configparser.Error as exc:
        raise problem(
            path,
            f"has a {where} that does not parse ({str(exc).splitlines()[0]})",
            _ENTRY_POINTS_FORM,
        ) from exc
    scripts: List[Tuple[str, str]] = []
    seen: Set[str] = set()
    for section in _SCRIPT_SECTIONS:
        if not parser.has_section(section):
            continue
        for script, value in parser.items(section):
            reason = plain_name_problem(script)
            if reason:
                raise problem(
                    path,
                    f"names the script {script!r} in {where}, which {reason}",
                    "a script's name is one plain file name",
                )
            if not _ENTRY_POINT_VALUE.match(value):
                raise problem(
                    path,
                    f"points the script {script!r} in {where} at {value!r}",
                    "an entry point's value is module:attr",
                )
            if script in seen:
                raise problem(
                    path, f"names the script {script!r} twice in {where}", "each script once"
                )
            seen.add(script)
            # What it runs, as pex's entry point: without extras or spaces.
            scripts.append((script, "".join(value.split("[", 1)[0].split())))
    return tuple(scripts)


def installed_files(
    names: Iterable[str], data_dir: str, root_is_purelib: bool
) -> Tuple[Tuple[str, str], ...]:
    """Where each file of the wheel installs: (scheme, path within the scheme)."""
    root = "purelib" if root_is_purelib else "platlib"
    placed = []
    for member in names:
        if member.endswith("/"):
            continue
        if member.startswith(data_dir + "/"):
            _, scheme, rest = member.split("/", 2)
            placed.append((scheme, rest))
        else:
            placed.append((root, member))
    return tuple(sorted(placed))
