"""Zip conventions shared by everything the assembler writes."""

from __future__ import annotations

import zipfile

# The earliest time a zip entry can hold; the same value pex uses for deterministic builds.
FIXED_DATE_TIME = (1980, 1, 1, 0, 0, 0)


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
