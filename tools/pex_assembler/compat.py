"""Checks that a set of wheels can run, together, on the target."""

from __future__ import annotations

from typing import Dict, Iterable, List

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
                f"{', '.join(target.most_specific_tags())}",
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
