"""Outputs that cannot be written: a full disk, a read-only file system, a directory the
build's user may not write. Each output form fails with one line naming the output, the
errno's text and a fix, exit 1, no traceback, and nothing left where the output would be.

The disk and the read-only file system are small tmpfs mounts in a mount namespace of the
assembler's own (`unshare -m`); the forbidden directory is one root may not write once
`setpriv` drops the capabilities that override file modes."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from harness.support import ROOT, find_wheel, one_file_app

# Every form, and the wheel's own check, which writes a record.
WRITERS = ["zipapp", "packed", "preinstalled", "layer", "check-wheel"]
FAILURES = {
    "full-disk": (
        "mount -t tmpfs -o size=64k tmpfs {out}"
        " && {{ cat /dev/zero > {out}/.filler 2>/dev/null || :; }}",
        "No space left on device",
        "free space on the disk",
    ),
    "read-only": ("mount -t tmpfs -o ro tmpfs {out}", "Read-only file system", "writable"),
    "forbidden": ("chmod 0555 {out}", "Permission denied", "let the build's user write"),
}
# Root, without the capabilities that let it write where a file's mode says it may not.
UNPRIVILEGED = "setpriv --bounding-set=-dac_override,-dac_read_search"


def _command(tmp_path: Path, wheel: Path, form: str) -> list:
    if form == "check-wheel":
        return [form, "--wheel", str(wheel), "--output", str(tmp_path / "out" / "six.json")]
    return one_file_app(tmp_path, [wheel], form)[0]


@pytest.mark.parametrize("failure", FAILURES)
@pytest.mark.parametrize("form", WRITERS)
def test_an_output_that_cannot_be_written(tmp_path, wheel_dir, form, failure):
    out = tmp_path / "out"
    out.mkdir()
    setup, strerror, fix = FAILURES[failure]
    wheel = find_wheel(wheel_dir, "linux_x86_64", "six")
    assembler = [sys.executable, "-m", "pex_assembler", *_command(tmp_path, wheel, form)]
    quoted = " ".join(f"'{a}'" for a in assembler)
    run = f"{UNPRIVILEGED} {quoted}" if failure == "forbidden" else quoted
    listing = f"ls -A {out} | grep -vx .filler"
    script = f'{setup.format(out=out)} && {{ {run}; echo "exit=$?"; {listing}; }}'
    done = subprocess.run(
        ["unshare", "-m", "sh", "-c", script],
        capture_output=True,
        text=True,
        timeout=120,
        env={"PYTHONPATH": str(ROOT / "tools"), "PATH": "/usr/bin:/bin", "HOME": str(tmp_path)},
    )
    exit_line, _, left = done.stdout.partition("\n")
    assert exit_line == "exit=1", done.stdout + done.stderr
    first, _, second = done.stderr.partition("\n")
    assert first.startswith(f"pex-assembler: error: {out}/"), done.stderr
    assert first.endswith(f": could not be written: {strerror}"), done.stderr
    assert second.startswith("  fix: ") and fix in second, done.stderr
    assert "Traceback" not in done.stderr
    assert left.split() == [], f"left in the output's directory: {left}"


@pytest.mark.parametrize("form", ["zipapp", "layer"])
def test_a_killed_build_leaves_nothing_the_next_build_keeps(tmp_path, wheel_dir, form):
    """A build killed while it stages its output (here: blocked reading a FIFO as a source)
    leaves its staging directory; the next build of the same output clears it."""
    wheel = find_wheel(wheel_dir, "linux_x86_64", "six")
    args = _command(tmp_path, wheel, form)
    (tmp_path / "main.py").unlink()
    os.mkfifo(tmp_path / "main.py")
    command = [sys.executable, "-m", "pex_assembler", *args]
    out = tmp_path / "out"
    out.mkdir()
    blocked = subprocess.Popen(command, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 60
        while not [p for p in out.iterdir() if p.name.startswith(".app.")]:
            assert blocked.poll() is None and time.monotonic() < deadline, "it never staged"
            time.sleep(0.05)
    finally:
        # Killed in any case: a build blocked on the FIFO would wait for ever.
        blocked.kill()
        blocked.wait()
    assert [p.name for p in out.iterdir() if p.name.startswith(".app.")], "no debris to clear"

    (tmp_path / "main.py").unlink()
    (tmp_path / "main.py").write_text("import six\n")
    done = subprocess.run(command, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert [p.name for p in out.iterdir()] == ["app.pex" if form == "zipapp" else "app.tar"]
