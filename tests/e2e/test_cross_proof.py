"""Each platform's PEX proven as that platform allows: run here, under qemu, or checked
statically (binary formats of every native extension) and against pex's own resolver."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from harness.app import EXPECTED_OUTPUT, PYTHON_VERSIONS, SPECS, run_pex
from harness.bazel import action_inputs, pex_info
from harness.binary_format import EXPECTED, binary_format
from harness.support import aarch64_python, find_python
from pex_assembler import target

NATIVE_SUFFIXES = (".so", ".pyd", ".dylib", ".dll")
TOP_LEVEL = [
    "click==8.1.7",
    "msgpack==1.1.0",
    "python-dateutil==2.9.0.post0",
    "PyYAML==6.0.2",
    "six==1.17.0",
]


def native_extensions(pex: Path):
    """(wheel, member, bytes) for every native library inside every wheel of the PEX."""
    with zipfile.ZipFile(pex) as outer:
        for name in outer.namelist():
            if name.startswith(".deps/") and name.endswith(".whl"):
                with zipfile.ZipFile(outer.open(name)) as wheel:
                    for member in wheel.namelist():
                        if member.endswith(NATIVE_SUFFIXES):
                            yield name.split("/")[1], member, wheel.read(member)


@pytest.mark.parametrize("name", [f"app_{p}" for p in SPECS] + ["packer_windows_arm64"])
def test_native_extensions_have_the_targets_binary_format(matrix, name, tmp_path):
    platform = name.split("_", 1)[1]
    (expected_format, file_says) = EXPECTED[platform]
    found = list(native_extensions(matrix[name]))
    assert len(found) >= (1 if name.startswith("packer") else 2), found
    for wheel, member, data in found:
        assert binary_format(data) == expected_format, (wheel, member)
        extracted = tmp_path / Path(member).name
        extracted.write_bytes(data)
        described = subprocess.run(["file", "-b", str(extracted)], capture_output=True, text=True)
        assert file_says in described.stdout, (wheel, member, described.stdout)
        if platform.startswith("macos"):
            arch = "arm64" if platform.endswith("arm64") else "x86_64"
            assert arch in described.stdout, described.stdout


def test_linux_aarch64_pex_runs_under_qemu(matrix, tmp_path):
    """Debian's arm64 CPython 3.11 under qemu-user imports the aarch64 C extensions."""
    done = run_pex(aarch64_python(), matrix["app_linux_aarch64"], tmp_path)
    assert done.returncode == 0, done.stderr
    assert done.stdout == EXPECTED_OUTPUT  # msgpack._cmsgpack and libyaml were loaded


@pytest.mark.parametrize("version", PYTHON_VERSIONS)
def test_linux_x86_64_pex_runs_on_each_python(matrix, version, tmp_path):
    pex = matrix[f"app_by_python_linux_x86_64_py{version.replace('.', '')}"]
    info = pex_info(pex)
    assert info["interpreter_constraints"] == [f"CPython=={version}.*"]
    assert pex.read_bytes().startswith(f"#!/usr/bin/env python{version}\n".encode())
    abi = f"cp{version.replace('.', '')}"
    native = [d for d in info["distributions"] if not d.endswith("-none-any.whl")]
    assert native and all(f"-{abi}-{abi}-" in d for d in native), native
    done = run_pex(find_python(version), pex, tmp_path)
    assert done.returncode == 0, done.stderr
    assert done.stdout == EXPECTED_OUTPUT


def test_shebang_and_constraints_can_be_overridden(app_bazel):
    app_bazel.build("//app:custom_interpreter_pex")
    pex = app_bazel.output("app/custom_interpreter_pex.pex")
    assert pex.read_bytes().startswith(b"#!/opt/python/bin/python3\n")
    assert pex_info(pex)["interpreter_constraints"] == ["CPython<3.14,>=3.10"]


@pytest.fixture(scope="module")
def every_wheel(app_bazel, tmp_path_factory) -> Path:
    """All wheels the example fetched, for every platform and Python, in one directory."""
    pool = tmp_path_factory.mktemp("every_wheel")
    # Each wheel is fetched when a build needs it; a query follows every select() branch.
    app_bazel.run("query", *app_bazel.flags, "deps(@wheels//:all)")
    for wheel in app_bazel.wheel_files():
        shutil.copy(wheel, pool / wheel.name)
    assert len(list(pool.iterdir())) > 50
    return pool


@pytest.mark.parametrize(
    "platform",
    ["macos_arm64", "macos_x86_64", "windows_x86_64", "linux_x86_64_musl", "linux_aarch64"],
)
def test_distributions_equal_what_pex_resolves(matrix, every_wheel, platform, tmp_path):
    """pex's own resolver, given the same wheels and target, picks the same distributions."""
    complete_platform = tmp_path / "platform.json"
    described = target.from_spec(SPECS[platform], "3.11")
    complete_platform.write_text(json.dumps(described.to_complete_platform()))
    oracle = tmp_path / "oracle.pex"
    pex_cli = Path(sys.executable).parent / "pex"
    subprocess.run(
        [
            str(pex_cli),
            "--no-pypi",
            "--find-links",
            str(every_wheel),
            "--complete-platform",
            str(complete_platform),
            "--no-build",
            "--pex-root",
            str(tmp_path / "pex_root"),
            "-o",
            str(oracle),
            *TOP_LEVEL,
        ],
        check=True,
        capture_output=True,
        text=True,
    )
    assert sorted(pex_info(oracle)["distributions"]) == sorted(
        pex_info(matrix[f"app_{platform}"])["distributions"]
    )


@pytest.mark.parametrize("platform", ["macos_arm64", "windows_x86_64"])
def test_pex_builds_where_a_target_configured_py_binary_cannot(app_bazel, platform):
    """rules_py issue 625: the graph carries a py_binary with a host-only launcher."""
    naive = app_bazel.build("//regression:naive_pex", platform=platform, check=False)
    assert naive.returncode != 0, "repackaging the py_binary must fail for a foreign OS"
    # The C++ toolchain the py_binary needs for the target platform.
    assert (
        f"Unable to find a CC toolchain using toolchain resolution. Target: "
        f"@@bazel_tools//tools/cpp:current_cc_toolchain, Platform: @@crosspex~//py/platforms:"
        f"{platform}" in naive.stderr
    ), naive.stderr[-3000:]
    app_bazel.build("//regression:app_pex", platform=platform)

    flags = [f"--platforms=@crosspex//py/platforms:{platform}"]
    in_target_config = app_bazel.run(
        "cquery", *flags, "deps(//regression:app_pex) except //regression:app_pex"
    ).stdout
    assert "host_only_launcher" not in in_target_config
    assert "app_bin" not in in_target_config
    # The assembler is the toolchain's; what it runs is the exec Python (checked below).
    assert "crosspex_exec_python//:assembler " in in_target_config
    binaries = app_bazel.run(
        "cquery",
        *flags,
        'kind(".*_binary|.*_test|genrule", deps(//regression:app_pex)) except //regression:app_pex',
    ).stdout
    assert binaries.strip() == "", binaries

    aquery = app_bazel.aquery('mnemonic("PexAssemble", //regression:app_pex)', *flags)
    (action,) = aquery["actions"]
    # /bin/sh checks the exec Python is there, then becomes it.
    assert action["arguments"][0] == "/bin/sh"
    assert action["arguments"][3] == app_bazel.exec_python(), "the exec Python runs the assembler"
    generated = {p for p in action_inputs(aquery, action) if p.startswith("bazel-out/")}
    # Besides its manifest and the shared skeleton of the default options (PexSkeleton), the
    # action reads only the wheels' records (PexWheelCheck outputs).
    records = {p for p in generated if p.endswith(".crosspex.json")}
    assert len(records) == 4, records  # msgpack, python-dateutil, pyyaml, six
    site = f"external/{app_bazel.external('crosspex_exec_python').name}/site/"
    pex_files = [p for p in action_inputs(aquery, action) if p.startswith(site + "pex")]
    assert [p for p in action_inputs(aquery, action) if p.startswith(site + "packaging")]
    assert pex_files == [], "a zipapp is completed without pex"
    assert sorted(Path(p).name for p in generated - records) == [
        "app_pex.pex_manifest.json",
        "default_skeleton.pex_skeleton",
    ], generated
