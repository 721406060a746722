"""The main job, as README.md prints it, run in a clean clone of the commit under test."""

from __future__ import annotations

import os
import re
import subprocess

from harness.app import EXPECTED_OUTPUT, matrix_names
from harness.support import ROOT


def _main_job_command() -> str:
    """The first command of README.md's "Try it" block, as printed, without its comment."""
    block = re.search(r"## Try it\n.*?```sh\n(.*?)```", (ROOT / "README.md").read_text(), re.S)
    assert block, "README.md has no 'Try it' block of commands"
    command = block.group(1).splitlines()[0].split("#")[0].strip()
    assert command == "bash scripts/demo.sh", command
    return command


def _printed_after(stdout: str, marker: str) -> str:
    """What the demo printed after its `--- marker` line, up to the next one."""
    sections = re.split(r"^--- ", stdout, flags=re.M)
    (section,) = [s for s in sections if s.startswith(marker)]
    return section.split("\n", 1)[1]


def test_the_readme_main_job_passes_in_a_clean_clone(tmp_path):
    clone = tmp_path / "crosspex"
    subprocess.run(["git", "clone", "--quiet", str(ROOT), str(clone)], check=True)
    # The Debian roots and sysroots this run already made: the clone makes its own virtualenv,
    # output base and dist/, as a new user's would.
    env = dict(os.environ, CROSSPEX_CACHE=os.environ.get("CROSSPEX_CACHE", str(ROOT / ".cache")))
    done = subprocess.run(
        _main_job_command(), shell=True, cwd=clone, env=env, capture_output=True, text=True
    )
    bazel = subprocess.run(
        ["bash", "scripts/bazel7.sh"], cwd=clone, env=env, capture_output=True, text=True
    ).stdout.strip()
    try:
        assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-6000:]
        built = sorted(f"{name.split('/')[1]}.pex" for name in matrix_names())
        assert sorted(p.name for p in (clone / "dist").iterdir()) == built
        assert _printed_after(done.stdout, "dist/app_linux_x86_64.pex, on this host") == (
            EXPECTED_OUTPUT
        )
        assert _printed_after(done.stdout, "dist/app_linux_aarch64.pex, on Debian's arm64") == (
            EXPECTED_OUTPUT
        )
        # Bazel's convenience links resolve on the host, as `bazel info` does.
        bazel_bin = clone / "e2e" / "app" / "bazel-bin"
        for name in matrix_names():
            assert (bazel_bin / f"{name}.pex").is_file(), name
        info = subprocess.run(
            [bazel, "info", "bazel-bin", "output_base", "execution_root"],
            cwd=clone / "e2e" / "app",
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        for line in info.splitlines():
            assert os.path.isdir(line.split(": ", 1)[1]), line
        # Readable: no sandbox's debug log, no warning the project's own settings cause.
        assert "Sandbox debug output" not in done.stderr
        assert "is deprecated" not in done.stderr
    finally:
        # The clone's output base sits in the shared cache: gone with the clone.
        subprocess.run(
            [bazel, "clean", "--expunge"], cwd=clone / "e2e" / "app", capture_output=True
        )
