"""Every error crosspex can raise, found by walking its code, has the one form users read:
what is at fault, what is wrong, then a `fix:` line.

The assembler raises only AssemblerError(subject, problem, fix), directly or through a helper
that builds one, or re-raises. Starlark fails only through errors.bzl's crosspex_fail(subject,
problem, fix). A new raise or fail() that skips the form fails here.
"""

from __future__ import annotations

import ast
from typing import Dict, Iterator, List, Tuple

import pytest

from harness.support import ROOT
from pex_assembler.errors import AssemblerError

ASSEMBLER = sorted((ROOT / "tools" / "pex_assembler").glob("*.py"))
STARLARK = sorted((ROOT / "py").rglob("*.bzl"))
# Bazel's worker protocol, not user input: a malformed request from Bazel ends the worker.
# The .pyc worker's pipe: its end is a frame cut short, which bytecode.py turns into an
# AssemblerError naming the interpreter.
PROTOCOL = {"worker.py": "ValueError", "bytecode.py": "EOFError", "pyc_worker.py": "EOFError"}


def _calls(tree: ast.AST) -> Iterator[ast.Call]:
    return (node for node in ast.walk(tree) if isinstance(node, ast.Call))


def _name(node: ast.AST) -> str:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return node.attr
    return ""


def _has_fix(call: ast.Call, position: int) -> bool:
    """The call passes a fix at `position` (or as `fix=`) that is no empty literal."""
    args: List[ast.AST] = list(call.args)
    fix = args[position] if len(args) > position else None
    for keyword in call.keywords:
        if keyword.arg == "fix":
            fix = keyword.value
    if fix is None:
        return False
    return not (isinstance(fix, ast.Constant) and not str(fix.value).strip())


def _error_helpers(tree: ast.Module) -> Dict[str, ast.FunctionDef]:
    """Module functions whose every return builds an AssemblerError with a fix."""
    helpers = {}
    for node in tree.body:
        if not isinstance(node, ast.FunctionDef):
            continue
        returns = [n.value for n in ast.walk(node) if isinstance(n, ast.Return) and n.value]
        if returns and all(
            isinstance(r, ast.Call) and _name(r.func) == "AssemblerError" and _has_fix(r, 2)
            for r in returns
        ):
            helpers[node.name] = node
    return helpers


def _raises() -> List[Tuple[str, int, ast.Raise, Dict[str, ast.FunctionDef]]]:
    found = []
    for path in ASSEMBLER:
        tree = ast.parse(path.read_text(), filename=str(path))
        helpers = _error_helpers(tree)
        for node in ast.walk(tree):
            if isinstance(node, ast.Raise):
                found.append((path.name, node.lineno, node, helpers))
    return found


def test_the_walk_finds_the_assemblers_errors():
    """The walk is no walk if it finds nothing: the assembler raises in dozens of places."""
    raises = _raises()
    assert len(raises) > 60, len(raises)
    assert {name for name, *_ in raises} >= {"wheels.py", "manifest.py", "pip_lock.py"}


@pytest.mark.parametrize(
    "where, node, helpers",
    [pytest.param(f"{n}:{line}", r, h, id=f"{n}:{line}") for n, line, r, h in _raises()],
)
def test_every_assembler_error_ends_in_a_fix(where, node, helpers):
    if node.exc is None:
        return  # a bare re-raise, in an except block that cleans up first
    exc = node.exc
    assert isinstance(exc, ast.Call), f"{where}: raises {ast.unparse(exc)}, not a new error"
    name = _name(exc.func)
    if name == PROTOCOL.get(where.split(":")[0]):
        return
    if name in helpers:
        return
    assert name == "AssemblerError", f"{where}: raises {name}, not an AssemblerError"
    assert _has_fix(exc, 2), f"{where}: AssemblerError without a fix"


def test_an_assembler_error_prints_its_fix_last():
    text = str(AssemblerError("a.whl", "is broken", "replace it"))
    assert text == "a.whl: is broken\n  fix: replace it"


def _starlark_calls() -> List[Tuple[str, ast.Call]]:
    found = []
    for path in STARLARK:
        # Starlark's syntax is a subset of Python's.
        tree = ast.parse(path.read_text(), filename=str(path))
        found += [(f"{path.relative_to(ROOT)}:{c.lineno}", c) for c in _calls(tree)]
    return found


def test_starlark_fails_only_through_crosspex_fail():
    fails = [where for where, call in _starlark_calls() if _name(call.func) == "fail"]
    assert fails == ["py/private/errors.bzl:24"], fails


def test_every_starlark_error_has_a_subject_a_problem_and_a_fix():
    calls = [(w, c) for w, c in _starlark_calls() if _name(c.func) == "crosspex_fail"]
    assert len(calls) >= 15, [w for w, _ in calls]
    for where, call in calls:
        if where.startswith("py/private/errors.bzl"):
            continue
        assert len(call.args) == 3 and not call.keywords, f"{where}: not (subject, problem, fix)"
        assert _has_fix(call, 2), f"{where}: an empty fix"
    # exec_python.bzl's _fail passes a fix of its own or a default one.
    wrappers = [(w, c) for w, c in _starlark_calls() if _name(c.func) == "_fail"]
    assert wrappers and all(w.startswith("py/private/exec_python.bzl") for w, _ in wrappers)


def test_no_error_text_writes_fix_any_other_way():
    """One spelling, `  fix: ` on a line of its own, in code and in the errors documented."""
    for path in [*ASSEMBLER, *STARLARK, ROOT / "docs" / "troubleshooting.md"]:
        text = path.read_text()
        assert "Fix:" not in text, path
