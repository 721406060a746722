"""docs/rules.md is generated from the Starlark docstrings: it is current, and the check fails
on anything public left undocumented."""

from __future__ import annotations

import ast
import re
import shutil
import subprocess
import sys
from typing import List

from support import ROOT


def _check(root) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, str(root / "scripts" / "rule_docs.py"), "--check"],
        capture_output=True,
        text=True,
    )


def test_rule_reference_is_current_and_complete():
    done = _check(ROOT)
    assert done.returncode == 0, done.stderr


def test_an_undocumented_attribute_fails_the_check(tmp_path):
    for part in ("py", "scripts", "docs"):
        shutil.copytree(ROOT / part, tmp_path / part)
    rule = tmp_path / "py" / "private" / "py_pex_binary.bzl"
    text = rule.read_text()
    rule.write_text(
        text.replace(
            '"inject_args": attr.string_list(doc = ', '"inject_args": attr.string_list(x = '
        )
    )
    done = _check(tmp_path)
    assert done.returncode == 1
    assert "py_pex_binary: attribute inject_args has no doc" in done.stderr


def test_the_reference_gives_types_defaults_mandatory_and_allowed_values():
    text = (ROOT / "docs" / "rules.md").read_text()
    for row in [
        '| `layout` | string | `"zipapp"` | One of `zipapp`, `packed`, `loose`. ',
        '| `inherit_path` | string | `"false"` | One of `false`, `fallback`, `prefer`. ',
        "| `compress` | bool | `True` | ",
        "| `max_install_jobs` | int | `-1` | ",
        "| `pex` | label | **mandatory** | ",
        "| `platform` | label | **mandatory** | ",
        "| `whl` | label | **mandatory** | ",
        "| `lock` | label | **mandatory** | ",
        '| `python_versions` | string_list | `["3.11"]` | ',
        "| `timeout` | int | `600` | ",
    ]:
        assert row in text, row
    assert "`py_pex_cross_binaries(name, pex, platforms, python_versions = [], **kwargs)`" in text
    for setting in ["`:linux_aarch64_musl`", "`:is_<platform>_python_<X.Y>`", "`:libc`"]:
        assert setting in text, setting
    assert "`:target_toolchain_type`" in text and "`CROSSPEX_PYTHON`" in text


def test_an_undescribed_toolchain_type_fails_the_check(tmp_path):
    for part in ("py", "scripts", "docs"):
        shutil.copytree(ROOT / part, tmp_path / part)
    build = tmp_path / "py" / "toolchains" / "BUILD.bazel"
    build.write_text(build.read_text() + '\ntoolchain_type(name = "venv_toolchain_type")\n')
    done = _check(tmp_path)
    assert done.returncode == 1
    assert "toolchain type venv_toolchain_type is not described" in done.stderr


def _template(node: ast.AST) -> str:
    """A regular expression for the strings an expression can make: literal parts as they
    are, formatted or computed parts as `.*`."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return re.sub(r"(%[sdr]|\\\{[^}]*\\\})", ".*", re.escape(node.value))
    if isinstance(node, ast.JoinedStr):
        return "".join(
            re.escape(v.value) if isinstance(v, ast.Constant) else ".*" for v in node.values
        )
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        return _template(node.left) + _template(node.right)
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Mod):
        return _template(node.left)
    return ".*"


def _fix_templates() -> List[str]:
    """Every fix the code passes: the third argument of AssemblerError, crosspex_fail and
    error_message, `fix=` arguments and defaults, and strings assigned to a variable named fix."""
    found = []
    for path in [*(ROOT / "tools" / "pex_assembler").glob("*.py"), *(ROOT / "py").rglob("*.bzl")]:
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Call):
                name = getattr(node.func, "id", getattr(node.func, "attr", ""))
                if (
                    name in ("AssemblerError", "crosspex_fail", "error_message")
                    and len(node.args) == 3
                ):
                    found.append(node.args[2])
                if name == "_fail" and len(node.args) == 2:
                    found.append(node.args[1])
                found += [k.value for k in node.keywords if k.arg == "fix"]
            elif isinstance(node, ast.Assign) and any(
                getattr(t, "id", "") == "fix" for t in node.targets
            ):
                found.append(node.value)
            elif isinstance(node, ast.FunctionDef):
                args = node.args.args[len(node.args.args) - len(node.args.defaults) :]
                found += [d for a, d in zip(args, node.args.defaults) if a.arg == "fix"]
    templates = [_template(n) for n in found]
    return [t for t in templates if t.replace(".*", "").strip()]


def test_troubleshooting_quotes_messages_the_code_prints():
    """Each `fix:` line in docs/troubleshooting.md is, whole, one the code can print."""
    templates = _fix_templates()
    assert len(templates) > 40, len(templates)
    fixes = [
        line.split("fix:", 1)[1].strip()
        for line in (ROOT / "docs" / "troubleshooting.md").read_text().splitlines()
        if line.lstrip().startswith("fix:")
    ]
    assert len(fixes) >= 12
    for fix in fixes:
        assert any(re.fullmatch(t, fix, re.S) for t in templates), fix
    # One changed word is caught.
    assert not any(re.fullmatch(t, fixes[0] + " now", re.S) for t in templates)
