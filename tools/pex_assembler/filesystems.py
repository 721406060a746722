"""What the target's file system can hold: the names a PEX or a layer will write there.

Linux keeps any name of up to 255 bytes. macOS also folds case and Unicode normalisation
(`Foo.py` and `foo.py`, `café` in NFC and NFD, are one file) and holds paths of up to 1024
bytes. Windows folds case, and refuses reserved device names (`CON`, `nul.txt`), the
characters `<>:"|?*`, control characters, and a name ending in a dot or a space.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Callable, Dict, Iterable, Optional, Tuple

from pex_assembler.errors import AssemblerError

# The longest path each OS opens, less room for the directory it is installed under.
_MAX_PATH = {"linux": 4096, "darwin": 1024, "win32": 32767}
_INSTALL_ROOT_RESERVE = 256
# The longest name in a directory: bytes on Linux and macOS, UTF-16 units on Windows.
MAX_NAME = 255
_WINDOWS_RESERVED = re.compile(r"^(CON|PRN|AUX|NUL|CONIN\$|CONOUT\$|(COM|LPT)[0-9¹²³])$", re.I)
_WINDOWS_FORBIDDEN = set('<>:"|?*')


def _folded(system: Optional[str]) -> Callable[[str], str]:
    """The key under which `system` takes two names for one."""
    if system == "darwin":
        return lambda path: unicodedata.normalize("NFD", path.casefold())
    if system == "win32":
        return str.casefold
    return str


def component_problem(system: Optional[str], name: str) -> Optional[str]:
    """Why one path component cannot be a file's name on `system`; None if it can."""
    if system == "win32":
        if len(name.encode("utf-16-le")) // 2 > MAX_NAME:
            return f"is longer than {MAX_NAME} characters"
        if any(c in _WINDOWS_FORBIDDEN or ord(c) < 0x20 for c in name):
            return 'holds a character Windows forbids in names (<>:"|?* or a control character)'
        if name.endswith((".", " ")):
            return "ends in a dot or a space, which Windows drops"
        if _WINDOWS_RESERVED.match(name.split(".", 1)[0].rstrip(" ")):
            return "is a device name Windows reserves (CON, PRN, AUX, NUL, COM1, LPT1, ...)"
    elif len(name.encode("utf-8")) > MAX_NAME:
        return f"is longer than {MAX_NAME} bytes"
    return None


def check(system: Optional[str], platform: str, paths: Iterable[Tuple[str, str]]) -> None:
    """Refuses `paths` ((path, the file or wheel it comes from), all installed under one
    directory) that the file system of `system` (a `sys_platform` value; another or None is
    taken for Linux's) cannot hold, naming the target `platform` and, for two paths that would
    be one, both sources."""
    key = _folded(system)
    limit = _MAX_PATH.get(system, _MAX_PATH["linux"]) - _INSTALL_ROOT_RESERVE
    files: Dict[str, Tuple[str, str]] = {}
    directories: Dict[str, Tuple[str, str]] = {}
    for path, origin in paths:
        if len(path.encode("utf-8")) > limit:
            raise AssemblerError(
                origin,
                f"installs {path[:60]!r}..., a path over {limit} bytes, more than {platform} "
                "opens below an install directory",
                "shorten the path, or take a wheel built for the target",
            )
        for component in path.split("/"):
            reason = component_problem(system, component)
            if reason:
                raise AssemblerError(
                    origin,
                    f"installs {path!r}, whose name {component!r} {reason}: {platform} "
                    "cannot hold it",
                    "rename it, or take a wheel built for the target",
                )
        _claim(files, directories, key(path), path, origin, platform, is_file=True)
        parent = path.rpartition("/")[0]
        while parent:
            _claim(files, directories, key(parent), parent, origin, platform, is_file=False)
            parent = parent.rpartition("/")[0]


def _claim(
    files: Dict[str, Tuple[str, str]],
    directories: Dict[str, Tuple[str, str]],
    folded: str,
    path: str,
    origin: str,
    platform: str,
    is_file: bool,
) -> None:
    mine, other = (files, directories) if is_file else (directories, files)
    clash = other.get(folded)
    if clash is not None:
        as_file = (path, origin) if is_file else clash
        as_directory = clash if is_file else (path, origin)
        raise AssemblerError(
            as_file[1],
            f"installs the file {as_file[0]!r}, where {as_directory[1]} installs the directory "
            f"{as_directory[0]!r}",
            "keep one of the two",
        )
    seen = mine.get(folded)
    if seen is None:
        mine[folded] = (path, origin)
        return
    if seen[0] == path and (not is_file or seen[1] == origin):
        return  # one directory, shared
    if seen[0] == path:
        problem = f"installs {path!r}, which {seen[1]} installs too"
    else:
        problem = (
            f"installs {path!r}, which {platform}'s file system takes for {seen[0]!r} from "
            f"{seen[1]} (names that differ only in case or Unicode normalisation)"
        )
    raise AssemblerError(origin, problem, "rename one of them, or drop one of the two sources")
