"""Remote execution on a real Remote Execution API service: BuildGrid with PostgreSQL on
loopback and four workers of tests/harness/remote/worker.py, each running actions in a Debian
root of its own (bubblewrap), where /usr/bin/python3 is the Python and no path of this machine
exists.

The client's own assembler toolchain names this machine's Python (CROSSPEX_PYTHON), which no
worker has: only e2e/app's //remote:worker platform and its registered toolchain make the
builds work, and every PEX action runs remotely."""

from __future__ import annotations

import hashlib
import os
import re
import signal
import subprocess
import sys
from pathlib import Path
from typing import Dict

import pytest

from harness.app import copy_of_app, matrix_names
from harness.bazel import PEX_MNEMONICS, Bazel, pex_spawns
from harness.remote.service import Service
from harness.support import ROOT
from harness.workspace import write_assembler_toolchain

# The matrix, and the adapters' per-dependency actions (installed trees repacked).
TARGETS = ["//app:all", "//packer:all", "//adapters:all"]
LOAD_PLATFORMS = ["linux_x86_64", "linux_aarch64", "macos_arm64", "macos_x86_64", "windows_x86_64"]


def _host_python() -> str:
    """This machine's Python, by a path only it has: the client's default toolchain."""
    return os.path.realpath(sys.executable)


def _remote(workspace: Path, output_base: Path, service: Service) -> Bazel:
    return Bazel(
        workspace,
        output_base,
        env={**os.environ, "CROSSPEX_PYTHON": _host_python()},
        flags=(
            f"--remote_executor={service.address}",
            "--extra_execution_platforms=//remote:worker",
            # Well above the cores: remote work is waiting on the network, not on this CPU.
            "--jobs=64",
        ),
    )


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _remote_count(stderr: str) -> int:
    summary = re.search(r"INFO: \d+ processes: (.*)", stderr)
    assert summary, stderr
    found = re.search(r"(\d+) remote(?! cache)", summary.group(1))
    return int(found.group(1)) if found else 0


@pytest.fixture(scope="module")
def remote_app(remote_service, tmp_path_factory):
    """One checkout and output base for the builds below: its wheels are fetched once. Each
    build cleans first, so that its actions run again."""
    base = tmp_path_factory.mktemp("remote_app")
    bazel = _remote(copy_of_app(base / "app"), base / "output_base", remote_service)
    yield bazel
    bazel.shutdown()


def test_the_matrix_builds_remotely_with_the_local_bytes(
    remote_service, remote_app, matrix, tmp_path
):
    built = remote_app.build(f"--execution_log_json_file={tmp_path / 'first.json'}", *TARGETS)
    bin_dir = remote_app.output("")
    remote = {n.split("/")[1]: _sha256(bin_dir / f"{n}.pex") for n in matrix_names()}
    aquery = remote_app.aquery('mnemonic("PexAssemble", //app:app_pex)')
    spawns = pex_spawns(tmp_path / "first.json")
    mnemonics = sorted(s["mnemonic"] for s in spawns)
    assert set(mnemonics) == set(PEX_MNEMONICS), mnemonics
    # Each one ran on a worker: none locally, none from a cache.
    assert {s["runner"] for s in spawns} == {"remote"}, {s["runner"] for s in spawns}
    assert _remote_count(built.stderr) >= len(spawns)
    # The worker's toolchain ran them: its Python, not this machine's.
    (action,) = aquery["actions"]
    assert action["arguments"][3] == "/usr/bin/python3", action["arguments"][:4]
    # The bytes of the local build (another exec Python, on this machine).
    assert remote == {name: _sha256(path) for name, path in matrix.items()}

    elsewhere = copy_of_app(tmp_path / "second" / "elsewhere" / "app")
    second = _remote(elsewhere, tmp_path / "second_base", remote_service)
    try:
        second.build(f"--execution_log_json_file={tmp_path / 'second.json'}", *TARGETS)
    finally:
        second.shutdown()
    again = pex_spawns(tmp_path / "second.json")
    assert sorted(s["mnemonic"] for s in again) == mnemonics
    assert all(s.get("cacheHit") for s in again), [s["runner"] for s in again]


def test_the_layers_build_remotely_with_the_local_bytes(remote_app, app_bazel, tmp_path):
    """Each wheel's install, the deps tar and the app tar of a layer run on the workers, and
    write what this machine writes."""
    parts = ["layer/app_layer_plain.deps.tar", "layer/app_layer_plain.app.tar"]
    log = tmp_path / "layer.json"
    remote_app.build(
        f"--execution_log_json_file={log}", "--noremote_accept_cached", "//layer:app_layer_plain"
    )
    layer = ("PexVenvInstall", "PexVenvGroup", "PexVenvLayer")
    spawns = pex_spawns(log, layer)
    assert {s["mnemonic"] for s in spawns} == set(layer)
    assert {s["runner"] for s in spawns} == {"remote"}, {s["runner"] for s in spawns}
    app_bazel.build("//layer:app_layer_plain")
    for part in parts:
        assert _sha256(remote_app.output(part)) == _sha256(app_bazel.output(part)), part


def test_the_docs_show_the_example_exec_platform():
    guide = (ROOT / "docs" / "remote-execution.md").read_text()
    (snippet,) = re.findall(r"In `remote/BUILD.bazel`:\n\n```starlark\n(.*?)```", guide, re.S)
    assert snippet == (ROOT / "e2e" / "app" / "remote" / "BUILD.bazel").read_text()


def test_an_interpreter_the_workers_lack_is_named_with_its_toolchain(remote_app):
    write_assembler_toolchain(
        remote_app.workspace / "misconfigured",
        "/opt/python3.12/bin/python3",
        exec_compatible_with="//remote:debian_sid_rootfs",
    )
    failed = remote_app.build(
        "--extra_toolchains=//misconfigured:toolchain", "//app:app_pex", check=False
    )
    assert failed.returncode == 1, failed.stderr
    assert (
        "crosspex: @@//misconfigured:assembler: its interpreter_path /opt/python3.12/bin/python3 "
        "is not an executable on the exec platform running this action\n"
        "  fix: register a pex_assembler_toolchain whose interpreter_path is the exec platform's "
        "Python"
    ) in failed.stderr, failed.stderr[-3000:]


def _load_digests(bazel: Bazel) -> Dict[str, str]:
    load = bazel.output("load")
    names = [f"load_{i:02d}_for_{p}.pex" for i in range(20) for p in LOAD_PLATFORMS]
    return {name: _sha256(load / name) for name in names}


@pytest.fixture(scope="module")
def local_load(app_bazel):
    """The load target's 100 PEXes, built on this machine."""
    app_bazel.build(f"--jobs={2 * (os.cpu_count() or 1)}", "//load")
    return _load_digests(app_bazel)


def test_the_load_target_runs_on_four_workers_with_the_local_bytes(
    remote_service, remote_app, local_load, tmp_path
):
    remote_app.run("clean")
    built = remote_app.build(
        "--noremote_accept_cached", f"--execution_log_json_file={tmp_path / 'load.json'}", "//load"
    )
    assembled = [s for s in pex_spawns(tmp_path / "load.json") if s["mnemonic"] == "PexAssemble"]
    assert len(assembled) == 100
    assert {s["runner"] for s in assembled} == {"remote"}
    assert _remote_count(built.stderr) >= 100
    assert _load_digests(remote_app) == local_load
    # The four workers shared the work.
    busy = [i for i in range(4) if "accepted" in remote_service.worker_log(i)]
    assert busy == [0, 1, 2, 3], busy


def test_a_worker_killed_mid_action_loses_nothing(remote_service, remote_app, matrix):
    remote_app.run("clean")
    before = remote_service.actions_started()
    build = subprocess.Popen(
        remote_app.command("build", "--noremote_accept_cached", "//app:all"),
        cwd=remote_app.workspace, env=remote_app.env, stdout=subprocess.PIPE,
        stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        victim = remote_service.wait_for_an_action(before, build)
        lease = re.findall(r"lease (\S+) accepted", remote_service.worker_log(victim))[-1]
        # The worker and the action it runs, at once: nothing reaches the server.
        worker = remote_service.processes.pop(f"worker-{victim}")
        os.killpg(worker.pid, signal.SIGKILL)
        worker.wait()
        assert f"lease {lease} OK" not in remote_service.worker_log(victim)
        # Back with the same bot id: BuildGrid closes the old session and requeues its job.
        remote_service.start_worker(victim)
        _, stderr = build.communicate(timeout=900)
    finally:
        if build.poll() is None:
            build.kill()
    assert build.returncode == 0, stderr[-3000:]
    assert any(f"lease {lease} OK" in remote_service.worker_log(i) for i in range(4)), lease
    bin_dir = remote_app.output("")
    for name in matrix_names():
        if name.startswith("app/"):
            assert _sha256(bin_dir / f"{name}.pex") == _sha256(matrix[name.split("/")[1]]), name


def test_a_restarted_service_serves_the_next_build(remote_service, remote_app):
    remote_service.stop_buildgrid()
    remote_service.start_buildgrid()
    remote_app.run("clean")
    built = remote_app.build("//app:app_pex", "//app:app_macos_arm64")
    assert _remote_count(built.stderr) > 0, built.stderr


def test_with_every_worker_gone_the_build_fails_at_the_queue_bound(remote_service, remote_app):
    for index in range(4):
        remote_service.stop(f"worker-{index}")
    # The bound: a job no worker takes within 15 s fails, as Buildbarn's
    # platformQueueWithNoWorkersTimeout does; without one the build would wait forever.
    remote_service.stop_buildgrid()
    remote_service.start_buildgrid(queue_timeout=15)
    remote_app.run("clean")
    # No retries: each would queue the job again for another 15 s.
    failed = remote_app.build("--remote_retries=0", "//app:app_pex", check=False)
    # Bazel's exit code for a remote failure.
    assert failed.returncode == 34, failed.stderr[-3000:]
    assert (
        "failed: (Exit 34): Remote Execution Failure:\n"
        "Unavailable: Operation has been queued for too long"
    ) in failed.stderr, failed.stderr[-3000:]
