"""The file modes of everything the assembler writes, decided here and never read from disk.

An input's executable bit is no stable property: Bazel's remote execution marks input files
executable, and checkouts, archives and file systems keep or drop the bit as they please. So
every file is 0o644 and every directory 0o755, as pex writes them, except the few files the
PEX format itself runs.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

FILE = 0o644
EXECUTABLE = 0o755
DIRECTORY = 0o755

# What a directory PEX (packed, loose) runs: pex's __main__.py and its `pex` launcher.
_EXECUTABLE_NAMES = frozenset({"__main__.py", "pex"})


def file_mode(archive_path: str) -> int:
    """The permission bits of the file at `archive_path` in a PEX."""
    return EXECUTABLE if archive_path in _EXECUTABLE_NAMES else FILE


# A zip entry's external attributes for a regular file: a zipapp runs none of its entries
# from disk, and a wheel runs none of its members.
FILE_ATTRIBUTES = (stat.S_IFREG | FILE) << 16
# A directory entry's: its mode, and the MS-DOS directory flag, as pex writes them.
DIRECTORY_ATTRIBUTES = ((stat.S_IFDIR | DIRECTORY) << 16) | 0x10


def normalise_tree(root: Path) -> None:
    """Sets the mode of every file and directory under `root`, pex's chroot of a PEX.

    Wheels installed at build time (`.deps/<wheel>/`) keep the modes pex gave them from
    the wheel itself, which no input's bits change.
    """
    for directory, subdirectories, files in os.walk(root):
        relative = Path(directory).relative_to(root).as_posix()
        if relative.startswith(".deps/"):
            subdirectories.clear()
            continue
        os.chmod(directory, DIRECTORY)
        for name in files:
            path = Path(directory) / name
            if path.is_symlink():
                continue
            archive_path = name if relative == "." else f"{relative}/{name}"
            os.chmod(path, file_mode(archive_path))
