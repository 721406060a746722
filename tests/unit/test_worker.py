"""The persistent worker, driven over its real stdin and stdout as Bazel drives it."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from pex_assembler import worker
from support import ROOT


def _request(arguments, request_id=0, extra=b""):
    """A WorkRequest with `extra` fields appended, as a newer Bazel may send."""
    data = worker.encode_request(arguments, request_id)
    length, position = worker._read_varint(data, 0)
    return worker._varint(length + len(extra)) + data[position:] + extra


def test_requests_skip_fields_they_do_not_use():
    # Bazel also sends inputs (path and digest), verbosity and sandbox_dir.
    an_input = b"\x0a\x03a.py\x12\x02\xff\x00"
    extra = b"\x12" + bytes([len(an_input)]) + an_input + b"\x28\x0a" + b"\x32\x02/s"
    data = _request(["build", "--manifest", "m.json", "é"], request_id=300, extra=extra)
    request = worker.parse_request(data[1:])
    assert request.arguments == ["build", "--manifest", "m.json", "é"]
    assert request.request_id == 300


def test_messages_are_protobuf_as_bazel_writes_them():
    # Written by hand from worker_protocol.proto, so encoder and parser cannot share a mistake.
    response = b"\x08\x01\x12\x02ok\x18\x07"
    assert worker.encode_response(1, "ok", 7) == bytes([len(response)]) + response
    assert worker.parse_response(response) == (1, "ok", 7)
    assert worker.encode_request(["a", "bc"], 2) == b"\x09\x0a\x01a\x0a\x02bc\x18\x02"


def test_truncated_request_is_an_error():
    with pytest.raises(ValueError):
        worker.parse_request(b"\x0a\x05ab")


def test_worker_answers_each_request_then_exits_when_bazel_closes_its_stdin(tmp_path):
    env = {"PYTHONPATH": f"{ROOT / 'tools'}{os.pathsep}{os.pathsep.join(sys.path)}"}
    requests = b"".join(
        [
            _request(
                ["describe-target", "--os", "linux", "--arch", "x86_64", "--python-version", "3.11"]
            ),
            _request(["build", "--manifest", str(tmp_path / "missing.json")], request_id=7),
            _request(["no-such-command"]),
            _request(
                ["describe-target", "--os", "macos", "--arch", "arm64", "--python-version", "3.12"]
            ),
        ]
    )
    done = subprocess.run(
        [sys.executable, "-m", "pex_assembler", "--persistent_worker"],
        input=requests,
        capture_output=True,
        env=env,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    stream, responses = done.stdout, []
    while stream:
        length, position = worker._read_varint(stream, 0)
        responses.append(worker.parse_response(stream[position : position + length]))
        stream = stream[position + length :]
    assert len(responses) == 4, responses

    # What a command prints travels in its response, never around the protocol.
    code, output, request_id = responses[0]
    assert (code, request_id) == (0, 0)
    assert "cp311-cp311-manylinux_2_28_x86_64" in json.loads(output)["compatible_tags"]

    code, output, request_id = responses[1]
    assert (code, request_id) == (1, 7)
    assert output.startswith("pex-assembler: error: ") and "missing.json" in output

    code, output, _ = responses[2]
    assert code == 2 and "invalid choice: 'no-such-command'" in output

    # Still serving after failures, with nothing left over from them.
    code, output, _ = responses[3]
    assert code == 0
    assert "cp312-cp312-macosx_14_0_arm64" in json.loads(output)["compatible_tags"]
