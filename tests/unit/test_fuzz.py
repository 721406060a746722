"""Property tests: whatever the bytes or JSON, the wheel reader and the manifest parser fail
only with the project's own error type."""

from __future__ import annotations

import contextlib
import io
import json
import re
import zipfile
from collections import Counter
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from harness.support import PLATFORMS, find_wheel
from pex_assembler import manifest, wheels
from pex_assembler.errors import AssemblerError

SETTINGS = settings(
    max_examples=150,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=12), children, max_size=4)
    ),
    max_leaves=12,
)
manifest_keys = st.sampled_from(
    [
        "output",
        "target",
        "workspace_name",
        "main",
        "entry_point",
        "inject_env",
        "inject_args",
        "inherit_path",
        "interpreter_constraints",
        "compress",
        "layout",
        "max_install_jobs",
        "exclude",
        "prefix",
        "interpreter",
        "name",
        "bytecode_interpreter",
        "invalidation_mode",
    ]
)
# What a virtualenv layer's manifest adds to a PEX's: its place in the image.
LAYER_FIELDS = {"prefix": "/opt/venv", "interpreter": "/usr/bin/python3.11", "name": "app"}


@pytest.fixture(scope="module")
def six_bytes(wheel_dir) -> bytes:
    return find_wheel(wheel_dir, "linux_x86_64", "six").read_bytes()


@SETTINGS
@given(data=st.binary(max_size=2048))
def test_random_bytes_as_a_wheel(tmp_path, data):
    path = tmp_path / "six-1.17.0-py2.py3-none-any.whl"
    path.write_bytes(data)
    with pytest.raises(AssemblerError):
        wheels.read_wheel(path)


def _kind(problem: str) -> str:
    """An error's kind: the first words of its problem, without numbers and punctuation."""
    return " ".join(re.sub(r"[^a-z_ ]", "", problem.lower()).split()[:4])


def test_mutated_real_wheel(tmp_path, six_bytes):
    outcomes: Counter = Counter()

    @SETTINGS
    @given(
        edits=st.lists(st.tuples(st.integers(min_value=0), st.integers(0, 255)), max_size=8),
        cut=st.integers(min_value=0),
    )
    def read(edits, cut):
        data = bytearray(six_bytes)
        for position, value in edits:
            data[position % len(data)] = value
        if cut % 3 == 0:
            data = data[: cut % len(data)]
        path = tmp_path / "six-1.17.0-py2.py3-none-any.whl"
        path.write_bytes(bytes(data))
        try:
            wheel = wheels.read_wheel(path)
        except AssemblerError as exc:
            outcomes[_kind(exc.problem)] += 1
            return
        outcomes["read"] += 1
        assert wheel.name == "six"
        with zipfile.ZipFile(path) as archive:
            assert archive.testzip() is None, "a wheel that reads fine has sound entries"

    read()
    # Random bytes mostly break the zip itself; test_rezipped_real_wheel reaches further.
    assert len(outcomes) >= 2 and outcomes["read"], outcomes


def test_rezipped_real_wheel(tmp_path, six_bytes):
    """Sound zips whose entries were edited, dropped, added or renamed: past the zip reader,
    each is caught by the checks against RECORD and METADATA."""
    with zipfile.ZipFile(io.BytesIO(six_bytes)) as archive:
        entries = [(i.filename, archive.read(i)) for i in archive.infolist()]
    outcomes: Counter = Counter()

    @SETTINGS
    @given(data=st.data())
    def read(data):
        chosen = list(entries)
        action = data.draw(st.sampled_from(["edit", "drop", "add", "rename"]))
        index = data.draw(st.integers(0, len(chosen) - 1))
        name, content = chosen[index]
        if action == "edit" and content:
            edited = bytearray(content)
            edited[data.draw(st.integers(0, len(content) - 1))] ^= data.draw(st.integers(1, 255))
            chosen[index] = (name, bytes(edited))
        elif action == "drop":
            del chosen[index]
        elif action == "add":
            extra = data.draw(st.sampled_from(["six_extra.py", "six-1.17.0.dist-info/NOTES"]))
            chosen.append((extra, b"x = 1\n"))
        else:
            chosen[index] = (name + data.draw(st.sampled_from(["x", "/"])), content)
        path = tmp_path / "six-1.17.0-py2.py3-none-any.whl"
        with zipfile.ZipFile(path, "w") as archive:
            for entry, body in chosen:
                archive.writestr(entry, body)
        try:
            wheels.read_wheel(path)
        except AssemblerError as exc:
            outcomes[_kind(exc.problem)] += 1
            return
        outcomes["read"] += 1

    read()
    assert len(outcomes) >= 4, outcomes
    assert outcomes["read"] == 0, f"every change to a wheel is caught: {outcomes}"


@pytest.mark.parametrize(
    "read, fields", [(manifest.load, {}), (manifest.load_layer, LAYER_FIELDS)], ids=["pex", "layer"]
)
def test_random_manifest(tmp_path, read, fields):
    """Random values for some fields of a manifest that loads: each field's own checks are
    reached, not only the first one."""
    (tmp_path / "main.py").write_text("print(1)\n")
    valid = {
        "output": str(tmp_path / "out.pex"),
        "target": {"platform": PLATFORMS["linux_x86_64"], "python_version": "3.11"},
        "workspace_name": "_main",
        "entry_point": "app.main",
        **fields,
    }
    read(_written(tmp_path, valid), [f"app/main.py={tmp_path / 'main.py'}"])
    outcomes: Counter = Counter()

    @SETTINGS
    @given(
        changes=st.dictionaries(manifest_keys, json_values, min_size=1, max_size=3),
        whole=st.booleans(),
    )
    def load(changes, whole):
        document = changes if whole else {**valid, **changes}
        try:
            read(_written(tmp_path, document), ["a/b.py=x.py"], ["a"])
        except AssemblerError as exc:
            outcomes[_kind(exc.problem)] += 1
            return
        outcomes["loaded"] += 1

    load()
    assert len(outcomes) >= 6 and outcomes["loaded"], outcomes


def _written(tmp_path: Path, document) -> Path:
    path = tmp_path / "manifest.json"
    path.write_text(json.dumps(document))
    return path


@SETTINGS
@given(text=st.text(max_size=300))
def test_manifest_that_is_not_json(tmp_path, text):
    path = tmp_path / "manifest.json"
    path.write_text(text)
    with contextlib.suppress(AssemblerError):
        manifest.load(path)
