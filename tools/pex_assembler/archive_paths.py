"""What a path inside an archive may look like, for wheels and PEXes alike."""

from __future__ import annotations

import os
import re
from typing import Optional

_LINE_BREAKS = "\x7f\x85\u2028\u2029"


def from_os(name: str) -> str:
    """A name the OS handed over (an argument, a directory listing) as the UTF-8 text that
    Bazel writes and wheels' RECORDs spell, whatever the locale decoded its bytes as."""
    return os.fsencode(name).decode("utf-8", "surrogateescape")


def is_bytecode(name: str) -> bool:
    """What pex leaves out of a PEX it writes without compiling: bytecode, even in flight."""
    return name.endswith((".pyc", ".pyo")) or re.search(r"\.pyc\.[0-9]+$", name) is not None


def unsafe_reason(path: str) -> Optional[str]:
    """Why `path` could land outside its archive or differ by platform; None if it is plain."""
    if not path:
        return "is empty"
    if "\\" in path:
        return "holds a backslash"
    if path.startswith("/") or (len(path) > 1 and path[1] == ":"):
        return "is absolute"
    if any(part in (".", "..") for part in path.split("/")):
        return "holds '.' or '..'"
    if "//" in path:
        return "holds an empty component"
    if any(0xD800 <= ord(c) <= 0xDFFF for c in path) or "\x00" in path:
        return "is not valid UTF-8"
    if any(ord(c) < 0x20 or c in _LINE_BREAKS for c in path):
        # RECORD readers split lines at these too (str.splitlines): a name could forge a row.
        return "holds a control character or a line break"
    return None
