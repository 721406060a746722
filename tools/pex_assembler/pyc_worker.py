"""Compiles Python sources to .pyc with the CPython that runs this script.

Run by `pex_assembler.bytecode` with the target's CPython version on the exec platform, as a
script (`python -S -B pyc_worker.py MODE`), so it imports nothing but the standard library
and keeps to Python 3.8's syntax. stdout: a header frame (JSON: implementation, version,
cache_tag), then one result per request in order: a status byte (1: compiled, 0: not
compilable, as pip skips such files) and a frame (the .pyc, or the error). stdin: requests
until EOF, each a frame with the path the source has in the image, then a frame with the
source.
"""

import importlib.util
import json
import marshal
import struct
import sys

# PEP 552 flags: bit 0 says hash-based, bit 1 says the hash is checked against the source.
FLAGS = {"checked_hash": 0b11, "unchecked_hash": 0b01}


def _read_exactly(stream, size):
    data = stream.read(size)
    if len(data) != size:
        raise EOFError("the request stream ended inside a frame")
    return data


def _frame(stream, data):
    stream.write(struct.pack(">I", len(data)))
    stream.write(data)


def _compile(path, source, flags):
    code = compile(source, path, "exec", dont_inherit=True)
    header = importlib.util.MAGIC_NUMBER + struct.pack("<I", flags)
    data = header + importlib.util.source_hash(source) + marshal.dumps(code)
    # marshal marks objects referenced more than once; a code object kept alive until the
    # next file compiles would make that file's bytes depend on the order of compilation.
    del code
    return data


def main():
    flags = FLAGS[sys.argv[1]]
    stdin, stdout = sys.stdin.buffer, sys.stdout.buffer
    header = {
        "implementation": sys.implementation.name,
        "version": ".".join(map(str, sys.version_info[:2])),
        "cache_tag": sys.implementation.cache_tag,
    }
    _frame(stdout, json.dumps(header).encode())
    while True:
        try:
            (size,) = struct.unpack(">I", _read_exactly(stdin, 4))
        except EOFError:
            break
        path = _read_exactly(stdin, size).decode("utf-8", "surrogateescape")
        (size,) = struct.unpack(">I", _read_exactly(stdin, 4))
        source = _read_exactly(stdin, size)
        try:
            result, status = _compile(path, source, flags), 1
        except (SyntaxError, ValueError) as error:
            result, status = str(error).encode("utf-8", "replace"), 0
        stdout.write(bytes([status]))
        _frame(stdout, result)
    stdout.flush()


if __name__ == "__main__":
    main()
