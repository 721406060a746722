"""The PEX action is hermetic: no inherited environment, no network, and nothing read but
its declared inputs and the exec interpreter's own installation."""

from __future__ import annotations

import json
import os
import re
from pathlib import Path
from typing import Set

import pytest

from harness.app import copy_of_app
from harness.bazel import Bazel, action_inputs, action_outputs
from harness.support import ROOT

ACTION_ENV = {"PYTHONPATH", "PYTHONHASHSEED", "PYTHONUTF8", "LC_ALL"}

# What any dynamically linked program on Linux reads of the host, and pex's probe of the host
# libc (it runs ldd and uname): none of it can change the PEX, which the byte-identical builds
# under another exec Python show.
SYSTEM = (
    "/lib/",
    "/lib64/",
    "/usr/lib/",
    "/usr/lib64/",
    "/dev/",
    "/proc/",
    "/sys/",
    "/etc/ld.so.cache",
    "/etc/localtime",
    "/etc/nsswitch.conf",
    "/etc/passwd",
    "/bin/ldd",
    "/bin/uname",
    "/usr/bin/ldd",
    "/usr/bin/uname",
    "/bin/sh",
    "/usr/bin/sh",
    "/bin/bash",
    "/usr/bin/bash",
    "/usr/share/locale/",
    "/usr/lib/locale/",
)
# A traced call under `strace -y`: the directory its descriptor names, the path, the result.
CALL = re.compile(r'^(\d+)\s+\w+\((?:(?:AT_FDCWD|\d+)<([^>]*)>, )?"([^"]*)".*\) = (-?\d+)', re.M)


def test_no_rule_inherits_the_shell_environment():
    for source in sorted((ROOT / "py").rglob("*.bzl")):
        text = source.read_text()
        assert "use_default_shell_env" not in text, source
        assert "run_shell" not in text, source


def test_pex_actions_have_only_their_own_environment(app_bazel):
    aquery = app_bazel.aquery(
        'mnemonic("Pex(Assemble|Skeleton|WheelCheck|Repack)", deps(//app:all + //adapters:all))'
    )
    mnemonics = {a["mnemonic"] for a in aquery["actions"]}
    assert mnemonics == {"PexAssemble", "PexSkeleton", "PexWheelCheck", "PexRepack"}, mnemonics
    for action in aquery["actions"]:
        assert {v["key"] for v in action["environmentVariables"]} == ACTION_ENV
        assert "block-network" in {i["key"] for i in action.get("executionInfo", [])}


# Run by the traced wrapper where the actions run (the exec Python may differ from the
# host's): what the exec Python may read of its own installation, its executable, standard
# library and shared library, not the whole prefix it lives in (`/usr` on Debian); and its
# site-packages directories, which pex looks at (but into none of them: -S keeps them off
# sys.path).
OWN_FILES = """\
import json, os, site, sys, sysconfig
config = sysconfig.get_config_var
lib = os.path.join(config("LIBDIR") or "", config("LDLIBRARY") or "")
own = [sys.executable, os.path.realpath(sys.executable), lib, os.path.realpath(lib),
       sysconfig.get_path("stdlib"), sysconfig.get_path("platstdlib")]
print(json.dumps({"files": own, "site_dirs": site.getsitepackages()}))
"""


def _traced_paths(text: str) -> Set[Path]:
    """Absolute paths of the calls that succeeded. A relative one is joined to the directory
    strace -y names for its descriptor, or for calls without one (stat, rename, mkdir) to the
    working directory the same process shows for AT_FDCWD."""
    cwd = dict(re.findall(r"^(\d+)\s.*?AT_FDCWD<([^>]*)>", text, re.M))
    assert not re.search(r"^\d+\s+f?chdir\(", text, re.M), "the assembler changes directory"
    paths = set()
    for pid, directory, path, result in CALL.findall(text):
        if int(result) < 0:
            continue
        if not path.startswith("/"):
            directory = directory or cwd.get(pid, "")
            assert directory, f"process {pid} opens {path} with no directory known"
            path = os.path.join(directory, path)
        paths.add(Path(os.path.normpath(path)))
    return paths


@pytest.mark.parametrize("strategy", ["linux-sandbox", "worker"])
def test_pex_actions_read_only_declared_inputs_without_network(tmp_path, strategy):
    """Traced in a sandbox and in the default strategy, where the pex-free actions run in one
    persistent worker process in the execroot, serving many actions."""
    workspace = copy_of_app(tmp_path / "app")
    bazel = Bazel(workspace, tmp_path / "output_base")
    target = "//app:app_macos_arm64"
    try:
        bazel.run("fetch", target)
        interpreter = bazel.exec_python()
        traces = tmp_path / "traces"
        traces.mkdir()
        (tmp_path / "own_files.py").write_text(OWN_FILES)
        own = traces / "own_files.json"
        wrapper = tmp_path / "traced-python"
        wrapper.write_text(
            "#!/bin/sh\n"
            f'[ -e "{own}" ] || {{ "{interpreter}" "{tmp_path}/own_files.py" > "{own}.$$" && '
            f'mv "{own}.$$" "{own}"; }}\n'
            f'exec strace -f -qq -y -e trace=%file,%network -o "{traces}/trace.$$" '
            f'"{interpreter}" "$@"\n'
        )
        wrapper.chmod(0o755)
        (workspace / "traced").mkdir()
        (workspace / "traced" / "BUILD.bazel").write_text(f"""\
load("@crosspex//py:toolchains.bzl", "pex_assembler_toolchain")

pex_assembler_toolchain(
    name = "assembler",
    interpreter_path = "{wrapper}",
    libraries = "@crosspex//py/toolchains:assembler_libraries",
)

toolchain(
    name = "toolchain",
    exec_compatible_with = ["@platforms//os:linux"],
    toolchain = ":assembler",
    toolchain_type = "@crosspex//py/toolchains:assembler_toolchain_type",
)
""")
        flags = ["--extra_toolchains=//traced:toolchain"]
        if strategy == "linux-sandbox":
            flags += [
                "--spawn_strategy=linux-sandbox",
                "--nosandbox_default_allow_network",
                # The one path the traced actions may write outside their sandbox.
                f"--sandbox_writable_path={traces}",
            ]
        built = bazel.run("build", *flags, target).stderr
        assert ("worker" in re.search(r"processes: .*", built).group(0)) == (
            strategy == "worker"
        ), built
        aquery = bazel.aquery(f'mnemonic("Pex.*", deps({target}))', *flags)
        execroot = Path(bazel.run("info", "execution_root").stdout.strip())
        inputs = {execroot / p for a in aquery["actions"] for p in action_inputs(aquery, a)}
        declared = inputs | {p.resolve() for p in inputs}
        outputs = {execroot / o for a in aquery["actions"] for o in action_outputs(aquery, a)}
        installation = json.loads(own.read_text())
        own_files = [Path(p) for p in installation["files"]]
        site_dirs = {Path(p) for p in installation["site_dirs"]}
        # Resolving a path looks at each directory above it.
        allowed_dirs = {d for p in [*declared, *outputs, *own_files] for d in p.parents}
        allowed_dirs |= site_dirs | {d for p in site_dirs for d in p.parents}
        # Outputs are written in a temporary file or directory beside them, then renamed.
        partial = {(o.parent, f".{o.name}.") for o in outputs}
        sandbox = bazel.output_base / "sandbox"
        # Persistent workers live until the server stops; strace writes their last calls then.
        bazel.shutdown()

        logs = sorted(traces.glob("trace.*"))
        assert logs, "the traced assembler ran"
        touched, connects = set(), []
        for log in logs:
            text = log.read_text()
            connects += [line for line in text.splitlines() if "connect(" in line]
            touched |= _traced_paths(text)
        assert not [c for c in connects if "AF_INET" in c], connects
        # The worker reads relative paths in the execroot; the walk above resolved them.
        assert strategy != "worker" or any(p.is_relative_to(execroot) for p in touched)
        outside = sorted(
            str(p)
            for p in touched
            if not (
                p in declared
                or p in outputs
                or any(
                    q.parent == d and q.name.startswith(n)
                    for q in [p, *p.parents]
                    for d, n in partial
                )
                or p in allowed_dirs
                or p.is_relative_to(sandbox)
                or p.is_relative_to(tmp_path / "traces")
                or any(p == f or p.is_relative_to(f) for f in own_files)
                or str(p).startswith(SYSTEM)
            )
        )
        assert outside == [], outside
    finally:
        bazel.shutdown()


def test_pex_free_actions_run_in_a_worker_and_write_what_the_sandbox_writes(tmp_path):
    workspace = copy_of_app(tmp_path / "app")
    bazel = Bazel(workspace, tmp_path / "output_base")
    target = "//app:app_linux_x86_64"
    try:
        default = bazel.build(target).stderr
        assert re.search(r"processes: .*\d+ worker", default), default
        pex = bazel.output("app/app_linux_x86_64.pex")
        by_worker = pex.read_bytes()
        aquery = bazel.aquery(f'mnemonic("PexAssemble|PexWheelCheck", deps({target}))')
        for action in aquery["actions"]:
            info = {i["key"]: i.get("value", "") for i in action.get("executionInfo", [])}
            assert info.get("supports-workers") == "1", action["mnemonic"]
            assert info.get("requires-worker-protocol") == "json", action["mnemonic"]

        bazel.run("clean")
        sandboxed = bazel.build(
            target,
            "--strategy=PexAssemble=linux-sandbox",
            "--strategy=PexWheelCheck=linux-sandbox",
        ).stderr
        assert "worker" not in re.search(r"processes: .*", sandboxed).group(0), sandboxed
        assert pex.read_bytes() == by_worker
    finally:
        bazel.shutdown()
