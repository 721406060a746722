"""A Remote Execution API service on loopback: PostgreSQL, BuildGrid (Execution, Bots, CAS,
ActionCache, ByteStream) and N workers (worker.py), each running actions in a root of its own.

    python tests/harness/remote/service.py start --dir DIR --bgd BGD --root ROOT [--workers N]
    python tests/harness/remote/service.py stop --dir DIR

`start` prints the executor's address (grpc://127.0.0.1:PORT) and leaves the processes running;
their ids go to DIR/pids, and `stop` ends them by id. scripts/remote-execution.sh installs what
this needs and passes BGD and ROOT. The tests use the Service class directly.
"""

from __future__ import annotations

import argparse
import grp
import json
import os
import pwd
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Dict, List, Optional

HERE = Path(__file__).resolve().parent
# What the workers offer: an exec platform's exec_properties ask for these.
WORKER_PROPERTIES = {"OSFamily": "linux", "ISA": "x86-64", "rootfs": "debian-sid"}

CONFIG = """\
description: crosspex's remote execution service for its tests, on loopback.
server:
  - !channel
    address: "127.0.0.1:{port}"
    insecure-mode: true
authorization:
  method: none
monitoring:
  enabled: false
# Every waiting Execute stream and bot long-poll holds a thread: the default (5 per core)
# starves a build of --jobs=64 with RESOURCE_EXHAUSTED.
thread-pool-size: 200
connections:
  - !sql-connection &sql
    connection-string: postgresql://postgres@127.0.0.1:{database_port}/{database}
    pool-size: 10
    max-overflow: 20
storages:
  - !disk-storage &cas
    path: {cas}
caches:
  - !lru-action-cache &action-cache
    storage: *cas
    max-cached-refs: 100000
    cache-failed-actions: false
    allow-updates: true
schedulers:
  - !sql-scheduler &scheduler
    sql: *sql
    storage: *cas
    action-cache: *action-cache
    # The 1 s defaults cost 1.5-2 s per action.
    poll-interval: 0.1
    bot-poll-interval: 0.1
    # A bot not heard from in a minute is gone: its job goes to another.
    bot-session-keepalive-timeout: 60
    property-set: !dynamic-property-set
      match-property-keys: [{match_keys}]
    assigners:
      - !priority-age-assigner
        interval: 0.1
{queue_timeout}instances:
  - name: ""
    services:
      - !action-cache
        cache: *action-cache
      - !execution
        scheduler: *scheduler
      - !cas
        storage: *cas
      - !bytestream
        storage: *cas
"""
# BuildGrid checks the queue every second for jobs older than the bound.
QUEUE_TIMEOUT = """\
    queue-timeout-configs:
      - !queue-timeout-thread
        job-max-age: {{seconds: {0}}}
        handling-period: {{seconds: 1}}
"""


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_for_port(port: int, process: subprocess.Popen, log: Path, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while True:
        with socket.socket() as probe:
            if probe.connect_ex(("127.0.0.1", port)) == 0:
                return
        if process.poll() is not None:
            raise RuntimeError(
                f"{process.args[0]} exited ({process.returncode}):\n{log.read_text()[-4000:]}"
            )
        if time.monotonic() > deadline:
            raise RuntimeError(
                f"{process.args[0]} did not listen on {port}:\n{log.read_text()[-4000:]}"
            )
        time.sleep(0.1)


def postgres_bin() -> Path:
    """Debian's PostgreSQL server programs, newest version first."""
    found = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"), key=lambda p: int(p.parts[-3]))
    if found:
        return found[-1].parent
    initdb = shutil.which("initdb")
    if initdb:
        return Path(initdb).resolve().parent
    raise RuntimeError("PostgreSQL's initdb not found: install Debian's postgresql")


def stop_process(pid: int, seconds: float = 30) -> None:
    """SIGTERM, then SIGKILL after `seconds`; returns when the process is gone."""
    try:
        os.kill(pid, signal.SIGTERM)
    except ProcessLookupError:
        return
    deadline = time.monotonic() + seconds
    while _alive(pid):
        if time.monotonic() > deadline:
            os.kill(pid, signal.SIGKILL)
            deadline = float("inf")
        time.sleep(0.05)


def _alive(pid: int) -> bool:
    try:
        # A child of ours that exited stays a zombie until reaped.
        done, _ = os.waitpid(pid, os.WNOHANG)
        if done == pid:
            return False
    except ChildProcessError:
        pass
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


class Service:
    """The processes of one service; every one of them is stopped by its id."""

    def __init__(self, directory: Path, bgd: Path, root: Path) -> None:
        self.directory = directory
        self.bgd = bgd
        self.root = root.resolve()
        self.port = free_port()
        self.database_port = free_port()
        self.databases = 0
        self.processes: Dict[str, subprocess.Popen] = {}
        self.data: Optional[Path] = None
        directory.mkdir(parents=True, exist_ok=True)

    @property
    def address(self) -> str:
        return f"grpc://127.0.0.1:{self.port}"

    def _spawn(self, name: str, argv: List[str], **options) -> subprocess.Popen:
        log = (self.directory / f"{name}.log").open("ab")
        process = subprocess.Popen(
            argv, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
            start_new_session=True, **options,
        )  # fmt: skip
        log.close()
        self.processes[name] = process
        self._write_pids()
        return process

    def _write_pids(self) -> None:
        pids = {name: p.pid for name, p in self.processes.items() if p.poll() is None}
        record = {"pids": pids, "data": str(self.data) if self.data else None}
        (self.directory / "pids").write_text(json.dumps(record, indent=1))

    def start_database(self) -> None:
        """A PostgreSQL cluster of its own, trusting loopback; as `postgres` when run as root
        (PostgreSQL refuses root). Its directory must be reachable by that user."""
        binaries = postgres_bin()
        self.data = Path(tempfile.mkdtemp(prefix="crosspex-postgres-"))
        user: Optional[str] = None
        if os.geteuid() == 0:
            user = "postgres"
            os.chown(self.data, pwd.getpwnam(user).pw_uid, grp.getgrnam(user).gr_gid)
        as_user = {"user": user, "group": user} if user else {}
        subprocess.run(
            [binaries / "initdb", "-D", self.data / "cluster", "-U", "postgres", "--auth=trust",
             "--no-sync"],
            check=True, capture_output=True, **as_user,
        )  # fmt: skip
        process = self._spawn(
            "postgres",
            [
                binaries / "postgres", "-D", self.data / "cluster", "-p", str(self.database_port),
                "-k", self.data, "-c", "listen_addresses=127.0.0.1",
                # A test database: nothing of it needs to survive a crash.
                "-c", "fsync=off", "-c", "synchronous_commit=off", "-c", "full_page_writes=off",
                "-c", "max_connections=200",
            ],
            **as_user,
        )  # fmt: skip
        wait_for_port(self.database_port, process, self.directory / "postgres.log")
        ready = time.monotonic() + 30
        while subprocess.run(
            [binaries / "pg_isready", "-q", "-h", "127.0.0.1", "-p", str(self.database_port)],
            check=False,
        ).returncode:
            if time.monotonic() > ready:
                raise RuntimeError("PostgreSQL did not accept connections")
            time.sleep(0.1)

    def start_buildgrid(self, queue_timeout: Optional[float] = None) -> None:
        """BuildGrid on a fresh database: a restarted server knows no bot session or job of the
        last one, and bots with stable ids register again. With `queue_timeout`, a job no
        worker took within that many seconds fails (UNAVAILABLE) instead of waiting forever."""
        self.databases += 1
        database = f"bgd{self.databases}"
        subprocess.run(
            [postgres_bin() / "createdb", "-h", "127.0.0.1", "-p", str(self.database_port),
             "-U", "postgres", database],
            check=True, capture_output=True,
        )  # fmt: skip
        url = f"postgresql://postgres@127.0.0.1:{self.database_port}/{database}"
        migrated = subprocess.run(
            [self.bgd, "migrate", "apply", url], capture_output=True, text=True, check=False
        )
        if migrated.returncode:
            raise RuntimeError(f"bgd migrate apply failed:\n{migrated.stdout}{migrated.stderr}")
        config = self.directory / "bgd.yml"
        config.write_text(
            CONFIG.format(
                port=self.port,
                database_port=self.database_port,
                database=database,
                cas=self.directory / "cas",
                match_keys=", ".join(sorted(WORKER_PROPERTIES)),
                queue_timeout="" if queue_timeout is None else QUEUE_TIMEOUT.format(queue_timeout),
            )
        )
        process = self._spawn("buildgrid", [self.bgd, "server", "start", config])
        wait_for_port(self.port, process, self.directory / "buildgrid.log")

    def stop_buildgrid(self) -> None:
        self.stop("buildgrid")

    def start_worker(self, index: int) -> subprocess.Popen:
        """Worker `index`, with bot id `worker-<index>` whenever it starts."""
        name = f"worker-{index}"
        python = Path(self.bgd).parent / "python"
        argv = [
            python, HERE / "worker.py", "--server", self.address, "--bot-id", name,
            "--root", self.root, "--work", self.directory / name,
        ]  # fmt: skip
        for key, value in sorted(WORKER_PROPERTIES.items()):
            argv += ["--property", f"{key}={value}"]
        return self._spawn(name, argv)

    def worker_log(self, index: int) -> str:
        log = self.directory / f"worker-{index}.log"
        return log.read_text() if log.exists() else ""

    def actions_started(self) -> Dict[int, int]:
        """Worker index -> how many actions it started, by its log."""
        logs = self.directory.glob("worker-*.log")
        return {int(p.stem.split("-")[1]): p.read_text().count(" running ") for p in logs}

    def wait_for_an_action(self, before: Dict[int, int], build: subprocess.Popen) -> int:
        """A worker that started an action since `before` was taken, while `build` runs."""
        deadline = time.monotonic() + 300
        while True:
            started = [i for i, n in sorted(self.actions_started().items()) if n > before.get(i, 0)]
            if started:
                return started[0]
            if build.poll() is not None:
                raise RuntimeError(f"the build ended first:\n{build.communicate()[1][-3000:]}")
            if time.monotonic() > deadline:
                raise RuntimeError("no worker started an action")
            time.sleep(0.01)

    def stop(self, name: str) -> None:
        process = self.processes.pop(name, None)
        if process is not None:
            stop_process(process.pid)
            process.wait()
            self._write_pids()

    def stop_all(self) -> None:
        # Workers first, so they can hand back their leases; the database last.
        for name in sorted(self.processes, key=lambda n: (n == "postgres", n == "buildgrid", n)):
            self.stop(name)
        if self.data is not None:
            shutil.rmtree(self.data, ignore_errors=True)
            self.data = None
        self._write_pids()


def _stop_recorded(directory: Path) -> None:
    record = json.loads((directory / "pids").read_text())
    pids = record["pids"]
    for name in sorted(pids, key=lambda n: (n == "postgres", n == "buildgrid", n)):
        stop_process(pids[name])
    if record.get("data"):
        shutil.rmtree(record["data"], ignore_errors=True)
    (directory / "pids").unlink()


def main(argv: List[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("command", choices=["start", "stop"])
    parser.add_argument("--dir", type=Path, required=True, help="logs, CAS and process ids")
    parser.add_argument("--bgd", type=Path, help="BuildGrid's bgd (start)")
    parser.add_argument("--root", type=Path, help="the root the workers run actions in (start)")
    parser.add_argument("--workers", type=int, default=4)
    options = parser.parse_args(argv)
    if options.command == "stop":
        _stop_recorded(options.dir)
        return 0
    if not options.bgd or not options.root:
        parser.error("start needs --bgd and --root")
    service = Service(options.dir.resolve(), options.bgd, options.root)
    try:
        service.start_database()
        service.start_buildgrid()
        for index in range(options.workers):
            service.start_worker(index)
    except Exception:
        service.stop_all()
        raise
    print(service.address)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
