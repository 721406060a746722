"""Sorts the assembler's input files into first-party files, wheels and installed trees.

Bazel hands over everything a PEX depends on as files keyed by their runfiles path.
A `.whl` file is a wheel. A directory on the import path that holds `*.dist-info`
directories (rules_python's `site-packages`, pycross' installed wheels) is a tree of
installed distributions, which go into the PEX as distributions rather than loose files.
Everything else is first-party: it goes in at its path below the longest import root.
"""

from __future__ import annotations

import posixpath
from dataclasses import dataclass, field
from pathlib import Path
from typing import Dict, Iterable, List, Sequence, Set, Tuple

from pex_assembler.archive_paths import unsafe_reason
from pex_assembler.errors import AssemblerError
from pex_assembler.manifest import InputFile
from pex_assembler.wheels import RECORD_SUFFIX


@dataclass
class InstalledTree:
    """A site-packages-like directory: its files keyed by their path below it."""

    root: str
    files: Dict[str, Path] = field(default_factory=dict)

    def dist_info_dirs(self) -> List[str]:
        return sorted(
            {p.split("/", 1)[0] for p in self.files if p.split("/", 1)[0].endswith(".dist-info")}
        )


@dataclass
class SortedInputs:
    sources: Dict[str, Path] = field(default_factory=dict)
    wheels: List[Path] = field(default_factory=list)
    trees: Dict[str, InstalledTree] = field(default_factory=dict)
    wheel_records: List[Path] = field(default_factory=list)


def check_archive_path(archive_path: str, origin: str) -> str:
    """Rejects archive paths that would land outside the PEX or differ by platform."""
    reason = unsafe_reason(archive_path)
    if reason:
        raise AssemblerError(
            origin,
            f"would be written at {archive_path!r}, which {reason}",
            "give it a relative archive path made of plain names separated by '/'",
        )
    return archive_path


def _root_of(path: str, roots: Sequence[str]) -> str:
    for root in roots:
        if path.startswith(root + "/"):
            return root
    return path.split("/", 1)[0]


def sort_inputs(inputs: Iterable[InputFile], import_roots: Iterable[str]) -> SortedInputs:
    inputs = list(inputs)
    roots = sorted({posixpath.normpath(r) for r in import_roots if r}, key=len, reverse=True)
    tree_roots: Set[str] = set()
    for item in inputs:
        parts = item.runfiles_path.split("/")
        if len(parts) >= 3 and parts[-2].endswith(".dist-info") and parts[-1] == "METADATA":
            parent = "/".join(parts[:-2])
            if parent in roots:
                tree_roots.add(parent)

    result = SortedInputs()
    origins: Dict[str, str] = {}
    folded_origins: Dict[str, Tuple[str, str]] = {}
    for item in sorted(inputs, key=lambda i: (i.runfiles_path, str(i.path))):
        if item.path.name.endswith(".whl"):
            if item.path not in result.wheels:
                result.wheels.append(item.path)
            continue
        if item.path.name.endswith(RECORD_SUFFIX):
            result.wheel_records.append(item.path)
            continue
        root = _root_of(item.runfiles_path, roots)
        relative = item.runfiles_path[len(root) + 1 :]
        if root in tree_roots:
            tree = result.trees.setdefault(root, InstalledTree(root))
            tree.files[relative] = item.path
            continue
        archive_path = relative
        check_archive_path(archive_path, str(item.path))
        previous = origins.get(archive_path)
        if previous is not None and previous != str(item.path):
            raise AssemblerError(
                str(item.path),
                f"and {previous} would both be written at {archive_path!r} in the PEX",
                "rename one of them, or drop one of the targets that provide them",
            )
        folded = archive_path.casefold()
        clash = folded_origins.get(folded)
        if clash is not None and clash[0] != archive_path:
            raise AssemblerError(
                str(item.path),
                f"would be written at {archive_path!r}, which differs only by case from "
                f"{clash[0]!r} ({clash[1]}): one would overwrite the other on macOS and Windows",
                "rename one of them",
            )
        folded_origins[folded] = (archive_path, str(item.path))
        origins[archive_path] = str(item.path)
        result.sources[archive_path] = item.path
    return result


def module_of(archive_path: str, origin: str) -> str:
    """The importable module name of a first-party file, e.g. `app/main.py` -> `app.main`."""
    if not archive_path.endswith(".py"):
        raise AssemblerError(origin, "is not a .py file", "make main a Python source file")
    parts: Tuple[str, ...] = tuple(archive_path[: -len(".py")].split("/"))
    if not all(part.isidentifier() for part in parts):
        raise AssemblerError(
            origin,
            f"cannot be imported as a module from {archive_path!r}",
            "keep main's package path made of valid Python identifiers, or set entry_point",
        )
    return ".".join(parts)
