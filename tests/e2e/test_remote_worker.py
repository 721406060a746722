"""The test worker itself (tests/harness/remote/worker.py), driven by Bazel 7 through
BuildGrid: what an action sees in its root, what comes back of it, and a worker stopped in the
middle of one."""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path

import pytest

from harness.bazel import Bazel
from harness.support import ROOT

BUILD = """\
load(":defs.bzl", "tree")

platform(
    name = "worker",
    exec_properties = {{"OSFamily": "linux", "ISA": "x86-64", "rootfs": "debian-sid"}},
)

genrule(
    name = "files",
    outs = ["out.txt", "tool.sh"],
    cmd = "echo hello > $(location out.txt); printf '#!/bin/sh\\\\n' > $(location tool.sh); " +
          "chmod 755 $(location tool.sh)",
)

genrule(
    name = "root",
    outs = ["root.txt"],
    cmd = "ls / > $@; if test -e {checkout}; then echo checkout >> $@; fi; " +
          "env | cut -d= -f1 | sort >> $@",
)

genrule(
    name = "network",
    outs = ["network.txt"],
    cmd = "python3 -c 'import socket; socket.create_connection((\\"127.0.0.1\\", {port}), 5)' " +
          "2> $@ && echo connected >> $@ || echo refused >> $@",
)

genrule(
    name = "fails",
    outs = ["never.txt"],
    cmd = "echo doomed on purpose >&2; exit 3",
)

genrule(
    name = "slow",
    outs = ["slow.txt"],
    cmd = "sleep 8; echo done > $@",
)

tree(name = "tree")
"""

DEFS = """\
def _tree_impl(ctx):
    out = ctx.actions.declare_directory(ctx.label.name)
    ctx.actions.run(
        executable = "/bin/sh",
        arguments = [
            "-c",
            "mkdir -p $1/sub && echo leaf > $1/sub/leaf.txt && echo top > $1/top.txt",
            "-",
            out.path,
        ],
        outputs = [out],
    )
    return [DefaultInfo(files = depset([out]))]

tree = rule(implementation = _tree_impl)
"""


@pytest.fixture(scope="module")
def workspace(tmp_path_factory, remote_service):
    root = tmp_path_factory.mktemp("worker_test")
    (root / "MODULE.bazel").write_text('module(name = "worker_test")\n')
    (root / "defs.bzl").write_text(DEFS)
    port = remote_service.address.rsplit(":", 1)[1]
    (root / "BUILD.bazel").write_text(BUILD.format(checkout=ROOT, port=port))
    return root


def _bazel(workspace: Path, output_base: Path, service) -> Bazel:
    return Bazel(
        workspace,
        output_base,
        flags=(
            f"--remote_executor={service.address}",
            "--extra_execution_platforms=//:worker",
            "--noremote_accept_cached",
            "--jobs=16",
        ),
    )


def test_outputs_come_back_as_written(workspace, remote_service, tmp_path):
    bazel = _bazel(workspace, tmp_path / "output_base", remote_service)
    try:
        built = bazel.build("//:files", "//:tree")
        out, tool, tree = bazel.output("out.txt"), bazel.output("tool.sh"), bazel.output("tree")
        assert out.read_text() == "hello\n"
        assert tool.read_text() == "#!/bin/sh\n" and os.access(tool, os.X_OK)
        assert (tree / "sub" / "leaf.txt").read_text() == "leaf\n"
        assert (tree / "top.txt").read_text() == "top\n"
    finally:
        bazel.shutdown()
    assert re.search(r"processes: .*2 remote", built.stderr), built.stderr


def test_an_action_sees_only_its_root_and_no_network(workspace, remote_service, tmp_path):
    bazel = _bazel(workspace, tmp_path / "output_base", remote_service)
    try:
        bazel.build("//:root", "//:network")
        seen = bazel.output("root.txt").read_text().split()
        network = bazel.output("network.txt").read_text()
    finally:
        bazel.shutdown()
    # The Debian root's /usr and /etc, its merged-/usr links, a fresh /tmp, and the inputs.
    listing = seen[: seen.index("usr") + 1]
    assert listing == ["bin", "dev", "etc", "lib", "lib64", "proc", "remote", "sbin", "tmp", "usr"]
    assert "checkout" not in seen
    # Only what Bazel asked for (genrule's PATH) and what the shell sets itself.
    variables = set(seen[len(listing) :])
    assert variables <= {"PATH", "PWD", "SHLVL", "_", "OLDPWD"}, variables
    assert network.endswith("refused\n"), network


def test_a_failing_action_reports_its_exit_code_and_stderr(workspace, remote_service, tmp_path):
    bazel = _bazel(workspace, tmp_path / "output_base", remote_service)
    try:
        failed = bazel.build("//:fails", check=False)
    finally:
        bazel.shutdown()
    assert failed.returncode == 1
    assert "(Exit 3)" in failed.stderr and "doomed on purpose" in failed.stderr, failed.stderr


def test_a_stopped_worker_hands_its_action_back(workspace, remote_service, tmp_path):
    bazel = _bazel(workspace, tmp_path / "output_base", remote_service)
    before = remote_service.actions_started()
    build = subprocess.Popen(
        bazel.command("build", "//:slow"),
        cwd=workspace, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        victim = remote_service.wait_for_an_action(before, build)
        lease = re.findall(r"lease (\S+) accepted", remote_service.worker_log(victim))[-1]
        # The action sleeps for 8 s: it is still running when the worker is told to stop.
        remote_service.stop(f"worker-{victim}")
        _, stderr = build.communicate(timeout=300)
        stopped = remote_service.worker_log(victim)
        remote_service.start_worker(victim)
        assert build.returncode == 0, stderr[-3000:]
        assert bazel.output("slow.txt").read_text() == "done\n"
    finally:
        if build.poll() is None:
            build.kill()
        bazel.shutdown()
    assert f"lease {lease} UNAVAILABLE" in stopped, stopped[-2000:]
    again = [i for i in range(4) if f"lease {lease} OK" in remote_service.worker_log(i)]
    assert len(again) == 1 and again != [victim], again
