"""The target description: wheel tags and markers, checked against packaging's own view."""

from __future__ import annotations

import json
import platform
import subprocess
import sys

import pytest
from packaging import tags as packaging_tags
from packaging.markers import default_environment

from harness.support import PLATFORMS
from pex_assembler import target
from pex_assembler.errors import AssemblerError

LINUX = {"os": "linux", "arch": "x86_64", "libc": "glibc"}


@pytest.mark.skipif(
    sys.platform != "linux" or platform.machine() != "x86_64" or not platform.libc_ver()[1],
    reason="the oracle is this host's own glibc CPython",
)
def test_linux_tags_equal_the_running_interpreters():
    """Described without running anything, the host comes out as the host sees itself."""
    glibc = platform.libc_ver()[1]
    version = "{}.{}".format(*sys.version_info[:2])
    described = target.from_spec(
        {"name": "host", "os": "linux", "arch": "x86_64", "libc": "glibc", "libc_version": glibc},
        version,
    )
    assert [str(t) for t in described.tags] == [str(t) for t in packaging_tags.sys_tags()]
    env = default_environment()
    for key in ("os_name", "sys_platform", "platform_machine", "platform_system", "python_version"):
        assert described.markers[key] == env[key], key


@pytest.mark.skipif(sys.platform != "linux", reason="the oracle is this host's own Linux CPython")
def test_markers_are_every_pep508_variable_as_this_cpython_has_them():
    """Every marker variable, each as the running CPython's own environment gives it, except
    the kernel's release and version, which a spec names or leaves empty."""
    env = default_environment()
    spec = {"os": "linux", "arch": platform.machine(), "libc": "glibc", "libc_version": "2.28"}
    markers = target.from_spec(spec, platform.python_version()).markers
    assert set(markers) == set(env)
    for key in set(env) - {"platform_release", "platform_version"}:
        assert markers[key] == env[key], key
    assert (markers["platform_release"], markers["platform_version"]) == ("", "")
    kernel = {"platform_release": "6.1.0", "platform_version": "#1 SMP Debian 6.1.0-1"}
    released = target.from_spec({**spec, **kernel}, "3.11").markers
    assert (released["platform_release"], released["platform_version"]) == (
        "6.1.0",
        "#1 SMP Debian 6.1.0-1",
    )


def test_a_target_is_named_by_its_spec_or_else_by_os_and_arch():
    spec = {"os": "linux", "arch": "aarch64", "libc": "glibc", "libc_version": "2.28"}
    assert target.from_spec(spec, "3.11").name == "linux_aarch64"
    named = {
        "name": "rhel9",
        "os": "linux",
        "arch": "x86_64",
        "libc": "glibc",
        "libc_version": "2.34",
    }
    assert target.from_spec(named, "3.11").name == "rhel9"


@pytest.mark.parametrize(
    ("arch", "os_version", "first"),
    [
        # A major version alone means its .0.
        ("x86_64", "14", "cp311-cp311-macosx_14_0_x86_64"),
        ("x86_64", "11", "cp311-cp311-macosx_11_0_x86_64"),
        ("arm64", "10", "cp311-cp311-macosx_10_0_arm64"),
    ],
)
def test_a_macos_version_without_a_minor_is_its_dot_zero(arch, os_version, first):
    spec = {"os": "macos", "arch": arch, "os_version": os_version}
    assert str(target.from_spec(spec, "3.11").tags[0]) == first


def test_macos_arm64_accepts_universal2_and_older_macos_wheels():
    described = target.from_spec({"os": "macos", "arch": "arm64", "os_version": "14.0"}, "3.12")
    names = [str(t) for t in described.tags]
    assert names[0] == "cp312-cp312-macosx_14_0_arm64"
    assert "cp312-cp312-macosx_11_0_arm64" in names
    assert "cp312-abi3-macosx_10_9_universal2" in names
    assert "cp312-cp312-macosx_14_0_x86_64" not in names
    assert names[-1] == "py30-none-any"
    assert described.markers["sys_platform"] == "darwin"
    assert described.markers["platform_machine"] == "arm64"
    assert described.markers["python_full_version"] == "3.12.0"


def test_windows_markers_and_tags():
    described = target.from_spec({"os": "windows", "arch": "x86_64"}, "3.11.9")
    assert str(described.tags[0]) == "cp311-cp311-win_amd64"
    assert not any("linux" in str(t) or "macosx" in str(t) for t in described.tags)
    assert described.markers["platform_machine"] == "AMD64"
    assert described.markers["os_name"] == "nt"
    assert described.markers["python_full_version"] == "3.11.9"


def test_linux_aarch64_includes_legacy_manylinux_aliases():
    names = [str(t) for t in target.from_spec(PLATFORMS["linux_aarch64"], "3.11").tags]
    assert "cp311-cp311-manylinux_2_28_aarch64" in names
    assert "cp311-cp311-manylinux2014_aarch64" in names
    assert "cp311-cp311-manylinux_2_29_aarch64" not in names
    assert "cp311-cp311-manylinux_2_16_aarch64" not in names


def test_musllinux():
    names = [
        str(t)
        for t in target.from_spec(
            {"os": "linux", "arch": "x86_64", "libc": "musl", "libc_version": "1.2"}, "3.11"
        ).tags
    ]
    assert names[:2] == ["cp311-cp311-linux_x86_64", "cp311-cp311-musllinux_1_2_x86_64"]
    assert not any("manylinux" in n for n in names)
    # Every musl 1.x up to the target's, and nothing below 1.0.
    assert [n for n in names if n.startswith("cp311-cp311-musllinux")] == [
        "cp311-cp311-musllinux_1_2_x86_64",
        "cp311-cp311-musllinux_1_1_x86_64",
        "cp311-cp311-musllinux_1_0_x86_64",
    ]


def test_complete_platform_round_trip(tmp_path):
    described = target.from_spec({**PLATFORMS["macos_x86_64"], "name": "m"}, "3.11")
    path = tmp_path / "macos.json"
    path.write_text(json.dumps(described.to_complete_platform()))
    loaded = target.from_complete_platform(path, "")
    assert loaded.name == "macos"
    assert loaded.tags == described.tags
    assert dict(loaded.markers) == dict(described.markers)


@pytest.mark.parametrize(
    ("spec", "version", "needle"),
    [
        ({"os": "plan9", "arch": "x86_64"}, "3.11", "has no built-in wheel tags"),
        ({"os": "linux", "arch": "x86_64"}, "three", "is not a CPython version"),
        ({**LINUX, "libc_version": "2"}, "3.11", "is not MAJOR.MINOR"),
        # The rules fill in what a spec leaves out: the assembler takes no default of its own.
        ({"os": "linux", "arch": "x86_64"}, "3.11", "has no libc"),
        ({"os": "linux", "arch": "x86_64", "libc": "musl"}, "3.11", "has no libc_version"),
        ({"os": "macos", "arch": "arm64"}, "3.11", "has no os_version"),
        # Two parts, but not numbers.
        ({"os": "linux", "arch": "x86_64"}, "3.x", "is not a CPython version"),
        ({"os": "macos", "arch": "arm64", "os_version": "x.0"}, "3.11", "is not a macOS version"),
        # No macOS wheel is that old: never the host's tags instead.
        ({"os": "macos", "arch": "x86_64", "os_version": "10.3"}, "3.11", "is older than any"),
        ({"os": "macos", "arch": "x86_64", "os_version": "10"}, "3.11", "is older than any"),
    ],
)
def test_bad_specs_are_one_clear_error(spec, version, needle):
    with pytest.raises(AssemblerError, match=needle):
        target.from_spec(spec, version)


def test_a_complete_platform_is_named_as_asked(tmp_path):
    path = tmp_path / "macos.json"
    path.write_text(json.dumps({"marker_environment": {}, "compatible_tags": ["py3-none-any"]}))
    assert target.from_complete_platform(path, "mac").name == "mac"


@pytest.mark.parametrize(
    ("text", "needle"),
    [
        ('{"compatible_tags": []}', "is not a complete-platform JSON file"),
        ('{"marker_environment": [], "compatible_tags": ["py3-none-any"]}', "not an object"),
        ('{"marker_environment": {}, "compatible_tags": []}', "lists no compatible tags"),
        ("{", "is not a complete-platform JSON file"),
    ],
)
def test_bad_complete_platform_file(tmp_path, text, needle):
    path = tmp_path / "broken.json"
    path.write_text(text)
    with pytest.raises(AssemblerError, match=needle):
        target.from_complete_platform(path, "")


def _pip_debug_tags(platform_tag: str, version: str):
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "debug",
            "--verbose",
            "--platform",
            platform_tag,
            "--python-version",
            version,
            "--implementation",
            "cp",
            "--abi",
            "cp" + version.replace(".", ""),
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    lines = done.stdout.split("Compatible tags:", 1)[1].splitlines()[1:]
    return [line.strip() for line in lines if line.startswith("  ")]


@pytest.mark.parametrize(
    ("spec", "pip_platform"),
    [
        ({"os": "macos", "arch": "arm64", "os_version": "14.0"}, "macosx_14_0_arm64"),
        ({"os": "macos", "arch": "x86_64", "os_version": "14.0"}, "macosx_14_0_x86_64"),
        # Not the built-in platforms' version: the spec's own is used.
        ({"os": "macos", "arch": "x86_64", "os_version": "10.15"}, "macosx_10_15_x86_64"),
        ({"os": "macos", "arch": "arm64", "os_version": "12.0"}, "macosx_12_0_arm64"),
        ({"os": "windows", "arch": "x86_64"}, "win_amd64"),
        ({"os": "windows", "arch": "arm64"}, "win_arm64"),
    ],
)
@pytest.mark.parametrize("version", ["3.9", "3.13"])
def test_tags_equal_pips_for_the_same_platform(spec, pip_platform, version):
    """pip expands a macOS or Windows platform tag itself: an independent oracle."""
    ours = [str(t) for t in target.from_spec(spec, version).tags]
    theirs = _pip_debug_tags(pip_platform, version)
    # pip's vendored packaging and ours name the legacy fat-binary formats differently
    # (fat32 / fat3); no current wheel uses them.
    assert [t for t in ours if "_fat" not in t] == [t for t in theirs if "_fat" not in t]
    assert len(ours) == len(theirs)


@pytest.mark.parametrize(
    ("markers", "described"),
    [
        (
            {"platform_python_implementation": "CPython", "python_version": "3.11"},
            "t (CPython 3.11)",
        ),
        ({"platform_python_implementation": "PyPy", "python_version": "3.10"}, "t (PyPy 3.10)"),
        ({}, "t (Python )"),
    ],
)
def test_a_target_describes_its_interpreter(markers, described):
    assert target.Target(name="t", tags=(), markers=markers).describe() == described
