"""docs/rules.md is generated from the Starlark docstrings: it is current, and the check fails
on anything public left undocumented."""

from __future__ import annotations

import shutil
import subprocess
import sys

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


def test_troubleshooting_quotes_messages_the_code_prints():
    """Each `fix:` line in docs/troubleshooting.md is one the code can print."""
    code = "\n".join(
        p.read_text()
        for p in [*(ROOT / "tools" / "pex_assembler").glob("*.py"), *(ROOT / "py").rglob("*.bzl")]
    )
    code = " ".join(code.replace('"\n', " ").replace('"', " ").split())
    fixes = [
        line.split("fix:", 1)[1].strip()
        for line in (ROOT / "docs" / "troubleshooting.md").read_text().splitlines()
        if line.lstrip().startswith("fix:")
    ]
    assert len(fixes) >= 8
    for fix in fixes:
        opening = " ".join(fix.split()[:3])
        assert opening in code, fix
