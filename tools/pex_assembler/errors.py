"""The one error type the assembler raises for bad input."""

from __future__ import annotations


class AssemblerError(Exception):
    """Bad input: the message names the offending file and how to fix it."""

    def __init__(self, subject: str, problem: str, fix: str) -> None:
        self.subject = subject
        self.problem = problem
        self.fix = fix
        super().__init__(f"{subject}: {problem}\n  fix: {fix}")
