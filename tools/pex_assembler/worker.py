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
from typing import BinaryIO, Callable, Dict, Iterator, List, Optional, Sequence, Tuple, Union

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


def _fields(data: bytes) -> Iterator[Tuple[int, Union[int, bytes]]]:
    """(field number, value) of each varint and length-delimited field; fixed ones skipped."""
    position = 0
    while position < len(data):
        key, position = _read_varint(data, position)
        number, wire_type = key >> 3, key & 7
        if wire_type == _VARINT:
            value, position = _read_varint(data, position)
            yield number, value
        elif wire_type == _LENGTH_DELIMITED:
            length, position = _read_varint(data, position)
            if position + length > len(data):
                raise ValueError("truncated field")
            yield number, data[position : position + length]
            position += length
        elif wire_type in (_FIXED64, _FIXED32):
            position += 8 if wire_type == _FIXED64 else 4
        else:
            raise ValueError(f"unsupported wire type {wire_type}")


def _int32(value: int) -> int:
    return value if value < 2**31 else value - 2**64


def _message(*fields: Tuple[int, Union[int, str]]) -> bytes:
    """A length-delimited message of the given fields; zeros and empty strings left out."""
    body = bytearray()
    for number, value in fields:
        if isinstance(value, str):
            if value:
                text = value.encode("utf-8")
                body += _varint(number << 3 | _LENGTH_DELIMITED) + _varint(len(text)) + text
        elif value:
            body += _varint(number << 3 | _VARINT) + _varint(value)
    return _varint(len(body)) + bytes(body)


def parse_request(data: bytes) -> WorkRequest:
    """A WorkRequest from its encoded bytes; fields other than the two above are skipped."""
    request = WorkRequest()
    for number, value in _fields(data):
        if number == 1 and isinstance(value, bytes):
            request.arguments.append(value.decode("utf-8"))
        elif number == 3 and isinstance(value, int):
            request.request_id = _int32(value)
    return request


def encode_request(arguments: Sequence[str], request_id: int = 0) -> bytes:
    """A length-delimited WorkRequest, as Bazel sends it (for tests and benchmarks)."""
    return _message(*((1, a) for a in arguments), (3, request_id))


def encode_response(exit_code: int, output: str, request_id: int) -> bytes:
    """A length-delimited WorkResponse."""
    return _message((1, exit_code), (2, output), (3, request_id))


def parse_response(data: bytes) -> Tuple[int, str, int]:
    """exit_code, output and request_id of a WorkResponse (for tests and benchmarks)."""
    found: Dict[int, Union[int, bytes]] = dict(_fields(data))
    output = found.get(2, b"")
    return (
        _int32(int(found.get(1, 0))),
        output.decode("utf-8") if isinstance(output, bytes) else "",
        _int32(int(found.get(3, 0))),
    )


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
