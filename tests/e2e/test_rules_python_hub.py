"""A real rules_python pip hub as crosspex's input: Debian's rules_python 0.22.1 under
Bazel 7.7.1 installs the wheels with pip at fetch time (`pip.parse`), and crosspex takes its
installed `:pkg` trees and its `:whl` files.

Offline, two things need a hand: rules_python's own pinned wheels (`internal_deps`), fetched
here with pip and checked against rules_python's sha256 pins, served with `--distdir`; and
its pinned pip and setuptools, too old for the Python 3.14 of Debian's root, replaced by
newer ones through `--override_repository`.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

import pytest
from packaging.utils import parse_wheel_filename

from harness.app import run_pex
from harness.bazel import Bazel, action_inputs, bazel_command, pex_info
from harness.support import E2E_REQUIREMENTS, ROOT, find_python

# Versions that run on the Python of Debian's root, for what rules_python pins too old.
NEWER = {"pip": "25.3", "setuptools": "80.9.0"}
PACKAGES = ("click", "python-dateutil", "six")
DISTRIBUTIONS = [
    "click-8.1.7-py3-none-any.whl",
    "python_dateutil-2.9.0.post0-py2.py3-none-any.whl",
    "six-1.17.0-py2.py3-none-any.whl",
]
# What rules_python puts in the BUILD file of each of its own wheels' repositories.
WHEEL_BUILD = """\
load("@rules_python//python:defs.bzl", "py_library")

package(default_visibility = ["//visibility:public"])

py_library(
    name = "lib",
    srcs = glob(["**/*.py"]),
    data = glob(["**/*"], exclude = ["**/*.py", "**/* *", "BUILD.bazel", "REPO.bazel"]),
    imports = ["."],
)
"""


def _pip_download(requirement: str, dest: Path) -> Path:
    """One wheel, with pip and its own index configuration, moved into `dest`."""
    with tempfile.TemporaryDirectory() as scratch:
        command = [sys.executable, "-m", "pip", "download", "--quiet", "--no-deps"]
        command += ["--only-binary=:all:", "--dest", scratch, requirement]
        subprocess.run(command, check=True, capture_output=True)
        (wheel,) = Path(scratch).glob("*.whl")
        return Path(shutil.move(str(wheel), dest / wheel.name))


def _internal_deps(sysroot: Path, distdir: Path) -> None:
    """rules_python's pinned wheels, by the sha256 it pins, in a --distdir."""
    pins = sysroot / "usr/share/bazel/rules/python/python/pip_install/repositories.bzl"
    found = re.findall(
        r'"(pypi__\w+)",\s*"[^"]*/([^"/]+\.whl)",\s*"([0-9a-f]{64})"', pins.read_text()
    )
    assert len(found) == 14, found
    for _, filename, sha256 in found:
        wheel = distdir / filename
        if not wheel.exists():
            name, version, _, _ = parse_wheel_filename(filename)
            _pip_download(f"{name}=={version}", distdir)
        assert hashlib.sha256(wheel.read_bytes()).hexdigest() == sha256, filename


def _unpacked(requirement: str, cache: Path) -> Path:
    """A wheel unpacked as rules_python would unpack it into a repository of its own."""
    directory = cache / requirement.replace("==", "-")
    if not (directory / "REPO.bazel").exists():
        cache.mkdir(parents=True, exist_ok=True)
        with zipfile.ZipFile(_pip_download(requirement, cache)) as wheel:
            wheel.extractall(directory)
        (directory / "BUILD.bazel").write_text(WHEEL_BUILD)
        (directory / "REPO.bazel").write_text("")
    return directory


def _requirements() -> str:
    entries = re.split(r"\n(?=\S)", E2E_REQUIREMENTS.read_text())
    return "\n".join(e for e in entries if e.split("==")[0] in PACKAGES) + "\n"


@pytest.fixture(scope="module")
def hub_bazel(tmp_path_factory):
    sysroot = Path(bazel_command()).parent / "root"
    cache = Path(os.environ.get("CROSSPEX_CACHE", ROOT / ".cache")) / "rules_python_0.22.1"
    distdir = cache / "distdir"
    distdir.mkdir(parents=True, exist_ok=True)
    _internal_deps(sysroot, distdir)
    flags = [f"--distdir={distdir}"]
    for name, version in NEWER.items():
        repository = f"rules_python~~internal_deps~pypi__{name}"
        flags.append(f"--override_repository={repository}={_unpacked(f'{name}=={version}', cache)}")

    module = tmp_path_factory.mktemp("hub") / "module"
    module.mkdir()
    (module / "requirements.txt").write_text(_requirements())
    (module / "main.py").write_text((ROOT / "e2e" / "app" / "adapters" / "main.py").read_text())
    (module / ".bazelrc").write_text((ROOT / "e2e" / "app" / ".bazelrc").read_text())
    (module / "MODULE.bazel").write_text(f"""\
bazel_dep(name = "crosspex", version = "0.1.0")
local_path_override(module_name = "crosspex", path = "{ROOT}")
bazel_dep(name = "rules_python", version = "0.22.1")

pip = use_extension("@rules_python//python/extensions:pip.bzl", "pip")
pip.parse(
    name = "pypi",
    incompatible_generate_aliases = True,
    python_interpreter = "/usr/bin/python3",
    requirements_lock = "//:requirements.txt",
)
use_repo(pip, "pypi")
""")
    (module / "BUILD.bazel").write_text("""\
load("@crosspex//py:defs.bzl", "py_pex_binary")

py_pex_binary(
    name = "installed_pex",
    srcs = ["main.py"],
    main = "main.py",
    deps = ["@pypi//click:pkg", "@pypi//python_dateutil:pkg"],
)

py_pex_binary(
    name = "whl_pex",
    srcs = ["main.py"],
    main = "main.py",
    deps = ["@pypi//click:whl", "@pypi//python_dateutil:whl", "@pypi//six:whl"],
)
""")
    bazel = Bazel(module, tmp_path_factory.mktemp("hub_output_base"), flags=flags)
    bazel.build("//:all")
    yield bazel
    bazel.shutdown()


@pytest.mark.parametrize("name", ["installed_pex", "whl_pex"])
def test_rules_python_hub_targets_become_distributions(hub_bazel, name, tmp_path):
    pex = hub_bazel.output(f"{name}.pex")
    assert sorted(pex_info(pex)["distributions"]) == DISTRIBUTIONS
    with zipfile.ZipFile(pex) as archive:
        loose = [n for n in archive.namelist() if n.split("/")[0] in ("six.py", "click")]
    assert loose == []
    done = run_pex(find_python("3.11"), pex, tmp_path)
    assert done.returncode == 0, done.stderr
    assert done.stdout == "click installed\ndateutil installed\nsix installed\n"


def test_rules_python_hub_work_is_done_per_dependency(hub_bazel):
    """Each installed `:pkg` is packed into wheels by its own action, and each `:whl` checked
    by its own; the PEX actions read those, never the installed files."""
    graph = hub_bazel.aquery("deps(//:all)")
    actions = {}
    for action in graph["actions"]:
        actions.setdefault(action["mnemonic"], []).append(action_inputs(graph, action))
    # click, dateutil and six (dateutil's dependency) each packed once, and each checked once.
    assert (len(actions["PexRepack"]), len(actions["PexWheelCheck"])) == (3, 3)
    for inputs in actions["PexAssemble"]:
        assert not [p for p in inputs if "/site-packages/" in p and ".crosspex/" not in p]
