"""The lock command's core: uv resolves once for every environment, crosspex checks every
target has its wheels, and writes the lock only then."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import pytest

from pex_assembler import target
from pex_assembler.errors import AssemblerError
from pex_assembler.locks import read_lock
from pex_assembler.pip_lock import write_lock
from support import PLATFORMS

UV = shutil.which("uv", path=str(Path(sys.executable).parent))
FROZEN = ["--exclude-newer=2026-11-01T00:00:00Z"]
NAMES = ["linux_x86_64", "linux_aarch64", "macos_arm64", "windows_x86_64"]


def _write(tmp_path: Path, requirements: str, output: Path, names=NAMES) -> None:
    requirements_in = tmp_path / "requirements.in"
    requirements_in.write_text(requirements)
    write_lock(
        requirements_in,
        output,
        ["3.11", "3.12"],
        [PLATFORMS[n] for n in names],
        UV,
        "bazel run //:lock",
        FROZEN,
    )


def test_the_lock_covers_every_platform_with_wheel_hashes_only(tmp_path):
    output = tmp_path / "requirements.txt"
    _write(tmp_path, "msgpack==1.1.0\ntqdm\n", output)
    text = output.read_text()
    assert text.startswith("# Written by `bazel run //:lock` from requirements.in")
    assert "--index-url" not in text and "--extra-index-url" not in text
    lock = read_lock(output)
    for name in NAMES:
        the_target = target.from_spec(PLATFORMS[name], "3.12")
        pinned = {r.name: r for r in lock.requirements_for(the_target.markers)}
        assert ("colorama" in pinned) == name.startswith("windows"), name
        assert str(pinned["msgpack"].requirement) == "msgpack==1.1.0"
    msgpack = next(r for r in lock.requirements_for({}) if r.name == "msgpack")
    assert "sha256:5e1da8f11a3dd397f0a32c76165cf0c4eb95b31013a94f6ecc0b280c05c91b59" in {
        h for h in msgpack.hashes
    }


def test_a_package_without_a_platforms_wheel_fails_before_anything_is_written(tmp_path):
    """PyYAML 5.3.1 published wheels for Windows, up to CPython 3.8, and an sdist."""
    output = tmp_path / "requirements.txt"
    output.write_text("# the old lock\n")
    with pytest.raises(AssemblerError) as err:
        _write(tmp_path, "pyyaml==5.3.1\n", output, ["windows_x86_64", "linux_aarch64"])
    assert err.value.subject.endswith("requirements.in")
    assert err.value.problem == (
        "resolves to versions without a wheel for some targets: pyyaml==5.3.1 for "
        "windows_x86_64 (CPython 3.11), linux_aarch64 (CPython 3.11), "
        "windows_x86_64 (CPython 3.12), linux_aarch64 (CPython 3.12)"
    )
    assert output.read_text() == "# the old lock\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["requirements.in", "requirements.txt"]


def test_what_uv_cannot_resolve_is_named(tmp_path):
    output = tmp_path / "requirements.txt"
    with pytest.raises(AssemblerError) as err:
        _write(tmp_path, "msgpack==0.0.0.1\n", output)
    assert "uv could not resolve it" in err.value.problem and "msgpack" in err.value.problem
    assert not output.exists()


def test_a_wheel_whose_python_tag_fits_but_platform_does_not_leaves_a_gap():
    from pex_assembler.pip_lock import _Package, _uncovered

    linux_only = _Package(
        "lib", "1.0", None, (("lib-1.0-cp311-cp311-manylinux_2_17_x86_64.whl", "00"),)
    )
    targets = [target.from_spec(PLATFORMS[n], "3.11") for n in ("linux_x86_64", "macos_arm64")]
    assert _uncovered([linux_only], targets) == {"lib==1.0": [targets[1].describe()]}
