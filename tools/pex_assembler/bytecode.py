"""`compile_sources`: .pyc for the target's CPython version, from sources held in memory.

Bytecode belongs to one CPython version (its magic number), not to a platform, so a CPython
of the target's version on the exec platform writes it; the assembler's own Python may be
another version. The .pyc are hash-based (PEP 552): no mtime inside, so the same sources and
the same CPython release give the same bytes on every host.
"""

from __future__ import annotations

import json
import os
import queue
import struct
import subprocess
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, Dict, List, Optional

from pex_assembler.errors import AssemblerError

WORKER = Path(__file__).with_name("pyc_worker.py")
INVALIDATION_MODES = ("checked_hash", "unchecked_hash")


@dataclass(frozen=True)
class Compiled:
    """The .pyc of each compilable source by its path in the image, and their cache tag."""

    cache_tag: str
    pycs: Dict[str, bytes]


def _fix(version: str) -> str:
    fix = (
        f"name a CPython {version} of the exec platform in pex_assembler_toolchain("
        f'bytecode_interpreters = {{"{version}": "/path/to/python{version}"}}), or build '
        "without precompile"
    )
    return fix


def _read_frame(stream: BinaryIO) -> bytes:
    size = stream.read(4)
    if len(size) != 4:
        raise EOFError()
    (length,) = struct.unpack(">I", size)
    data = stream.read(length)
    if len(data) != length:
        raise EOFError()
    return data


class _Worker:
    """One pyc_worker process: a thread feeds it the sources queued for it, another reads
    its results, so that handing a source over never waits for compiling."""

    def __init__(self, interpreter: str, mode: str) -> None:
        # Only the hash seed in the environment: CPython before 3.11 marshals set constants in
        # hash order, and the build's PYTHONOPTIMIZE (say) must not strip asserts from the .pyc.
        # -S: no sitecustomize or .pth file of the interpreter's runs (nor a user site, which
        # only site adds); -B: the worker's imports write no .pyc into its installation.
        self.process = subprocess.Popen(
            [interpreter, "-S", "-B", str(WORKER), mode],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env={"PYTHONHASHSEED": "0"},
        )
        self.stderr: bytes  # by _drain_stderr, which finish waits for
        self.paths: List[str] = []
        self.queue: queue.SimpleQueue[Optional[bytes]] = queue.SimpleQueue()
        self.header: Optional[dict] = None
        self.results: List[Optional[bytes]] = []
        self.threads = [
            threading.Thread(target=self._feed, daemon=True),
            threading.Thread(target=self._read, daemon=True),
            threading.Thread(target=self._drain_stderr, daemon=True),
        ]
        for thread in self.threads:
            thread.start()

    def submit(self, path: str, source: bytes) -> None:
        self.paths.append(path)
        encoded = path.encode("utf-8", "surrogateescape")
        self.queue.put(
            struct.pack(">I", len(encoded)) + encoded + struct.pack(">I", len(source)) + source
        )

    def _feed(self) -> None:
        stdin = self.process.stdin
        assert stdin is not None
        try:
            for request in iter(self.queue.get, None):
                stdin.write(request)
            stdin.close()
        except OSError:
            pass  # the process ended early: _read and finish see what it left

    def _read(self) -> None:
        stdout = self.process.stdout
        assert stdout is not None
        try:
            self.header = json.loads(_read_frame(stdout))
            while True:  # until the output ends: _read_frame raises EOFError there
                status = stdout.read(1)
                data = _read_frame(stdout)
                self.results.append(data if status == b"\x01" else None)
        except (EOFError, ValueError):
            pass

    def _drain_stderr(self) -> None:
        assert self.process.stderr is not None
        self.stderr = self.process.stderr.read()

    def finish(self) -> int:
        self.queue.put(None)
        for thread in self.threads:
            thread.join()
        return self.process.wait()

    def error(self, code: int) -> str:
        stderr = self.stderr.decode("utf-8", "replace").strip()
        return f"failed compiling (exit {code}): {stderr or 'no output'}"


_PER_PROCESS = 64


class Compiler:
    """Compiles sources as they are handed over, with up to one process per core of CPython
    `version` at `interpreter`; `finish` waits for them. Sources that do not compile get no
    .pyc, as pip installs them. Which process compiles a source does not change its bytes."""

    def __init__(self, interpreter: str, version: str, mode: str) -> None:
        if mode not in INVALIDATION_MODES:
            raise AssemblerError(
                f"invalidation mode {mode!r}", "is not known", f"use one of {INVALIDATION_MODES}"
            )
        self.interpreter = interpreter
        self.version = version
        self.mode = mode
        self.workers: List[_Worker] = []
        self.submitted = 0
        self._spawn()

    def _spawn(self) -> None:
        try:
            self.workers.append(_Worker(self.interpreter, self.mode))
        except OSError as error:
            self.finish_quietly()
            raise AssemblerError(
                f"bytecode interpreter {self.interpreter}",
                f"cannot be run: {error}",
                _fix(self.version),
            ) from None

    def submit(self, path: str, source: bytes) -> None:
        # One more process per _PER_PROCESS sources, up to one per core: a small layer
        # starts one or two, not one per core of a large machine.
        wanted = min(os.cpu_count() or 1, 1 + self.submitted // _PER_PROCESS)
        if len(self.workers) < wanted:
            self._spawn()
        self.workers[self.submitted % len(self.workers)].submit(path, source)
        self.submitted += 1

    def finish_quietly(self) -> None:
        """Stops the processes, for an assembly that failed elsewhere."""
        for worker in self.workers:
            worker.process.kill()
            worker.finish()

    def finish(self) -> Compiled:
        codes = [worker.finish() for worker in self.workers]
        subject = f"bytecode interpreter {self.interpreter}"
        for worker, code in zip(self.workers, codes):
            if worker.header is None or len(worker.results) != len(worker.paths):
                raise AssemblerError(subject, worker.error(code), _fix(self.version))
        header = self.workers[0].header
        assert header is not None
        found = f"{header.get('implementation')} {header.get('version')}"
        if found != f"cpython {self.version}":
            raise AssemblerError(
                subject, f"is {found}, and the target is cpython {self.version}", _fix(self.version)
            )
        pycs = {}
        for worker in self.workers:
            for path, pyc in zip(worker.paths, worker.results):
                if pyc is not None:
                    pycs[path] = pyc
        return Compiled(cache_tag=header["cache_tag"], pycs=pycs)
