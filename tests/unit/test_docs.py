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
