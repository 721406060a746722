"""The one error type the assembler raises for bad input."""

from __future__ import annotations

import contextlib
import errno
from pathlib import Path
from typing import Iterator


class AssemblerError(Exception):
    """Bad input: the message names the offending file and how to fix it."""

    def __init__(self, subject: str, problem: str, fix: str) -> None:
        self.subject = subject
        self.problem = problem
        self.fix = fix
        super().__init__(f"{subject}: {problem}\n  fix: {fix}")


_WRITE_FIXES = {
    errno.ENOSPC: "free space on the disk the output is written to, then build again",
    errno.EDQUOT: "free space within the user's disk quota, then build again",
    errno.EROFS: "write the output to a writable file system",
    errno.EACCES: "let the build's user write to the output's directory",
    errno.EPERM: "let the build's user write to the output's directory",
}


@contextlib.contextmanager
def writing(output: Path) -> Iterator[None]:
    """Turns a failure to write `output` (a full disk, a read-only or forbidden directory)
    into one AssemblerError naming it."""
    try:
        yield
    except OSError as exc:
        if exc.errno not in _WRITE_FIXES:
            raise
        raise AssemblerError(
            str(output),
            f"could not be written: {exc.strerror} ({exc.filename or output})",
            _WRITE_FIXES[exc.errno],
        ) from exc
