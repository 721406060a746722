"""Reads hash-pinned requirements files (pip's format) into pinned requirements."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import List, Mapping, Tuple

from packaging.markers import UndefinedComparison
from packaging.requirements import InvalidRequirement, Requirement
from packaging.utils import NormalizedName, canonicalize_name

from pex_assembler.errors import AssemblerError
from pex_assembler.index import IndexFile

_HASH = re.compile(r"\s--hash[=\s](\S+)")
# As pip reads them: a comment starts a line or follows whitespace (a URL's #fragment is kept).
_COMMENT = re.compile(r"(^|\s)#.*")


@dataclass(frozen=True)
class PinnedRequirement:
    name: NormalizedName
    requirement: Requirement
    hashes: Tuple[str, ...]
    # The wheel files, where the lock names them with their URLs (uv.lock, pylock.toml):
    # then no index page is needed to find them.
    files: Tuple[IndexFile, ...] = ()

    def applies_to(self, markers: Mapping[str, str]) -> bool:
        marker = self.requirement.marker
        try:
            return marker is None or marker.evaluate({**markers, "extra": ""})
        except UndefinedComparison as exc:  # well-formed, but no values decide it
            raise AssemblerError(
                str(self.requirement), f"has a marker no target can decide ({exc})", "fix the lock"
            ) from exc

    def pip_line(self) -> str:
        """The requirement without its marker (pip would test it against the host)."""
        req = Requirement(str(self.requirement))
        req.marker = None
        return " ".join([str(req)] + [f"--hash={h}" for h in self.hashes])


def _logical_lines(text: str) -> List[Tuple[int, str]]:
    """(number of its first physical line, text) of each requirement line, comments removed."""
    lines: List[Tuple[int, str]] = []
    pending, continued = "", 0
    for number, raw in enumerate(text.splitlines(), 1):
        line = _COMMENT.sub("", raw).rstrip()
        if line.endswith("\\"):
            pending += line[:-1] + " "
            continued += 1
            continue
        pending += line
        if pending.strip():
            lines.append((number - continued, pending.strip()))
        pending, continued = "", 0
    return lines


def read_requirements(path: Path) -> List[PinnedRequirement]:
    """Every requirement must be pinned with == and carry at least one --hash."""
    result = []
    for number, line in _logical_lines(path.read_text(encoding="utf-8")):
        where = f"{path}:{number}"
        if line.startswith("-"):
            raise AssemblerError(
                where,
                f"has the option {line.split()[0]!r}",
                "keep only requirement lines with --hash options; index settings belong in "
                "pip's own configuration",
            )
        hashes = _HASH.findall(line)
        try:
            requirement = Requirement(_HASH.sub("", line).strip())
        except InvalidRequirement as exc:
            raise AssemblerError(where, f"is not a requirement ({exc})", "fix the line") from exc
        pins = [s for s in requirement.specifier if s.operator in ("==", "===")]
        if len(pins) != 1 or not hashes:
            raise AssemblerError(
                where,
                f"{requirement.name} is not pinned to one version with --hash",
                "lock it: NAME==VERSION --hash=sha256:... for every platform's wheel",
            )
        result.append(
            PinnedRequirement(canonicalize_name(requirement.name), requirement, tuple(hashes))
        )
    return result
