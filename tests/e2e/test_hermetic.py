"""The PEX action is hermetic: no inherited environment, no network, and nothing read but
its declared inputs and the exec interpreter's own installation."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

from bazel import Bazel, action_inputs
from conftest import copy_of_app
from support import ROOT

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
CALL = re.compile(r'^\d+\s+\w+\((?:AT_FDCWD, )?"([^"]*)".*\) = (-?\d+)', re.M)


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


def test_pex_action_reads_only_declared_inputs_without_network(tmp_path):
    workspace = copy_of_app(tmp_path / "app")
    bazel = Bazel(workspace, tmp_path / "output_base")
    try:
        bazel.run("fetch", "//app:app_macos_arm64")
        interpreter = bazel.exec_python()
        prefix = subprocess.run(
            [interpreter, "-c", "import sys; print(sys.base_prefix)"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        traces = tmp_path / "traces"
        traces.mkdir()
        wrapper = tmp_path / "traced-python"
        wrapper.write_text(
            "#!/bin/sh\n"
            f'exec strace -f -qq -e trace=%file,%network -o "{traces}/trace.$$" '
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
        flags = [
            "--spawn_strategy=linux-sandbox",
            "--nosandbox_default_allow_network",
            # The one path the traced actions may write outside their sandbox: the traces.
            f"--sandbox_writable_path={traces}",
            "--extra_toolchains=//traced:toolchain",
        ]
        bazel.run("build", *flags, "//app:app_macos_arm64")
        aquery = bazel.aquery('mnemonic("PexAssemble", deps(//app:app_macos_arm64))', *flags)
        (action,) = aquery["actions"]
        execroot = Path(bazel.run("info", "execution_root").stdout.strip())
        inputs = [execroot / p for p in action_inputs(aquery, action)]
        declared = {p.resolve() for p in inputs}
        # Resolving a path looks at each directory above it.
        allowed_dirs = {d for p in [*inputs, *declared, Path(prefix)] for d in p.parents}
        sandbox = bazel.output_base / "sandbox"

        logs = sorted(traces.iterdir())
        assert logs, "the traced assembler ran"
        touched, connects = set(), []
        for log in logs:
            text = log.read_text()
            connects += [line for line in text.splitlines() if "connect(" in line]
            for path, result in CALL.findall(text):
                if int(result) >= 0 and path.startswith("/"):
                    touched.add(Path(path))
        assert not [c for c in connects if "AF_INET" in c], connects
        outside = sorted(
            str(p)
            for p in touched
            if not (
                p in declared
                or p in allowed_dirs
                or p.is_relative_to(sandbox)
                or p.is_relative_to(prefix)
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
