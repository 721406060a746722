"""The main job, as README.md prints it, run in a clean clone of the commit under test."""

from __future__ import annotations

import os
import re
import subprocess

from harness.support import ROOT

# What examples/app's //app:all writes, and the demo copies into dist/.
EXAMPLE_PLATFORMS = ["linux_x86_64", "linux_aarch64", "macos_arm64", "windows_x86_64"]
EXAMPLE_PEXES = [f"app/app_{p}_py{v}" for p in EXAMPLE_PLATFORMS for v in ("311", "312")]
EXAMPLE_LAYERS = ["app/app_layer_for_linux_x86_64", "app/app_layer_for_linux_aarch64"]


def _example_output(machine: str) -> str:
    """What the example prints on CPython 3.11: PyYAML's C extension for that machine."""
    return f"hello: world\npython: '3.11'\nmachine: {machine}\nlibyaml: true\n"


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
    example = clone / "examples" / "app"
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
        built = [f"{name}.pex" for name in EXAMPLE_PEXES] + [
            f"{n}.{part}.tar" for n in EXAMPLE_LAYERS for part in ("deps", "app")
        ]
        assert sorted(p.name for p in (clone / "dist").iterdir()) == sorted(
            name.split("/")[1] for name in built
        )
        assert _printed_after(done.stdout, "dist/app_linux_x86_64_py311.pex, on this host") == (
            _example_output("x86_64")
        )
        assert _printed_after(
            done.stdout, "dist/app_linux_aarch64_py311.pex, on Debian's arm64"
        ) == _example_output("aarch64")
        # Bazel's convenience links resolve on the host, as `bazel info` does.
        for name in built:
            assert (example / "bazel-bin" / name).is_file(), name
        info = subprocess.run(
            [bazel, "info", "bazel-bin", "output_base", "execution_root"],
            cwd=example,
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
        subprocess.run([bazel, "clean", "--expunge"], cwd=example, capture_output=True)
