"""One PEX for several targets, as `pex --platform A --platform B` writes it: each target's
inputs are checked as for a PEX of its own, then merged. First-party files must be the same
for every target; each wheel is embedded once; and the PEX's requirements carry markers, so
that pex, when the PEX boots, takes each target's own wheels and no other's.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Dict, List, Mapping, Sequence, Tuple

from pex_assembler.errors import AssemblerError
from pex_assembler.index import sha256_of
from pex_assembler.target import Target
from pex_assembler.wheels import Wheel

# What pex's runtime tells the targets of one PEX apart by: the markers of its interpreter.
_MARKERS = ("python_version", "sys_platform", "platform_machine")


@dataclass(frozen=True)
class Chosen:
    """What one target takes: its first-party files (archive path -> file) and wheels."""

    key: str
    target: Target
    sources: Mapping[str, Path]
    wheels: Sequence[Wheel]


def same_sources(chosen: Sequence[Chosen]) -> Dict[str, Path]:
    """The first-party files, which every target must have alike (by content: a generated
    file lives in each configuration's own output directory)."""
    first = chosen[0]
    digests = {name: sha256_of(path) for name, path in first.sources.items()}
    for other in chosen[1:]:
        for name in sorted(set(first.sources) | set(other.sources)):
            if name not in other.sources or name not in first.sources:
                has, lacks = (first, other) if name in first.sources else (other, first)
                problem = f"is in the PEX for {has.key} but not in the one for {lacks.key}"
            elif sha256_of(other.sources[name]) != digests[name]:
                problem = f"differs between the PEX for {first.key} and the one for {other.key}"
            else:
                continue
            raise AssemblerError(
                name,
                problem + ": a PEX for several platforms holds one copy of its own files",
                "make the file the same for every platform (a select() in srcs or a "
                "py_library's deps), or build one PEX per platform (py_pex_cross_binaries)",
            )
    return dict(first.sources)


def best_fitting(offered: Sequence[Wheel], target: Target, key: str) -> List[Wheel]:
    """Of wheels offered to several targets (complete platforms share one set of deps), the
    one of each project that fits `target` best, as pex picks from a --find-links directory."""
    # By file name: one file built for several targets is the same wheel (union_of_wheels
    # checks that the files agree).
    by_project: Dict[str, Dict[str, Wheel]] = {}
    for wheel in offered:
        by_project.setdefault(wheel.name, {}).setdefault(wheel.filename, wheel)
    chosen = []
    for project in sorted(by_project):
        ranked = sorted(
            (rank, filename, wheel)
            for filename, wheel in by_project[project].items()
            for rank in [target.rank(wheel.tags)]
            if rank is not None
        )
        files = ", ".join(sorted(by_project[project]))
        if not ranked:
            raise AssemblerError(
                project,
                f"has no wheel for {target.describe()} among the deps' {files}",
                f"add a {project} wheel built for {key} to deps, or drop {key} from "
                "complete_platforms",
            )
        if len(ranked) > 1 and ranked[0][0] == ranked[1][0]:
            raise AssemblerError(
                project,
                f"has two wheels that fit {key} alike: {ranked[0][1]} and {ranked[1][1]}",
                f"keep one {project} wheel for it in deps",
            )
        chosen.append(ranked[0][2])
    return chosen


def check_pool(offered: Sequence[Wheel], targets: Sequence[Target]) -> None:
    """Fails for a wheel offered to several targets that fits none of them."""
    for wheel in offered:
        if not any(t.rank(wheel.tags) is not None for t in targets):
            raise AssemblerError(
                str(wheel.path),
                "fits none of the complete platforms ("
                + ", ".join(t.name for t in targets)
                + f"): its tags are {', '.join(sorted(str(t) for t in wheel.tags))}",
                "drop it from deps, or list the complete platform it is built for",
            )


def _fingerprint(wheel: Wheel) -> str:
    return wheel.fingerprint or sha256_of(wheel.path)


def union_of_wheels(chosen: Sequence[Chosen]) -> List[Wheel]:
    """Every target's wheels, each file once, by name."""
    union: Dict[str, Tuple[Wheel, str]] = {}
    for each in chosen:
        for wheel in each.wheels:
            seen = union.get(wheel.filename)
            if seen is None:
                union[wheel.filename] = (wheel, each.key)
            elif _fingerprint(seen[0]) != _fingerprint(wheel):
                raise AssemblerError(
                    wheel.filename,
                    f"is two different files for {seen[1]} and {each.key}",
                    "take one wheel file for both from one repository (a lock pins one hash)",
                )
    return [union[name][0] for name in sorted(union)]


def _pin(wheel: Wheel) -> str:
    return f"{wheel.project_name or wheel.name}=={wheel.version}"


def _marker(target: Target) -> str:
    return " and ".join(f'{name} == "{target.markers.get(name, "")}"' for name in _MARKERS)


def requirements(chosen: Sequence[Chosen]) -> List[str]:
    """Each project and version some target takes, pinned; with a marker naming the targets
    that take it where not all do. Targets pex cannot tell apart at boot (the same Python,
    OS and machine: glibc and musl, two macOS versions) must take the same releases."""
    alike: Dict[str, Tuple[str, frozenset]] = {}
    takes: Dict[str, List[str]] = {}
    for each in chosen:
        marker = _marker(each.target)
        pins = frozenset(_pin(w) for w in each.wheels)
        if marker in alike and alike[marker][1] != pins:
            other = alike[marker][0]
            differ = sorted(alike[marker][1] ^ pins)
            raise AssemblerError(
                f"{other} and {each.key}",
                "look alike to pex when the PEX boots (the same "
                f"{', '.join(_MARKERS)}) but take different releases: {', '.join(differ)}",
                "pin the same versions for both, or build one PEX for each",
            )
        alike.setdefault(marker, (each.key, pins))
        for pin in pins:
            takes.setdefault(pin, [])
            if marker not in takes[pin]:
                takes[pin].append(marker)
    pinned = []
    for pin in sorted(takes, key=str.lower):
        markers = takes[pin]
        if len(markers) == len(alike):
            pinned.append(pin)
        else:
            pinned.append(f"{pin}; " + " or ".join(f"({m})" for m in markers))
    return pinned
