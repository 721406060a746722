"""Lock readers, and the failures a lock can bring: an sdist-only package, a platform
without a wheel."""

from __future__ import annotations

import re
import textwrap

import pytest

from harness.support import PLATFORMS, ROOT, fetch_wheels
from pex_assembler import target
from pex_assembler.errors import AssemblerError
from pex_assembler.locks import read_lock

WINDOWS = target.from_spec(PLATFORMS["windows_x86_64"], "3.11").markers
LINUX = target.from_spec(PLATFORMS["linux_x86_64"], "3.11").markers


def test_pdm_lock_keeps_colorama_for_windows_only():
    lock = read_lock(ROOT / "e2e" / "locks" / "pdm.lock")
    assert "colorama" in [r.name for r in lock.requirements_for(WINDOWS)]
    assert "colorama" not in [r.name for r in lock.requirements_for(LINUX)]
    msgpack = next(r for r in lock.requirements_for(LINUX) if r.name == "msgpack")
    assert str(msgpack.requirement) == "msgpack==1.1.0"
    assert len(msgpack.hashes) > 20, "one hash per wheel, no sdist hash"


UV_LOCK = """\
version = 1
requires-python = ">=3.11"

[[package]]
name = "app"
version = "0.1.0"
source = { virtual = "." }
dependencies = [{ name = "tool", marker = "sys_platform == 'win32'" }, { name = "lib" }]

[[package]]
name = "lib"
version = "1.0"
source = { registry = "https://index.invalid/simple" }
wheels = [{ url = "https://index.invalid/lib-1.0-py3-none-any.whl", hash = "sha256:00" }]

[[package]]
name = "tool"
version = "2.0"
source = { registry = "https://index.invalid/simple" }
sdist = { url = "https://index.invalid/tool-2.0.tar.gz", hash = "sha256:11" }
"""


def test_uv_lock_walks_markers_and_refuses_sdists(tmp_path):
    path = tmp_path / "uv.lock"
    path.write_text(UV_LOCK)
    lock = read_lock(path)
    assert [str(r.requirement) for r in lock.requirements_for(LINUX)] == ["lib==1.0"]
    with pytest.raises(AssemblerError, match=r"has no wheel for tool 2\.0, only an sdist") as err:
        lock.requirements_for(WINDOWS)
    assert "never builds sdists" in err.value.fix


def test_platform_without_a_wheel_names_package_and_platform(tmp_path):
    lock = tmp_path / "requirements.txt"
    lock.write_text(
        textwrap.dedent("""\
        msgpack==1.1.0 \\
            --hash=sha256:fd2906780f25c8ed5d7b323379f6138524ba793428db5d0e9d226d3fa6aa1788
        """)
    )
    spec = PLATFORMS["windows_arm64"]
    with pytest.raises(AssemblerError) as err:
        fetch_wheels(lock, ["3.11"], [spec], tmp_path / "wheels")
    assert re.fullmatch(r"msgpack(==1\.1\.0)?", err.value.subject)
    assert (
        err.value.problem == "has no wheel for platform windows_arm64 (CPython 3.11) in the index"
    )


def test_a_lock_without_the_platforms_hash_says_so_in_its_own_words(tmp_path):
    """The hash of msgpack 1.1.0's Linux x86_64 wheel only: the macOS one fits, unpinned."""
    lock = tmp_path / "requirements.txt"
    lock.write_text(
        "msgpack==1.1.0 \\\n"
        "    --hash=sha256:5e1da8f11a3dd397f0a32c76165cf0c4eb95b31013a94f6ecc0b280c05c91b59\n"
    )
    spec = PLATFORMS["macos_arm64"]
    with pytest.raises(AssemblerError) as err:
        fetch_wheels(lock, ["3.11"], [spec], tmp_path / "wheels")
    assert err.value.subject == str(lock)
    assert re.match(
        r"has no hash for msgpack-1\.1\.0-cp311-cp311-macosx_11_0_arm64\.whl, the wheel of "
        r"msgpack==1\.1\.0 for macos_arm64 \(CPython 3\.11\)",
        err.value.problem,
    ), err.value.problem
    assert "bazel run //:lock" in err.value.fix


def test_every_package_without_the_platforms_wheel_is_named_at_once(tmp_path):
    """One message names msgpack and pyyaml together, before anything is downloaded."""
    lock = tmp_path / "requirements.txt"
    lock.write_text(
        "msgpack==1.1.0 \\\n"
        "    --hash=sha256:fd2906780f25c8ed5d7b323379f6138524ba793428db5d0e9d226d3fa6aa1788\n"
        "pyyaml==5.3.1 \\\n"
        "    --hash=sha256:b8eac752c5e14d3eca0e6dd9199cd627518cb5ec06add0de9d32baeee6fe645d\n"
        "six==1.17.0 \\\n"
        "    --hash=sha256:4721f391ed90541fddacab5acf947aa0d3dc7d27b2e1e8eda2be8970586c3274\n"
    )
    spec = PLATFORMS["windows_arm64"]
    with pytest.raises(AssemblerError) as err:
        fetch_wheels(lock, ["3.11"], [spec], tmp_path / "wheels")
    assert re.fullmatch(r"msgpack(==1\.1\.0)?, pyyaml(==5\.3\.1)?", err.value.subject), (
        err.value.subject
    )
    assert (
        err.value.problem == "have no wheel for platform windows_arm64 (CPython 3.11) in the index"
    )
    assert list((tmp_path / "wheels").rglob("*.whl")) == []


def test_a_requirements_line_without_a_hash_is_refused(tmp_path):
    lock = tmp_path / "requirements.txt"
    lock.write_text(
        "six==1.17.0 \\\n"
        "    --hash=sha256:4721f391ed90541fddacab5acf947aa0d3dc7d27b2e1e8eda2be8970586c3274\n"
        "msgpack==1.1.0\n"
    )
    with pytest.raises(AssemblerError, match="msgpack is not pinned to one version with --hash"):
        read_lock(lock).requirements_for(LINUX)


def test_an_error_names_the_first_physical_line_of_its_requirement(tmp_path):
    lock = tmp_path / "requirements.txt"
    lock.write_text(
        "six==1.17.0 \\\n    --hash=sha256:47 \\\n    --hash=sha256:48\n"
        "msgpack>=1.1.0 \\\n    --hash=sha256:49 \\\n    --hash=sha256:50\n"
    )
    with pytest.raises(AssemblerError) as caught:
        read_lock(lock).requirements_for(LINUX)
    assert caught.value.subject == f"{lock}:4"


FORKED_UV_LOCK = """\
version = 1
requires-python = ">=3.9"
resolution-markers = ["sys_platform == 'win32'", "sys_platform != 'win32'"]

[[package]]
name = "app"
version = "0.1.0"
source = { virtual = "." }
dependencies = [{ name = "lib" }]

[[package]]
name = "lib"
version = "1.0"
source = { registry = "https://index.invalid/simple" }
resolution-markers = ["sys_platform == 'win32'"]
wheels = [{ url = "https://index.invalid/lib-1.0-py3-none-any.whl", hash = "sha256:10" }]

[[package]]
name = "lib"
version = "2.0"
source = { registry = "https://index.invalid/simple" }
resolution-markers = ["sys_platform == 'darwin'", "sys_platform == 'linux'"]
wheels = [{ url = "https://index.invalid/lib-2.0-py3-none-any.whl", hash = "sha256:20" }]
"""


def test_a_forked_uv_lock_takes_the_fork_any_of_whose_markers_holds(tmp_path):
    path = tmp_path / "uv.lock"
    path.write_text(FORKED_UV_LOCK)
    lock = read_lock(path)
    assert [str(r.requirement) for r in lock.requirements_for(LINUX)] == ["lib==2.0"]
    assert [str(r.requirement) for r in lock.requirements_for(WINDOWS)] == ["lib==1.0"]
