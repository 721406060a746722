"""Zip conventions shared by everything the assembler writes."""

from __future__ import annotations

import zipfile


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
