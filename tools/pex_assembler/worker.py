"""Bazel's persistent-worker protocol, so that one Python process serves many actions.

Bazel starts `pex-assembler --persistent_worker` and writes WorkRequests to its stdin, and
reads one WorkResponse per request from its stdout. The actions ask for the JSON form of the
protocol (`requires-worker-protocol: json`): one JSON object a line each way, in protobuf's
JSON mapping, which leaves out every field that holds its default. Only these fields are read
or written; others (inputs, verbosity, sandboxDir) are ignored:

    WorkRequest:  {"arguments": [str, ...], "requestId": int}   (absent: [] and 0)
    WorkResponse: {"exitCode": int, "output": str, "requestId": int}
"""

from __future__ import annotations

import contextlib
import io
import json
import traceback
from dataclasses import dataclass, field
from typing import BinaryIO, Callable, List, Optional, Sequence, Tuple


@dataclass
class WorkRequest:
    arguments: List[str] = field(default_factory=list)
    request_id: int = 0


def _int32(value: object, name: str) -> int:
    # protobuf's JSON mapping writes int32 as a number, and parsers take a string as well.
    if isinstance(value, str):
        value = int(value)
    if not isinstance(value, int) or isinstance(value, bool) or not -(2**31) <= value < 2**31:
        raise ValueError(f"{name} is no int32: {value!r}")
    return value


def parse_request(line: bytes) -> WorkRequest:
    """A WorkRequest from one line of JSON; fields other than the two above are skipped."""
    data = json.loads(line)
    if not isinstance(data, dict):
        raise ValueError(f"a WorkRequest is a JSON object, not {line[:80]!r}")
    arguments = data.get("arguments") or []
    if not isinstance(arguments, list) or not all(isinstance(a, str) for a in arguments):
        raise ValueError(f"arguments are no list of strings: {arguments!r}")
    return WorkRequest(arguments, _int32(data.get("requestId", 0), "requestId"))


def _line(message: dict) -> bytes:
    return json.dumps(message, separators=(",", ":")).encode("utf-8") + b"\n"


def encode_request(arguments: Sequence[str], request_id: int = 0) -> bytes:
    """A WorkRequest line as Bazel writes it, defaults left out (for tests and benchmarks)."""
    message: dict = {}
    if arguments:
        message["arguments"] = list(arguments)
    if request_id:
        message["requestId"] = request_id
    return _line(message)


def encode_response(exit_code: int, output: str, request_id: int) -> bytes:
    """A WorkResponse line."""
    return _line({"exitCode": exit_code, "output": output, "requestId": request_id})


def parse_response(line: bytes) -> Tuple[int, str, int]:
    """exit_code, output and request_id of a WorkResponse (for tests and benchmarks)."""
    data = json.loads(line)
    return data.get("exitCode", 0), data.get("output", ""), data.get("requestId", 0)


def read_message(stream: BinaryIO) -> Optional[bytes]:
    """One message's line, or None when Bazel closed the stream."""
    line = stream.readline()
    if not line:
        return None
    if not line.endswith(b"\n"):
        raise ValueError("stream ended inside a message")
    return line


def serve(run: Callable[[Sequence[str]], int], requests: BinaryIO, responses: BinaryIO) -> None:
    """Answers every request on `requests` with `run(arguments)`'s exit code and messages."""
    while True:
        line = read_message(requests)
        if line is None:
            return
        request = parse_request(line)
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
