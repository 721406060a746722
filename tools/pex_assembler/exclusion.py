"""`exclude`: distributions left out of a PEX, as pex's --exclude leaves them out.

A wheel matching an excluded requirement stays out, and so does every wheel that only the
wheels left out require (on the target, by their Requires-Dist markers). The PEX records the
requirements in PEX-INFO's `excluded`, so it starts without them: the running interpreter is
expected to provide them (`inherit_path`).
"""

from __future__ import annotations

from typing import Dict, List, Sequence, Set

from packaging.requirements import InvalidRequirement, Requirement
from packaging.utils import NormalizedName, canonicalize_name

from pex_assembler.target import Target
from pex_assembler.wheels import Wheel


def _matches(requirement: Requirement, wheel: Wheel, target: Target) -> bool:
    if canonicalize_name(requirement.name) != wheel.name:
        return False
    if requirement.marker and not requirement.marker.evaluate(dict(target.markers)):
        return False
    return requirement.specifier.contains(wheel.version, prereleases=True)


def _required_by(wheels: Sequence[Wheel], target: Target) -> Dict[NormalizedName, Set[str]]:
    """For each project, the wheels (by file name) that require it on the target."""
    environment = dict(target.markers, extra="")
    required: Dict[NormalizedName, Set[str]] = {}
    for wheel in wheels:
        for line in wheel.requires_dist:
            try:
                requirement = Requirement(line)
            except InvalidRequirement:
                # The wheel check read its metadata; pex ignores what it cannot parse.
                continue
            if requirement.marker and not requirement.marker.evaluate(environment):
                continue
            required.setdefault(canonicalize_name(requirement.name), set()).add(wheel.filename)
    return required


def kept(wheels: Sequence[Wheel], exclude: Sequence[str], target: Target) -> List[Wheel]:
    """The wheels that stay in the PEX, in their order; `exclude` holds requirements
    (checked when the manifest was read)."""
    if not exclude:
        return list(wheels)
    requirements = [Requirement(text) for text in exclude]
    out = {w.filename for w in wheels if any(_matches(r, w, target) for r in requirements)}
    required = _required_by(wheels, target)
    changed = True
    while changed:
        changed = False
        for wheel in wheels:
            requirers = required.get(wheel.name, set()) - {wheel.filename}
            if wheel.filename not in out and requirers and requirers <= out:
                out.add(wheel.filename)
                changed = True
    return [w for w in wheels if w.filename not in out]
