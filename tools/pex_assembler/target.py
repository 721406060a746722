"""Describes the target a PEX is built for: compatible wheel tags and PEP 508 markers.

The description is pex's complete-platform form. It is computed from a small platform
spec (os, arch, libc or macOS version) plus the target Python version, or read from a
complete-platform JSON file, e.g. one written by `pex3 interpreter inspect --markers --tags`.
No interpreter of the target is ever run.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Dict, Iterable, List, Mapping, Optional, Sequence, Tuple

from packaging.tags import Tag, compatible_tags, cpython_tags, mac_platforms, parse_tag

from pex_assembler.errors import AssemblerError

# os -> (os_name, sys_platform, platform_system)
_OS_MARKERS = {
    "linux": ("posix", "linux", "Linux"),
    "macos": ("posix", "darwin", "Darwin"),
    "windows": ("nt", "win32", "Windows"),
}

# (os, arch) -> platform_machine as the target's own `platform.machine()` reports it
_MACHINES = {
    ("linux", "x86_64"): "x86_64",
    ("linux", "aarch64"): "aarch64",
    ("macos", "x86_64"): "x86_64",
    ("macos", "arm64"): "arm64",
    ("windows", "x86_64"): "AMD64",
    ("windows", "arm64"): "ARM64",
}

_WINDOWS_PLATFORMS = {"x86_64": ["win_amd64"], "arm64": ["win_arm64"]}

# manylinux_2_N wheels for these architectures start at glibc 2.17.
_MANYLINUX_MIN_GLIBC = {"x86_64": 5, "i686": 5}
_MANYLINUX_LEGACY = {17: "manylinux2014", 12: "manylinux2010", 5: "manylinux1"}


@dataclass(frozen=True)
class Target:
    """What the PEX must run on."""

    name: str
    tags: Tuple[Tag, ...]
    markers: Mapping[str, str]
    _ranks: Dict[Tag, int] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        ranks: Dict[Tag, int] = {}
        for place, tag in enumerate(self.tags):
            ranks.setdefault(tag, place)  # a complete platform may list a tag twice
        object.__setattr__(self, "_ranks", ranks)

    def accepts(self, tag: Tag) -> bool:
        return tag in self._ranks

    def rank(self, tags: Iterable[Tag]) -> Optional[int]:
        """The place of the most preferred of `tags` in the target's order; None if none fits."""
        return min((self._ranks[t] for t in tags if t in self._ranks), default=None)

    def to_complete_platform(self) -> Dict[str, Any]:
        return {
            "marker_environment": dict(sorted(self.markers.items())),
            "compatible_tags": [str(tag) for tag in self.tags],
        }

    @property
    def python_version(self) -> str:
        return self.markers.get("python_version", "")

    def describe(self) -> str:
        impl = self.markers.get("platform_python_implementation", "Python")
        return f"{self.name} ({impl} {self.python_version})"


def _parse_python_version(version: str) -> Tuple[int, int, str]:
    parts = version.split(".")
    if len(parts) not in (2, 3) or not all(p.isdigit() for p in parts):
        raise AssemblerError(
            f"python_version {version!r}",
            "is not a CPython version",
            'write it as MAJOR.MINOR or MAJOR.MINOR.PATCH, e.g. "3.11"',
        )
    full = version if len(parts) == 3 else version + ".0"
    return int(parts[0]), int(parts[1]), full


def _linux_platforms(arch: str, libc: str, libc_version: str) -> List[str]:
    major, _, minor = libc_version.partition(".")
    if not (major.isdigit() and minor.isdigit()):
        raise AssemblerError(
            f"libc_version {libc_version!r}", "is not MAJOR.MINOR", 'write it as e.g. "2.28"'
        )
    newest = int(minor)
    # As pip and packaging order them: a plain linux_ARCH wheel (built on such a host) first.
    platforms: List[str] = [f"linux_{arch}"]
    if libc == "glibc":
        if int(major) != 2:
            raise AssemblerError(
                f"libc_version {libc_version!r}", "is not a glibc 2.x version", 'use e.g. "2.28"'
            )
        oldest = _MANYLINUX_MIN_GLIBC.get(arch, 17)
        for glibc_minor in range(newest, oldest - 1, -1):
            platforms.append(f"manylinux_2_{glibc_minor}_{arch}")
            legacy = _MANYLINUX_LEGACY.get(glibc_minor)
            if legacy:
                platforms.append(f"{legacy}_{arch}")
    elif libc == "musl":
        for musl_minor in range(newest, -1, -1):
            platforms.append(f"musllinux_{major}_{musl_minor}_{arch}")
    else:
        raise AssemblerError(f"libc {libc!r}", "is not known", 'use "glibc" or "musl"')
    return platforms


def _given(spec: Mapping[str, str], key: str) -> str:
    """A value the spec must hold: the rules fill in their defaults, the assembler has none."""
    if not spec.get(key):
        raise AssemblerError(
            f"platform {spec.get('name', '?')!r} ({spec.get('os')}/{spec.get('arch')})",
            f"has no {key}",
            f"give its {key} (pex_target_toolchain fills in its default)",
        )
    return spec[key]


def platform_tags(spec: Mapping[str, str]) -> List[str]:
    """The wheel platform tags of a platform spec, most specific first."""
    os_, arch = spec.get("os", ""), spec.get("arch", "")
    if (os_, arch) not in _MACHINES:
        raise AssemblerError(
            f"platform {spec.get('name', '?')!r} ({os_}/{arch})",
            "has no built-in wheel tags",
            "give the rule a complete_platform JSON file (pex3 interpreter inspect "
            "--markers --tags) or register a toolchain for a supported os/arch",
        )
    if os_ == "linux":
        return _linux_platforms(arch, _given(spec, "libc"), _given(spec, "libc_version"))
    if os_ == "macos":
        os_version = _given(spec, "os_version")
        major, _, minor = os_version.partition(".")
        if not (major.isdigit() and (minor.isdigit() or not minor)):
            raise AssemblerError(
                f"os_version {os_version!r}", "is not a macOS version", 'write it as e.g. "14.0"'
            )
        tags = list(mac_platforms((int(major), int(minor or 0)), arch))
        if not tags:
            # packaging would then describe the host instead (no platforms means its own).
            raise AssemblerError(
                f"os_version {os_version!r}",
                f"is older than any macOS with {arch} wheels",
                'set the oldest macOS the PEX must run on, e.g. "11.0"',
            )
        return tags
    return list(_WINDOWS_PLATFORMS[arch])


def _unique(tags: Sequence[Tag]) -> List[Tag]:
    """The tags in their order of preference, each once."""
    return list(dict.fromkeys(tags))


def from_spec(spec: Mapping[str, str], python_version: str) -> Target:
    """The target for a platform spec (name, os, arch, ...) and a CPython version."""
    major, minor, full = _parse_python_version(python_version)
    platforms = platform_tags(spec)
    interpreter = f"cp{major}{minor}"
    tags = _unique(
        [
            *cpython_tags((major, minor), [interpreter], platforms),
            *compatible_tags((major, minor), interpreter, platforms),
        ]
    )
    os_name, sys_platform, platform_system = _OS_MARKERS[spec["os"]]
    markers = {
        "implementation_name": "cpython",
        "implementation_version": full,
        "os_name": os_name,
        "platform_machine": _MACHINES[(spec["os"], spec["arch"])],
        "platform_python_implementation": "CPython",
        "platform_release": spec.get("platform_release", ""),
        "platform_system": platform_system,
        "platform_version": spec.get("platform_version", ""),
        "python_full_version": full,
        "python_version": f"{major}.{minor}",
        "sys_platform": sys_platform,
    }
    return Target(
        name=spec.get("name", f"{spec['os']}_{spec['arch']}"), tags=tuple(tags), markers=markers
    )


def from_complete_platform(path: Path, name: str) -> Target:
    """The target described by a pex complete-platform JSON file, named `name` or, if that
    is empty, after the file."""
    try:
        data = json.loads(path.read_bytes())
        markers = data["marker_environment"]
        raw_tags: Sequence[str] = data["compatible_tags"]
        tags = _unique([t for raw in raw_tags for t in parse_tag(raw)])
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise AssemblerError(
            str(path),
            f"is not a complete-platform JSON file ({exc})",
            'it must hold {"marker_environment": {...}, "compatible_tags": [...]}, as '
            "`pex3 interpreter inspect --markers --tags` writes",
        ) from exc
    if not isinstance(markers, dict):
        raise AssemblerError(
            str(path),
            "has a marker_environment that is not an object",
            "regenerate it with pex3 interpreter inspect --markers --tags",
        )
    if not tags:
        raise AssemblerError(
            str(path), "lists no compatible tags", "regenerate it with pex3 interpreter inspect"
        )
    return Target(
        name=name or path.stem,
        tags=tuple(tags),
        markers={str(k): str(v) for k, v in markers.items()},
    )
