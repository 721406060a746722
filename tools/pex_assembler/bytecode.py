"""`compile_sources`: .pyc for the target's CPython version, from sources held in memory.

Bytecode belongs to one CPython version (its magic number), not to a platform, so a CPython
of the target's version on the exec platform writes it; the assembler's own Python may be
another version. The .pyc are hash-based (PEP 552): no mtime inside, so the same sources and
the same CPython release give the same bytes on every host.
"""

from __future__ import annotations

import concurrent.futures
import io
import json
import os
import struct
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Dict, List, Optional, Sequence, Tuple

from pex_assembler.errors import AssemblerError

WORKER = Path(__file__).with_name("pyc_worker.py")
INVALIDATION_MODES = ("checked_hash", "unchecked_hash")
# Sources per worker process at least: below that, starting one costs more than it saves.
_MIN_BATCH = 64


@dataclass(frozen=True)
class Compiled:
    """The .pyc of each compilable source by its path in the image, and their cache tag."""

    cache_tag: str
    release: str
    pycs: Dict[str, bytes]


def _fix(version: str) -> str:
    fix = (
        f"name a CPython {version} of the exec platform in pex_assembler_toolchain("
        f'bytecode_interpreters = {{"{version}": "/path/to/python{version}"}}), or build '
        "without precompile"
    )
    return fix


def _read_frame(stream: io.BufferedIOBase, what: str) -> bytes:
    size = stream.read(4)
    if len(size) != 4:
        raise EOFError(what)
    data = stream.read(struct.unpack(">I", size)[0])
    if len(data) != struct.unpack(">I", size)[0]:
        raise EOFError(what)
    return data


def _run_batch(
    interpreter: str, version: str, mode: str, batch: Sequence[Tuple[str, bytes]]
) -> Tuple[dict, List[Optional[bytes]]]:
    request = io.BytesIO()
    for path, source in batch:
        encoded = path.encode("utf-8", "surrogateescape")
        request.write(struct.pack(">I", len(encoded)) + encoded)
        request.write(struct.pack(">I", len(source)))
        request.write(source)
    try:
        # Only the hash seed in the environment: set constants are marshalled in hash order.
        done = subprocess.run(
            [interpreter, "-S", "-s", "-B", str(WORKER), mode],
            input=request.getvalue(),
            capture_output=True,
            env={"PYTHONHASHSEED": "0"},
            check=False,
        )
    except OSError as error:
        raise AssemblerError(
            f"bytecode interpreter {interpreter}", f"cannot be run: {error}", _fix(version)
        ) from None
    stream = io.BytesIO(done.stdout)
    try:
        header = json.loads(_read_frame(stream, "header"))
        results: List[Optional[bytes]] = []
        for _ in batch:
            status = stream.read(1)
            data = _read_frame(stream, "result")
            results.append(data if status == b"\x01" else None)
    except (EOFError, ValueError):
        stderr = done.stderr.decode("utf-8", "replace").strip()
        raise AssemblerError(
            f"bytecode interpreter {interpreter}",
            f"failed compiling (exit {done.returncode}): {stderr or 'no output'}",
            _fix(version),
        ) from None
    return header, results


def compile_sources(
    interpreter: str, version: str, mode: str, sources: Sequence[Tuple[str, bytes]]
) -> Compiled:
    """Compiles each (path in the image, source) with `interpreter`, which must be CPython
    `version`; sources that do not compile get no .pyc, as pip installs them."""
    if mode not in INVALIDATION_MODES:
        raise AssemblerError(
            f"invalidation mode {mode!r}", "is not known", f"use one of {INVALIDATION_MODES}"
        )
    ordered = sorted(sources)
    # Any split gives the same bytes (each source compiles alone); a few processes for
    # the cores, none idle for lack of work.
    count = max(1, min(os.cpu_count() or 1, len(ordered) // _MIN_BATCH))
    size = -(-len(ordered) // count) if ordered else 0
    batches = [ordered[i : i + size] for i in range(0, len(ordered), size)] or [[]]
    with concurrent.futures.ThreadPoolExecutor(len(batches)) as pool:
        done = list(pool.map(lambda b: _run_batch(interpreter, version, mode, b), batches))
    header = done[0][0]
    found = f"{header.get('implementation')} {header.get('version')}"
    if found != f"cpython {version}":
        raise AssemblerError(
            f"bytecode interpreter {interpreter}",
            f"is {found}, and the target is cpython {version}",
            _fix(version),
        )
    pycs = {}
    for batch, (_, results) in zip(batches, done):
        for (path, _source), pyc in zip(batch, results):
            if pyc is not None:
                pycs[path] = pyc
    return Compiled(cache_tag=header["cache_tag"], release=header["release"], pycs=pycs)
