"""A Remote Execution API worker for crosspex's tests: a bot of BuildGrid's Bots API.

It runs each action in a root of its own with bubblewrap: the root's /usr and /etc, a fresh
/tmp, no network, and the action's inputs at /remote/exec. No path of the host exists there,
so an action that reaches for one fails instead of working by accident.

Run with BuildGrid's Python (its gRPC stubs and CAS client):

    python worker.py --server grpc://127.0.0.1:PORT --bot-id ID --root DIR --work DIR \
        --property OSFamily=linux ...

SIGTERM or SIGINT: the running action is stopped and its lease handed back (UNAVAILABLE, which
BuildGrid requeues), then the worker exits.
"""

from __future__ import annotations

import argparse
import logging
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import grpc
from buildgrid._protos.build.bazel.remote.execution.v2 import remote_execution_pb2 as rex
from buildgrid._protos.google.devtools.remoteworkers.v1test2 import (
    bots_pb2,
    bots_pb2_grpc,
    worker_pb2,
)
from buildgrid._protos.google.rpc import code_pb2, status_pb2
from buildgrid.server.client.cas import download, upload
from buildgrid.server.exceptions import NotFoundError

LOG = logging.getLogger("worker")
# Where the input root sits inside the action's root: a path no host has.
EXEC_ROOT = "/remote/exec"
# How long one UpdateBotSession may wait for work; below BuildGrid's keepalive timeout.
LONG_POLL_SECONDS = 20.0
# How often a busy worker tells BuildGrid it is alive.
BUSY_UPDATE_SECONDS = 5.0


@dataclass
class Settings:
    server: str
    bot_id: str
    root: Path
    work: Path
    properties: list[tuple[str, str]] = field(default_factory=list)
    instance: str = ""


class Stopped(Exception):
    """The worker was asked to stop while an action ran."""


class Runner:
    """Runs one action's command in the isolated root; `stop()` ends it from another thread."""

    def __init__(self) -> None:
        self._process: subprocess.Popen[bytes] | None = None
        self._lock = threading.Lock()
        self.stopping = threading.Event()

    def stop(self) -> None:
        self.stopping.set()
        with self._lock:
            if self._process is not None and self._process.poll() is None:
                self._process.kill()

    def run(self, argv: list[str], stdout: Path, stderr: Path, timeout: float | None) -> int:
        with self._lock:
            if self.stopping.is_set():
                raise Stopped()
            with stdout.open("wb") as out, stderr.open("wb") as err:
                self._process = subprocess.Popen(
                    argv, stdout=out, stderr=err, stdin=subprocess.DEVNULL
                )
        try:
            code = self._process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self._process.kill()
            self._process.wait()
            raise
        if self.stopping.is_set():
            raise Stopped()
        return code


def sandbox_command(root: Path, exec_dir: Path, command: rex.Command) -> list[str]:
    """bubblewrap's command line running `command` in `root` with its inputs at EXEC_ROOT."""
    argv = ["bwrap", "--ro-bind", str(root / "usr"), "/usr", "--ro-bind", str(root / "etc"), "/etc"]
    # A merged-/usr root: /bin, /lib... are links into /usr.
    for name in ("bin", "sbin", "lib", "lib32", "lib64"):
        link = root / name
        if link.is_symlink():
            argv += ["--symlink", os.readlink(link), f"/{name}"]
    argv += [
        "--bind", str(exec_dir), EXEC_ROOT,
        "--proc", "/proc", "--dev", "/dev", "--tmpfs", "/tmp",
        "--unshare-all", "--die-with-parent", "--new-session", "--clearenv",
        "--chdir", os.path.normpath(os.path.join(EXEC_ROOT, command.working_directory)),
    ]  # fmt: skip
    for variable in command.environment_variables:
        argv += ["--setenv", variable.name, variable.value]
    return [*argv, "--", *command.arguments]


def output_paths(command: rex.Command) -> list[str]:
    """The outputs the client asked for, relative to the working directory."""
    if command.output_paths:
        return list(command.output_paths)
    return [*command.output_files, *command.output_directories]


def execute(
    channel: grpc.Channel, settings: Settings, action: rex.Action, runner: Runner
) -> rex.ActionResult:
    """Fetches the action's inputs, runs it in the isolated root, uploads what it wrote."""
    exec_dir = Path(os.path.realpath(settings.work)) / "exec"
    shutil.rmtree(exec_dir, ignore_errors=True)
    exec_dir.mkdir(parents=True)
    logs = settings.work / "logs"
    logs.mkdir(exist_ok=True)
    with download(channel, instance=settings.instance) as downloader:
        command = downloader.get_message(action.command_digest, rex.Command())
        downloader.download_directory(action.input_root_digest, str(exec_dir))
    working_dir = exec_dir / command.working_directory
    outputs = output_paths(command)
    # The worker makes every output's parent directory, as the API asks.
    for path in outputs:
        (working_dir / path).parent.mkdir(parents=True, exist_ok=True)
    timeout = action.timeout.ToSeconds() or None
    LOG.info("running %s -> %s", " ".join(command.arguments[:1]), outputs[:1])
    exit_code = runner.run(
        sandbox_command(settings.root, exec_dir, command), logs / "stdout", logs / "stderr", timeout
    )
    result = rex.ActionResult(exit_code=exit_code)
    with upload(channel, instance=settings.instance) as uploader:
        for path in outputs:
            local = working_dir / path
            if local.is_dir() and not local.is_symlink():
                result.output_directories.add(
                    path=path, tree_digest=uploader.upload_tree(str(local))
                )
            elif local.is_file():
                result.output_files.add(
                    path=path,
                    digest=uploader.upload_file(str(local)),
                    is_executable=os.access(local, os.X_OK),
                )
        result.stdout_digest.CopyFrom(uploader.upload_file(str(logs / "stdout")))
        result.stderr_digest.CopyFrom(uploader.upload_file(str(logs / "stderr")))
    shutil.rmtree(exec_dir, ignore_errors=True)
    return result


def action_of(lease: bots_pb2.Lease, channel: grpc.Channel, settings: Settings) -> rex.Action:
    """BuildGrid sends the Action itself, or its digest."""
    action = rex.Action()
    if lease.payload.Is(rex.Action.DESCRIPTOR):
        lease.payload.Unpack(action)
        return action
    digest = rex.Digest()
    lease.payload.Unpack(digest)
    with download(channel, instance=settings.instance) as downloader:
        return downloader.get_message(digest, action)


def finish(
    lease: bots_pb2.Lease, code: int, message: str = "", result: rex.ActionResult | None = None
) -> None:
    lease.state = bots_pb2.LeaseState.COMPLETED
    lease.status.CopyFrom(status_pb2.Status(code=code, message=message))
    if result is not None:
        lease.result.Pack(result)


def work_on(
    lease: bots_pb2.Lease, channel: grpc.Channel, settings: Settings, runner: Runner
) -> None:
    """Runs the lease's action to completion, recording the outcome in the lease."""
    try:
        result = execute(channel, settings, action_of(lease, channel, settings), runner)
        finish(lease, code_pb2.OK, result=result)
    except Stopped:
        # UNAVAILABLE: BuildGrid gives the job to another bot.
        finish(lease, code_pb2.UNAVAILABLE, "the worker stopped during the action")
    except subprocess.TimeoutExpired:
        finish(lease, code_pb2.DEADLINE_EXCEEDED, "the action ran past its timeout")
    except NotFoundError as error:
        finish(lease, code_pb2.FAILED_PRECONDITION, f"an input is missing from the CAS: {error}")
    except Exception as error:  # any failure of the worker's own goes back to the server
        LOG.exception("lease %s failed", lease.id)
        finish(lease, code_pb2.INTERNAL, f"the worker failed: {error}")


class Bot:
    """One bot session at a time; a new one when the server forgets the old (a restart)."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.runner = Runner()
        self.channel = grpc.insecure_channel(settings.server.removeprefix("grpc://"))
        self.stub = bots_pb2_grpc.BotsStub(self.channel)
        self.session: bots_pb2.BotSession | None = None
        # True while waiting for work: a signal then interrupts the wait itself.
        self.idle = False

    def stop(self) -> None:
        self.runner.stop()
        if self.idle:
            raise Stopped()

    def _new_session(self) -> bots_pb2.BotSession:
        device = worker_pb2.Device(handle=self.settings.bot_id)
        for key, value in self.settings.properties:
            device.properties.add(key=key, value=value)
        return bots_pb2.BotSession(
            bot_id=self.settings.bot_id,
            status=bots_pb2.BotStatus.OK,
            worker=worker_pb2.Worker(devices=[device]),
        )

    def _update(self, wait: bool) -> None:
        assert self.session is not None
        request = bots_pb2.UpdateBotSessionRequest(name=self.session.name, bot_session=self.session)
        self.idle = wait
        try:
            self.session = self.stub.UpdateBotSession(request, timeout=LONG_POLL_SECONDS)
        finally:
            self.idle = False

    def serve(self) -> None:
        try:
            while not self.runner.stopping.is_set():
                try:
                    request = bots_pb2.CreateBotSessionRequest(
                        parent=self.settings.instance, bot_session=self._new_session()
                    )
                    self.idle = True
                    try:
                        self.session = self.stub.CreateBotSession(
                            request, timeout=LONG_POLL_SECONDS
                        )
                    finally:
                        self.idle = False
                    LOG.info("bot session %s", self.session.name)
                    self._serve_session()
                except grpc.RpcError as error:
                    LOG.info("server: %s; a new session", error.code())
                    self.session = None
                    time.sleep(0.5)
        except Stopped:
            self._goodbye()

    def _goodbye(self) -> None:
        """Tells the server this bot takes no more work, handing back what it was given."""
        if self.session is None:
            return
        self.session.status = bots_pb2.BotStatus.BOT_TERMINATING
        for lease in self.session.leases:
            if lease.state != bots_pb2.LeaseState.COMPLETED:
                finish(lease, code_pb2.UNAVAILABLE, "the worker stopped")
        try:
            self.stub.UpdateBotSession(
                bots_pb2.UpdateBotSessionRequest(name=self.session.name, bot_session=self.session),
                timeout=3,
            )
        except grpc.RpcError as error:
            LOG.info("goodbye: %s", error.code())

    def _serve_session(self) -> None:
        assert self.session is not None
        while True:
            # BuildGrid hands out a lease already ACTIVE (it marks the job as executing when it
            # assigns it); a PENDING one it turns ACTIVE at a later update.
            given = [
                lease for lease in self.session.leases if lease.state == bots_pb2.LeaseState.ACTIVE
            ]
            if not given:
                if self.runner.stopping.is_set():
                    raise Stopped()
                self._update(wait=True)
                continue
            lease_id = given[0].id
            LOG.info("lease %s accepted", lease_id)
            lease = bots_pb2.Lease()
            lease.CopyFrom(given[0])
            done = threading.Thread(
                target=work_on, args=(lease, self.channel, self.settings, self.runner)
            )
            done.start()
            while done.is_alive():
                done.join(BUSY_UPDATE_SECONDS)
                if done.is_alive():
                    self._update(wait=False)
            # `work_on` filled in its own copy of the lease: report that one, unless the
            # client cancelled it meanwhile.
            held = self._lease(lease_id)
            if held is not None:
                held.CopyFrom(lease)
            LOG.info("lease %s %s", lease_id, code_pb2.Code.Name(lease.status.code))
            if self.runner.stopping.is_set():
                self.session.status = bots_pb2.BotStatus.BOT_TERMINATING
                self._update(wait=False)
                self.session = None
                raise Stopped()
            self._update(wait=False)

    def _lease(self, lease_id: str) -> bots_pb2.Lease | None:
        assert self.session is not None
        return next((lease for lease in self.session.leases if lease.id == lease_id), None)


def parse(argv: list[str]) -> Settings:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--server", required=True, help="grpc://HOST:PORT of the Bots service")
    parser.add_argument("--bot-id", required=True, help="a stable id: a restarted worker keeps it")
    parser.add_argument("--root", required=True, type=Path, help="the root actions run in")
    parser.add_argument("--work", required=True, type=Path, help="this worker's scratch directory")
    parser.add_argument(
        "--property", action="append", default=[], help="KEY=VALUE the worker offers"
    )
    parser.add_argument("--instance", default="", help="the REAPI instance name")
    options = parser.parse_args(argv)
    properties = [tuple(p.split("=", 1)) for p in options.property]
    return Settings(
        options.server, options.bot_id, options.root, options.work, properties, options.instance
    )


def main(argv: list[str]) -> int:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s", stream=sys.stderr)
    settings = parse(argv)
    settings.work.mkdir(parents=True, exist_ok=True)
    bot = Bot(settings)

    def stop(signum: int, _frame: object) -> None:
        LOG.info("signal %d: stopping", signum)
        bot.stop()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    bot.serve()
    LOG.info("stopped")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
