"""Writes PEX files for a target platform from pre-resolved wheels and first-party files.

Nothing here runs code built for the target: wheels are read as zip archives and the
target is described by its wheel tags and PEP 508 marker values.
"""

from pex_assembler.errors import AssemblerError

__all__ = ["AssemblerError"]
