"""Zip conventions shared by everything the assembler writes."""

from __future__ import annotations

import collections
import contextlib
import hashlib
import os
import shutil
import tempfile
import zipfile
import zlib
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Deque, Iterable, Iterator, Optional, Tuple


def unix_entry(name: str) -> zipfile.ZipInfo:
    """An entry made on Unix (whose modes unzip and pex's extraction honour), dated as
    ZipInfo dates it unless told otherwise: 1980-01-01 00:00, the earliest time a zip entry
    holds, which pex uses for deterministic builds too."""
    info = zipfile.ZipInfo(name)
    info.create_system = 3
    return info


def begin_entry(archive: zipfile.ZipFile, info: zipfile.ZipInfo) -> None:
    """Writes the local header of an entry whose sizes and CRC `info` already holds.

    The caller then writes exactly `info.compress_size` stored bytes and calls `end_entry`:
    bytes compressed elsewhere (on other threads, or by another zip) go in as they are.
    """
    archive.fp.seek(archive.start_dir)
    info.header_offset = archive.start_dir
    # ZIP64 when either size needs it, as zipfile decides by itself: an incompressible file
    # just under the limit can deflate to just over it.
    archive.fp.write(info.FileHeader())


def end_entry(archive: zipfile.ZipFile, info: zipfile.ZipInfo) -> None:
    archive.start_dir = archive.fp.tell()
    archive.filelist.append(info)
    archive.NameToInfo[info.filename] = info
    archive._didModify = True


# Files up to this size are compressed in memory; larger ones through a spool file, so that
# memory stays flat whatever a member's size.
IN_MEMORY = 16 * 2**20
_CHUNK = 2**20


@dataclass(frozen=True)
class Packed:
    """One file as a zip entry stores it: its stored bytes in memory, or in a spool file."""

    size: int
    crc: int
    compress_type: int
    compress_size: int
    payload: bytes = b""
    spool: Optional[Path] = None
    sha256: bytes = b""


def pack_bytes(data: bytes, compress: bool, level: int, sha256: bool = False) -> Packed:
    """`data` as a zip entry stores it; with its sha256 when asked."""
    if compress:
        compressor = zlib.compressobj(level, zlib.DEFLATED, -15)
        payload = compressor.compress(data) + compressor.flush()
    else:
        payload = data
    return Packed(
        size=len(data),
        crc=zlib.crc32(data),
        compress_type=zipfile.ZIP_DEFLATED if compress else zipfile.ZIP_STORED,
        compress_size=len(payload),
        payload=payload,
        sha256=hashlib.sha256(data).digest() if sha256 else b"",
    )


def pack(source: Path, compress: bool, level: int, spool_dir: Path, sha256: bool = False) -> Packed:
    """The file `source` as a zip entry stores it (see `pack_bytes`). Thread-safe, and
    parallel: zlib and hashlib release the GIL on large buffers."""
    if source.stat().st_size <= IN_MEMORY:
        return pack_bytes(source.read_bytes(), compress, level, sha256)
    digest = hashlib.sha256() if sha256 else None
    compressor = zlib.compressobj(level, zlib.DEFLATED, -15) if compress else None
    crc = size = 0
    spool_handle, spool_name = tempfile.mkstemp(dir=spool_dir, suffix=".spool")
    with source.open("rb") as handle, os.fdopen(spool_handle, "wb") as spool:
        for chunk in iter(lambda: handle.read(_CHUNK), b""):
            size += len(chunk)
            crc = zlib.crc32(chunk, crc)
            if digest:
                digest.update(chunk)
            spool.write(compressor.compress(chunk) if compressor else chunk)
        if compressor:
            spool.write(compressor.flush())
        compress_size = spool.tell()
    return Packed(
        size=size,
        crc=crc,
        compress_type=zipfile.ZIP_DEFLATED if compress else zipfile.ZIP_STORED,
        compress_size=compress_size,
        spool=Path(spool_name),
        sha256=digest.digest() if digest else b"",
    )


def write_packed(archive: zipfile.ZipFile, info: zipfile.ZipInfo, packed: Packed) -> None:
    """Writes the entry `info` (name, date, modes) with the bytes `pack` made."""
    info.compress_type, info.file_size = packed.compress_type, packed.size
    info.compress_size, info.CRC = packed.compress_size, packed.crc
    begin_entry(archive, info)
    if packed.spool is None:
        archive.fp.write(packed.payload)
    else:
        with packed.spool.open("rb") as spool:
            shutil.copyfileobj(spool, archive.fp, _CHUNK)
        packed.spool.unlink()
    end_entry(archive, info)


def write_in_order(
    archive: zipfile.ZipFile,
    members: Iterable[Tuple[zipfile.ZipInfo, Callable[[], Packed]]],
    pool: ThreadPoolExecutor,
    window: int,
) -> Iterator[Tuple[zipfile.ZipInfo, Packed]]:
    """Writes each member's entry in the order given, its bytes packed on the pool: a
    bounded window of members in flight. Yields each entry once it is written."""
    pending: Deque[Tuple[zipfile.ZipInfo, Future]] = collections.deque()
    try:
        for info, packer in members:
            pending.append((info, pool.submit(packer)))
            if len(pending) >= window:
                info, future = pending.popleft()
                write_packed(archive, info, future.result())
                yield info, future.result()
        while pending:
            info, future = pending.popleft()
            write_packed(archive, info, future.result())
            yield info, future.result()
    finally:
        # A failure leaves no spool behind: the ones still in flight are waited for.
        for _, future in pending:
            with contextlib.suppress(Exception):
                spool = future.result().spool
                if spool is not None:
                    spool.unlink(missing_ok=True)
