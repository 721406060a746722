"""Bazel's persistent-worker protocol, so that one Python process serves many actions.

Bazel starts `pex-assembler --persistent_worker` and sends it WorkRequests on stdin, each
one action's arguments, and reads one WorkResponse per request on stdout. Both are protobuf
messages, each preceded by its length as a varint (Bazel 4 offers JSON only behind an
experimental flag). Only the few fields below are read or written, so they are coded here
rather than with a protobuf library:

    WorkRequest:  repeated string arguments = 1; int32 request_id = 3
    WorkResponse: int32 exit_code = 1; string output = 2; int32 request_id = 3
"""

from __future__ import annotations

import contextlib
import io
import traceback
from dataclasses import dataclass, field
from typing import BinaryIO, Callable, List, Optional, Sequence, Tuple

_VARINT, _FIXED64, _LENGTH_DELIMITED, _FIXED32 = 0, 1, 2, 5


@dataclass
class WorkRequest:
    arguments: List[str] = field(default_factory=list)
    request_id: int = 0


def _read_varint(data: bytes, position: int) -> Tuple[int, int]:
    value = shift = 0
    while True:
        if position >= len(data):
            raise ValueError("truncated varint")
        byte = data[position]
        position += 1
        value |= (byte & 0x7F) << shift
        if not byte & 0x80:
            return value, position
        shift += 7


def _varint(value: int) -> bytes:
    # int32 fields: negative values go out as ten-byte two's complement, as protobuf does.
    value &= (1 << 64) - 1
    out = bytearray()
    while True:
        low = value & 0x7F
        value >>= 7
        if value:
            out.append(low | 0x80)
        else:
            out.append(low)
            return bytes(out)


def parse_request(data: bytes) -> WorkRequest:
    """A WorkRequest from its encoded bytes; fields other than the two above are skipped."""
    request = WorkRequest()
    position = 0
    while position < len(data):
        key, position = _read_varint(data, position)
        number, wire_type = key >> 3, key & 7
        if wire_type == _VARINT:
            value, position = _read_varint(data, position)
            if number == 3:
                request.request_id = value if value < 2**31 else value - 2**64
        elif wire_type == _LENGTH_DELIMITED:
            length, position = _read_varint(data, position)
            if position + length > len(data):
                raise ValueError("truncated field")
            if number == 1:
                request.arguments.append(data[position : position + length].decode("utf-8"))
            position += length
        elif wire_type in (_FIXED64, _FIXED32):
            position += 8 if wire_type == _FIXED64 else 4
        else:
            raise ValueError(f"unsupported wire type {wire_type}")
    return request


def encode_request(arguments: Sequence[str], request_id: int = 0) -> bytes:
    """A length-delimited WorkRequest, as Bazel sends it (for tests and benchmarks)."""
    body = bytearray()
    for argument in arguments:
        text = argument.encode("utf-8")
        body += _varint(1 << 3 | _LENGTH_DELIMITED) + _varint(len(text)) + text
    if request_id:
        body += _varint(3 << 3 | _VARINT) + _varint(request_id)
    return _varint(len(body)) + bytes(body)


def encode_response(exit_code: int, output: str, request_id: int) -> bytes:
    """A length-delimited WorkResponse."""
    body = bytearray()
    if exit_code:
        body += _varint(1 << 3 | _VARINT) + _varint(exit_code)
    if output:
        text = output.encode("utf-8")
        body += _varint(2 << 3 | _LENGTH_DELIMITED) + _varint(len(text)) + text
    if request_id:
        body += _varint(3 << 3 | _VARINT) + _varint(request_id)
    return _varint(len(body)) + bytes(body)


def read_message(stream: BinaryIO) -> Optional[bytes]:
    """One length-delimited message, or None when Bazel closed the stream."""
    length = shift = 0
    while True:
        byte = stream.read(1)
        if not byte:
            if shift:
                raise ValueError("stream ended inside a message length")
            return None
        length |= (byte[0] & 0x7F) << shift
        if not byte[0] & 0x80:
            break
        shift += 7
    data = stream.read(length)
    if len(data) != length:
        raise ValueError("stream ended inside a message")
    return data


def serve(run: Callable[[Sequence[str]], int], requests: BinaryIO, responses: BinaryIO) -> None:
    """Answers every request on `requests` with `run(arguments)`'s exit code and messages."""
    while True:
        data = read_message(requests)
        if data is None:
            return
        request = parse_request(data)
        captured = io.StringIO()
        # stdout is the protocol's channel: whatever an action prints goes into its response.
        with contextlib.redirect_stdout(captured), contextlib.redirect_stderr(captured):
            try:
                exit_code = run(request.arguments)
            except SystemExit as exc:
                # argparse exits on bad arguments; the worker stays up for the next action.
                exit_code = exc.code if isinstance(exc.code, int) else 1
            except Exception:
                traceback.print_exc()
                exit_code = 1
        responses.write(encode_response(exit_code, captured.getvalue(), request.request_id))
        responses.flush()
