"""Reads the binary format and CPU of a native extension from its file header."""

from __future__ import annotations

import struct
from typing import FrozenSet, Tuple

_ELF_MACHINES = {0x3E: "x86_64", 0xB7: "aarch64"}
_MACHO_CPUS = {0x01000007: "x86_64", 0x0100000C: "arm64"}
_PE_MACHINES = {0x8664: "x86_64", 0xAA64: "arm64"}


def binary_format(data: bytes) -> Tuple[str, FrozenSet[str]]:
    """("ELF" | "Mach-O" | "PE32+", the CPUs it holds code for)."""
    if data[:4] == b"\x7fELF":
        order = "<" if data[5] == 1 else ">"
        (machine,) = struct.unpack_from(order + "H", data, 18)
        return "ELF", frozenset({_ELF_MACHINES.get(machine, hex(machine))})
    if data[:4] == b"\xcf\xfa\xed\xfe":
        (cpu,) = struct.unpack_from("<I", data, 4)
        return "Mach-O", frozenset({_MACHO_CPUS.get(cpu, hex(cpu))})
    if data[:4] == b"\xca\xfe\xba\xbe":
        (count,) = struct.unpack_from(">I", data, 4)
        cpus = {struct.unpack_from(">I", data, 8 + 20 * i)[0] for i in range(count)}
        return "Mach-O", frozenset(_MACHO_CPUS.get(c, hex(c)) for c in cpus)
    if data[:2] == b"MZ":
        (offset,) = struct.unpack_from("<I", data, 0x3C)
        if data[offset : offset + 4] == b"PE\0\0":
            (machine,) = struct.unpack_from("<H", data, offset + 4)
            (magic,) = struct.unpack_from("<H", data, offset + 24)
            kind = "PE32+" if magic == 0x20B else "PE32"
            return kind, frozenset({_PE_MACHINES.get(machine, hex(machine))})
    return "unknown", frozenset()


# What each platform's extensions must be, and what `file` says of such a file.
EXPECTED = {
    "linux_x86_64": (("ELF", frozenset({"x86_64"})), "ELF 64-bit LSB shared object, x86-64"),
    "linux_x86_64_musl": (("ELF", frozenset({"x86_64"})), "ELF 64-bit LSB shared object, x86-64"),
    "linux_aarch64": (("ELF", frozenset({"aarch64"})), "ELF 64-bit LSB shared object, ARM aarch64"),
    "macos_arm64": (("Mach-O", frozenset({"arm64"})), "Mach-O 64-bit"),
    "macos_x86_64": (("Mach-O", frozenset({"x86_64"})), "Mach-O 64-bit"),
    "windows_x86_64": (("PE32+", frozenset({"x86_64"})), "PE32+ executable (DLL)"),
    "windows_arm64": (("PE32+", frozenset({"arm64"})), "PE32+ executable (DLL)"),
}
