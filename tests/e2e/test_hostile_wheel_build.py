"""A wheel whose console scripts are named to escape, built under Bazel into a PEX with its
wheels installed at build time (where pex itself would write each script): the build fails
naming the wheel and the script, and nothing appears outside the action's declared output."""

from __future__ import annotations

import shutil
from pathlib import Path

from harness.bazel import Bazel
from harness.support import ROOT, write_wheel

MODULE = f"""\
bazel_dep(name = "crosspex", version = "0.1.0")
local_path_override(module_name = "crosspex", path = "{ROOT}")
"""

BUILD = """\
load("@crosspex//py:defs.bzl", "py_pex_binary")

py_pex_binary(
    name = "app",
    srcs = ["main.py"],
    main = "main.py",
    deps = ["evil-1.0-py3-none-any.whl"],
    pre_install_wheels = True,
)
"""


def test_a_script_named_to_escape_writes_nothing_outside_the_output(tmp_path):
    outside = tmp_path / "outside"
    outside.mkdir()
    workspace = tmp_path / "workspace"
    workspace.mkdir()
    (workspace / "MODULE.bazel").write_text(MODULE)
    shutil.copy(ROOT / "e2e" / "app" / ".bazelrc", workspace / ".bazelrc")
    (workspace / "BUILD.bazel").write_text(BUILD)
    (workspace / "main.py").write_text("import evil\n")
    # An absolute name, and one that climbs out of any directory pex could write it from.
    deep = "../" * 40 + str(outside / "deep").lstrip("/")
    write_wheel(
        workspace,
        {"evil/__init__.py": b"def main():\n    pass\n"},
        entry_points=f"[console_scripts]\n{outside / 'absolute'} = evil:main\n{deep} = evil:main\n",
    )
    bazel = Bazel(workspace, tmp_path / "output_base")
    try:
        done = bazel.build("//:app", check=False)
        output = Path(bazel.run("info", "bazel-bin").stdout.strip())
    finally:
        bazel.shutdown()
    assert done.returncode != 0
    assert "evil-1.0-py3-none-any.whl: names the script" in done.stderr, done.stderr[-3000:]
    assert "Traceback" not in done.stderr
    assert list(outside.iterdir()) == []
    # No PEX, and no staging debris beside where it would be.
    assert not (output / "app.pex").exists()
    assert not list(output.glob(".app.pex.*")) if output.exists() else True
