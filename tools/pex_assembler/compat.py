"""Checks that a set of wheels can run, together, on the target."""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path
from typing import Dict, Iterable, List, Mapping, Optional, Tuple

from pex_assembler import filesystems
from pex_assembler.errors import AssemblerError
from pex_assembler.target import Target
from pex_assembler.wheels import Wheel


def check_wheels(wheels: Iterable[Wheel], target: Target) -> List[Wheel]:
    """Returns the wheels sorted by project name, or raises for the first misfit."""
    by_name: Dict[str, Wheel] = {}
    for wheel in wheels:
        if not any(target.accepts(tag) for tag in wheel.tags):
            raise AssemblerError(
                str(wheel.path),
                f"cannot run on target {target.describe()}: its tags "
                f"({', '.join(sorted(str(t) for t in wheel.tags))}) match none the target "
                f"accepts; the target's most specific tags are "
                f"{', '.join(str(tag) for tag in target.tags[:5])}",
                f"depend on the {wheel.name} wheel built for {target.name} (select() it per "
                "platform), or a pure-Python (py3-none-any) wheel",
            )
        other = by_name.get(wheel.name)
        if other is not None and other.filename != wheel.filename:
            first, second = sorted([other, wheel], key=lambda w: w.filename)
            raise AssemblerError(
                str(second.path),
                f"is a second distribution of {wheel.name} beside {first.filename}",
                f"depend on exactly one {wheel.name} wheel for this target",
            )
        by_name[wheel.name] = wheel
    return [by_name[name] for name in sorted(by_name)]


# Schemes that install into one directory: pure and platform modules share site-packages.
_SCHEME_DIRECTORY = {"purelib": "lib", "platlib": "lib"}


def check_file_system(
    target: Target, sources: Mapping[str, Path], wheels: Iterable[Wheel], merged: bool
) -> None:
    """Refuses names the target's file system cannot hold. First-party files and each
    wheel's files install into directories of their own, unless `merged` (a virtualenv: a
    venv-mode PEX, a layer), where they all share site-packages and bin/."""
    system = target.markers.get("sys_platform")
    # Names by the directory they install into: (its owner, the scheme's directory), where
    # first-party files, and all files when merged, have no owner.
    directories: Dict[Tuple[Optional[Path], str], List[Tuple[str, str]]] = defaultdict(list)
    for archive_path, path in sources.items():
        directories[(None, "lib")].append((archive_path, str(path)))
    for wheel in wheels:
        group = None if merged else wheel.path
        for scheme, path in wheel.contents.files:
            directory = _SCHEME_DIRECTORY.get(scheme, scheme)
            directories[(group, directory)].append((path, str(wheel.path)))
        for script, _ in wheel.contents.scripts:
            directories[(group, "scripts")].append((script, str(wheel.path)))
    for paths in directories.values():
        filesystems.check(system, target.name, paths)
