"""PEX-INFO as pex's CLI writes it for the same wheels, entry point and target, field by
field; the fields that differ on purpose are the ones docs/performance.md lists."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from harness.support import find_wheel, one_file_app
from pex_assembler.cli import main as cli_main

# Ours: the target's CPython, every distribution pinned, and pex deciding how many wheels
# to install at once (the CLI's default is 1); pex's CLI: what it was asked for, for any
# interpreter. pex_hash and code_hash follow from those and from the sources.
DIFFERENT = {"interpreter_constraints", "requirements", "max_install_jobs", "pex_hash",
             "code_hash", "build_properties"}  # fmt: skip


def _info(pex: Path) -> dict:
    with zipfile.ZipFile(pex) as archive:
        deps = sorted(n for n in archive.namelist() if n.startswith(".deps/"))
        return {**json.loads(archive.read("PEX-INFO")), ".deps/": deps}


@pytest.mark.parametrize("form", ["zipapp", "preinstalled"])
def test_pex_info_and_deps_are_the_pex_cli_s(wheel_dir, tmp_path, form):
    """Embedded wheels against `--no-pre-install-wheels`; pre-installed ones against pex's
    default, whose installed trees and their fingerprints are pex's own."""
    wheels = [find_wheel(wheel_dir, "linux_x86_64", name) for name in ("six", "PyYAML")]
    (tmp_path / "ours").mkdir()
    arguments, ours = one_file_app(tmp_path / "ours", wheels, form)
    assert cli_main(arguments) == 0
    sources = tmp_path / "sources"
    sources.mkdir()
    shutil.copy(tmp_path / "ours" / "main.py", sources / "main.py")
    theirs = tmp_path / "theirs.pex"
    subprocess.run(
        [str(Path(sys.executable).parent / "pex"), "--no-pypi", "--find-links",
         str(wheels[0].parent), "--find-links", str(wheels[1].parent), "six", "pyyaml",
         *(["--no-pre-install-wheels"] if form == "zipapp" else []), "-D", str(sources),
         "-e", "main",
         "--pex-root", str(tmp_path / "pex_root"), "-o", str(theirs)],
        check=True, capture_output=True, text=True,
    )  # fmt: skip
    mine, pex = _info(ours), _info(theirs)
    assert mine["distributions"] == pex["distributions"]
    assert mine[".deps/"] == pex[".deps/"]
    same = {k: v for k, v in pex.items() if k not in DIFFERENT}
    assert {k: mine.get(k) for k in same} == same
    assert (mine["requirements"], pex["requirements"]) == (
        ["PyYAML==6.0.2", "six==1.17.0"], ["pyyaml", "six"],
    )  # fmt: skip
    assert (mine["interpreter_constraints"], pex["interpreter_constraints"]) == (
        ["CPython==3.11.*"], [],
    )  # fmt: skip
    assert set(mine) == set(pex)
