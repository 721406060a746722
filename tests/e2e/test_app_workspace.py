"""The example workspace built by real Bazel for four platforms, as a user would build it."""

from __future__ import annotations

import os
import shutil
import subprocess

import pytest
from packaging.utils import parse_wheel_filename

from bazel import Bazel, deps_in, pex_info
from pex_assembler import target
from support import ROOT

APP = ROOT / "e2e" / "app"
PLATFORMS = ["linux_x86_64", "linux_aarch64", "macos_arm64", "windows_x86_64"]
SPECS = {
    "linux_x86_64": {"os": "linux", "arch": "x86_64"},
    "linux_aarch64": {"os": "linux", "arch": "aarch64"},
    "macos_arm64": {"os": "macos", "arch": "arm64"},
    "windows_x86_64": {"os": "windows", "arch": "x86_64"},
}
EXPECTED_OUTPUT = """\
msgpack_bytes: 15
msgpack_extension: msgpack._cmsgpack
msgpack_roundtrip: true
span:
  days: 15
  months: 1
yaml_libyaml: true
six: 1.17.0
"""


@pytest.fixture(scope="module")
def bazel(tmp_path_factory):
    instance = Bazel(APP, tmp_path_factory.mktemp("output_base"))
    yield instance
    instance.shutdown()


@pytest.fixture(scope="module")
def built(bazel, tmp_path_factory):
    """Each platform's PEX, copied out of bazel-bin after its build."""
    keep = tmp_path_factory.mktemp("pexes")
    pexes = {}
    for platform in PLATFORMS:
        bazel.build("//app:app_pex", platform=platform)
        pexes[platform] = keep / f"{platform}.pex"
        shutil.copy(bazel.output("app/app_pex.pex"), pexes[platform])
    return pexes


@pytest.mark.parametrize("platform", PLATFORMS)
def test_every_wheel_in_the_pex_is_the_targets(built, platform):
    described = target.from_spec(SPECS[platform], "3.11")
    distributions = sorted(pex_info(built[platform])["distributions"])
    assert deps_in(built[platform]) == distributions
    names = set()
    for filename in distributions:
        name, _, _, tags = parse_wheel_filename(filename)
        names.add(name)
        assert any(described.accepts(tag) for tag in tags), (platform, filename)
    expected = {"click", "msgpack", "python-dateutil", "pyyaml", "six"}
    if platform.startswith("windows"):
        expected.add("colorama")  # click needs it on Windows only
    assert names == expected
    native = [d for d in distributions if not d.endswith("-none-any.whl")]
    assert len(native) == 2, native


def test_linux_x86_64_pex_runs(built, tmp_path):
    python = shutil.which("python3.11")
    assert python, "python3.11 runs the linux_x86_64 PEX"
    env = {"PATH": os.environ["PATH"], "PEX_ROOT": str(tmp_path / "pex_root")}
    done = subprocess.run(
        [python, str(built["linux_x86_64"])], capture_output=True, text=True, env=env
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout == EXPECTED_OUTPUT


def test_wrong_platform_wheel_fails_the_build(bazel):
    done = bazel.build("//app:wrong_platform_pex", platform="macos_arm64", check=False)
    assert done.returncode != 0
    assert (
        "PyYAML-6.0.2-cp311-cp311-manylinux_2_17_x86_64.manylinux2014_x86_64.whl: "
        "cannot run on target macos_arm64 (CPython 3.11)"
    ) in done.stderr
    assert "the target's most specific tags are cp311-cp311-macosx_14_0_arm64" in done.stderr
    assert "fix: depend on the pyyaml wheel built for macos_arm64" in done.stderr


def test_another_checkout_and_output_base_give_identical_bytes(built, tmp_path):
    """Same sources at another path, fresh output base: byte-identical PEXes."""
    copy = tmp_path / "elsewhere" / "app"
    shutil.copytree(APP, copy, ignore=shutil.ignore_patterns("bazel-*"))
    workspace = (copy / "WORKSPACE").read_text()
    (copy / "WORKSPACE").write_text(workspace.replace('path = "../.."', f'path = "{ROOT}"'))
    other = Bazel(copy, tmp_path / "other_output_base")
    try:
        for platform in ("linux_x86_64", "macos_arm64"):
            other.build("//app:app_pex", platform=platform)
            rebuilt = other.output("app/app_pex.pex").read_bytes()
            assert rebuilt == built[platform].read_bytes(), platform
    finally:
        other.shutdown()
