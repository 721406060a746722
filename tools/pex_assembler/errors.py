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


@contextlib.contextmanager
def writing(output: Path) -> Iterator[None]:
    """Turns a failure to write `output` (a full disk, a read-only or forbidden directory)
    into one AssemblerError naming it."""
    try:
        yield
    except OSError as exc:
        if exc.errno in (errno.ENOSPC, errno.EDQUOT):
            fix = "free space on the disk the output is written to, then build again"
        elif exc.errno == errno.EROFS:
            fix = "write the output to a writable file system"
        elif exc.errno in (errno.EACCES, errno.EPERM):
            fix = "let the build's user write to the output's directory"
        else:
            raise
        # Not the file that failed: a copy's error names its source.
        raise AssemblerError(str(output), f"could not be written: {exc.strerror}", fix) from exc
