"""Lock files as pinned, hash-checked wheels per target: requirements files, uv.lock,
pdm.lock and PEP 751 pylock.toml.

Each kind answers one question: which pinned requirements does a target with these marker
values need? A requirements file filters its lines by their markers; uv.lock is walked from
its project roots along the dependency edges whose markers hold; pdm.lock and pylock.toml
keep the packages (of pdm's default group) whose recorded marker holds. Only wheel hashes are
kept: crosspex never builds an sdist for the host. uv.lock and pylock.toml also give each
wheel's file name and URL.
"""

from __future__ import annotations

import posixpath
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Dict, List, Mapping, Optional, Sequence, Tuple
from urllib.parse import quote

from packaging.markers import InvalidMarker, Marker, UndefinedComparison
from packaging.requirements import InvalidRequirement, Requirement
from packaging.utils import canonicalize_name

from pex_assembler.errors import AssemblerError
from pex_assembler.index import IndexFile, filename_of
from pex_assembler.requirements import PinnedRequirement, read_requirements

if sys.version_info >= (3, 11):
    import tomllib
else:  # pex vendors tomli for the Pythons without tomllib
    from pex.third_party import tomli as tomllib


def _holds(marker: Optional[str], markers: Mapping[str, str], origin: str) -> bool:
    if not marker:
        return True
    try:
        return Marker(marker).evaluate({**markers, "extra": ""})
    except (InvalidMarker, UndefinedComparison) as exc:  # malformed, or e.g. os_name ~= 'nt'
        raise AssemblerError(origin, f"has the invalid marker {marker!r}", "fix the lock") from exc


def _pin(
    name: str,
    version: str,
    hashes: Sequence[str],
    origin: str,
    files: Sequence[IndexFile] = (),
) -> PinnedRequirement:
    if not hashes:
        # uv records no version for a source tree whose version is dynamic
        package = f"{name} {version}" if version else name
        raise AssemblerError(
            origin,
            f"has no wheel for {package}, only an sdist",
            "crosspex never builds sdists: publish or pin a version with wheels",
        )
    return PinnedRequirement(
        canonicalize_name(name),
        Requirement(f"{name}=={version}"),
        tuple(sorted(hashes)),
        tuple(sorted(files, key=lambda f: f.filename)),
    )


def _wheel_file(url: str, sha256: str) -> IndexFile:
    """A wheel a lock names by URL (a registry's, percent-encoded as it may be)."""
    return IndexFile(filename_of(url), url, sha256)


@dataclass
class RequirementsLock:
    requirements: List[PinnedRequirement]

    def requirements_for(self, markers: Mapping[str, str]) -> List[PinnedRequirement]:
        return [r for r in self.requirements if r.applies_to(markers)]


@dataclass
class _UvPackage:
    name: str
    version: str
    hashes: Tuple[str, ...]
    files: Tuple[IndexFile, ...]
    dependencies: List[Mapping[str, Any]]
    optional: Mapping[str, List[Mapping[str, Any]]]
    resolution_markers: List[str]
    root: bool


@dataclass
class UvLock:
    path: Path
    packages: Dict[str, List[_UvPackage]] = field(default_factory=dict)

    def _resolve(self, dependency: Mapping[str, Any], markers: Mapping[str, str]) -> _UvPackage:
        name = canonicalize_name(str(dependency.get("name", "")))
        candidates = self.packages.get(name, [])
        if "version" in dependency:
            candidates = [c for c in candidates if c.version == dependency["version"]]
        if len(candidates) > 1:
            candidates = [
                c
                for c in candidates
                if not c.resolution_markers
                or any(_holds(m, markers, str(self.path)) for m in c.resolution_markers)
            ]
        if len(candidates) != 1:
            raise AssemblerError(
                str(self.path),
                f"does not resolve {name} to one version for this target ({len(candidates)} found)",
                "run `uv lock` again",
            )
        return candidates[0]

    def requirements_for(self, markers: Mapping[str, str]) -> List[PinnedRequirement]:
        roots = [p for group in self.packages.values() for p in group if p.root]
        pending = [d for root in roots for d in root.dependencies]
        reached: Dict[Tuple[str, str], _UvPackage] = {}
        while pending:
            dependency = pending.pop()
            if not _holds(dependency.get("marker"), markers, str(self.path)):
                continue
            package = self._resolve(dependency, markers)
            extras = list(dependency.get("extra", []))
            key = (package.name, package.version)
            if key in reached and not extras:
                continue
            reached[key] = package
            pending.extend(package.dependencies)
            for extra in extras:
                pending.extend(package.optional.get(extra, []))
        return [
            _pin(p.name, p.version, p.hashes, str(self.path), p.files)
            for _, p in sorted(reached.items())
            if not p.root
        ]


def _read_uv(path: Path, data: Mapping[str, Any]) -> UvLock:
    lock = UvLock(path)
    for entry in data.get("package", []):
        source = entry.get("source", {})
        package = _UvPackage(
            name=canonicalize_name(entry["name"]),
            version=str(entry.get("version", "")),
            hashes=tuple(w["hash"] for w in entry.get("wheels", []) if "hash" in w),
            files=tuple(
                _wheel_file(w["url"], w["hash"].split(":", 1)[1])
                for w in entry.get("wheels", [])
                if str(w.get("hash", "")).startswith("sha256:") and "url" in w
            ),
            dependencies=list(entry.get("dependencies", [])),
            optional=dict(entry.get("optional-dependencies", {})),
            resolution_markers=list(entry.get("resolution-markers", [])),
            root="virtual" in source or "editable" in source,
        )
        lock.packages.setdefault(package.name, []).append(package)
    return lock


@dataclass
class MarkedLock:
    """pdm.lock's and pylock.toml's shape: packages, each with the marker that selects it."""

    path: Path
    packages: List[Tuple[PinnedRequirement, Optional[str]]]

    def requirements_for(self, markers: Mapping[str, str]) -> List[PinnedRequirement]:
        return [r for r, marker in self.packages if _holds(marker, markers, str(self.path))]


def _read_pdm(path: Path, data: Mapping[str, Any]) -> MarkedLock:
    packages = []
    for entry in data.get("package", []):
        if "default" not in entry.get("groups", ["default"]):
            continue
        hashes = [
            f["hash"]
            for f in entry.get("files", [])
            # a file name, or its URL in a lock made with --static-urls; str(None) is no wheel
            if str(f.get("file") or f.get("url")).endswith(".whl") and "hash" in f
        ]
        pinned = _pin(entry["name"], str(entry["version"]), hashes, str(path))
        packages.append((pinned, entry.get("marker")))
    return MarkedLock(path, packages)


def _pylock_wheel_name(wheel: Mapping[str, Any]) -> str:
    """The wheel's file name: given, or the last part of its url or path."""
    if wheel.get("name"):
        return str(wheel["name"])
    if wheel.get("url"):
        return filename_of(str(wheel["url"]))
    return posixpath.basename(str(wheel.get("path") or ""))


def _pylock_wheel_url(wheel: Mapping[str, Any], directory: Path) -> str:
    """The wheel's URL, or its path's (from the lock's directory) as a file: URL, made from
    text alone: the path may not be in the locale's encoding. "" if it has neither."""
    if wheel.get("url"):
        return str(wheel["url"])
    if not wheel.get("path"):
        return ""
    path = posixpath.join(str(directory), str(wheel.get("path") or ""))
    return "file://" + quote(posixpath.normpath(path))


def pylock_packages(
    path: Path, data: Optional[Mapping[str, Any]] = None
) -> List[Tuple[str, str, Optional[str], List[IndexFile]]]:
    """PEP 751: each package's name, version and marker, and its wheels that have a sha256
    (their names, and URLs or paths as URLs). A package may have none: only an sdist."""
    if data is None:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    packages = []
    for entry in data.get("packages", []):
        files = [
            IndexFile(_pylock_wheel_name(w), _pylock_wheel_url(w, path.parent), sha256)
            for w in entry.get("wheels", [])
            if (sha256 := w.get("hashes", {}).get("sha256"))
        ]
        packages.append((entry["name"], str(entry["version"]), entry.get("marker"), files))
    return packages


def _read_pylock(path: Path, data: Mapping[str, Any]) -> MarkedLock:
    packages = []
    for name, version, marker, listed in pylock_packages(path, data):
        files = [f for f in listed if f.url]  # a wheel to fetch needs a place
        hashes = [f"sha256:{f.sha256}" for f in files]
        packages.append((_pin(name, version, hashes, str(path), files), marker))
    return MarkedLock(path, packages)


def is_pylock(path: Path) -> bool:
    """PEP 751's names: pylock.toml, or pylock.NAME.toml."""
    return re.fullmatch(r"pylock(\.[^.]+)?\.toml", path.name) is not None


def read_lock(path: Path):
    """The lock at `path`, by its file name: uv.lock, pdm.lock, pylock.toml, or a
    requirements file."""
    if path.name not in ("uv.lock", "pdm.lock") and not is_pylock(path):
        return RequirementsLock(read_requirements(path))
    readers = {"uv.lock": _read_uv, "pdm.lock": _read_pdm}
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
        return readers.get(path.name, _read_pylock)(path, data)
    except (OSError, ValueError, KeyError, TypeError, InvalidRequirement) as exc:
        raise AssemblerError(
            str(path), f"is not a readable {path.name} ({exc})", "regenerate it with its tool"
        ) from exc
