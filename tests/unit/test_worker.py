"""The persistent worker, driven over its real stdin and stdout as Bazel drives it."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys

import pytest

from harness.support import ROOT
from pex_assembler import worker

# Written by hand as Bazel's JSON protocol writes requests (protobuf's JSON mapping: no
# whitespace, UTF-8, `=` escaped; one a line), so that encoder and parser cannot share a
# mistake.
BAZEL_REQUEST = (
    '{"arguments":["build","--manifest\\u003dm.json","é"],'
    '"inputs":[{"path":"a.py","digest":"/wA="}],"requestId":300,"verbosity":10,'
    '"sandboxDir":"/s"}\n'
).encode()


def test_requests_skip_fields_they_do_not_use():
    request = worker.parse_request(BAZEL_REQUEST)
    assert request.arguments == ["build", "--manifest=m.json", "é"]
    assert request.request_id == 300


def test_fields_left_out_hold_their_defaults():
    # A singleplex request has requestId 0, which protobuf's JSON mapping leaves out.
    assert worker.parse_request(b'{"arguments":["describe-target"]}\n') == worker.WorkRequest(
        ["describe-target"], 0
    )
    assert worker.parse_request(b"{}\n") == worker.WorkRequest([], 0)
    assert worker.parse_request(b'{"requestId":"7"}\n').request_id == 7
    assert worker.encode_request(["a", "bc"]) == b'{"arguments":["a","bc"]}\n'
    assert worker.encode_request(["a"], 2) == b'{"arguments":["a"],"requestId":2}\n'


def test_responses_are_one_json_object_a_line():
    line = worker.encode_response(1, "ok\né", 7)
    assert line.endswith(b"\n") and line.count(b"\n") == 1
    assert json.loads(line) == {"exitCode": 1, "output": "ok\né", "requestId": 7}
    assert worker.parse_response(line) == (1, "ok\né", 7)
    # What Bazel accepts as a response may leave out any field too.
    assert worker.parse_response(b'{"requestId":3}') == (0, "", 3)


@pytest.mark.parametrize(
    "line",
    [
        b'{"arguments":["a"\n',
        b'["a"]\n',
        b'{"arguments":"build"}\n',
        b'{"arguments":[1]}\n',
        b'{"requestId":true}\n',
        b'{"requestId":4294967296}\n',
        b'{"requestId":"x"}\n',
    ],
)
def test_malformed_requests_are_errors(line):
    with pytest.raises(ValueError):
        worker.parse_request(line)


def test_a_stream_cut_inside_a_request_is_an_error():
    stream = io.BytesIO(b'{"arguments":["a"]}\n{"argu')
    assert worker.read_message(stream) == b'{"arguments":["a"]}\n'
    with pytest.raises(ValueError):
        worker.read_message(stream)
    assert worker.read_message(io.BytesIO(b"")) is None


def test_worker_answers_each_request_then_exits_when_bazel_closes_its_stdin(tmp_path):
    env = {"PYTHONPATH": f"{ROOT / 'tools'}{os.pathsep}{os.pathsep.join(sys.path)}"}
    describe = '"describe-target","--os","{}","--arch","{}","--python-version","{}",{}'
    requests = (
        b'{"arguments":['
        + describe.format(
            "linux", "x86_64", "3.11", '"--libc","glibc","--libc-version","2.28"'
        ).encode()
        + b"]}\n"
        b'{"arguments":["build","--manifest",'
        + json.dumps(str(tmp_path / "missing.json")).encode()
        + b'],"requestId":7}\n'
        b'{"arguments":["no-such-command"],"verbosity":10}\n'
        b'{"arguments":['
        + describe.format("macos", "arm64", "3.12", '"--os-version","14.0"').encode()
        + b"]}\n"
    )
    done = subprocess.run(
        [sys.executable, "-m", "pex_assembler", "--persistent_worker"],
        input=requests,
        capture_output=True,
        env=env,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines(keepends=True)
    assert all(line.endswith(b"\n") for line in lines)
    responses = [worker.parse_response(line) for line in lines]
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
