"""Property tests: whatever the bytes or JSON, the wheel reader and the manifest parser fail
only with the project's own error type."""

from __future__ import annotations

import contextlib
import json
import zipfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pex_assembler import build, manifest, wheels
from pex_assembler.errors import AssemblerError
from support import find_wheel

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
        "sources",
        "wheels",
        "main",
        "entry_point",
        "inject_env",
        "inject_args",
        "inherit_path",
        "import_roots",
        "interpreter_constraints",
        "workspace_name",
        "compress",
    ]
)


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


@SETTINGS
@given(
    edits=st.lists(st.tuples(st.integers(min_value=0), st.integers(0, 255)), max_size=8),
    cut=st.integers(min_value=0),
)
def test_mutated_real_wheel(tmp_path, six_bytes, edits, cut):
    data = bytearray(six_bytes)
    for position, value in edits:
        data[position % len(data)] = value
    if cut % 3 == 0:
        data = data[: cut % len(data)]
    path = tmp_path / "six-1.17.0-py2.py3-none-any.whl"
    path.write_bytes(bytes(data))
    try:
        wheel = wheels.read_wheel(path)
    except AssemblerError:
        return
    assert wheel.name == "six"
    with zipfile.ZipFile(path) as archive:
        assert archive.testzip() is None, "a wheel that reads fine has sound entries"


@SETTINGS
@given(document=st.dictionaries(manifest_keys, json_values, max_size=8) | json_values)
def test_random_manifest(tmp_path, document):
    path = tmp_path / "manifest.json"
    path.write_text(json.dumps(document))
    try:
        loaded = manifest.load(path, ["a/b.py=x.py"], ["a"])
        build.resolve_target(dict(loaded.target))
    except AssemblerError:
        pass


@SETTINGS
@given(text=st.text(max_size=300))
def test_manifest_that_is_not_json(tmp_path, text):
    path = tmp_path / "manifest.json"
    path.write_text(text)
    with contextlib.suppress(AssemblerError):
        manifest.load(path)


def test_fuzz_inputs_reach_real_checks(tmp_path, six_bytes):
    """The mutated-wheel property is not vacuous: the untouched wheel reads fine."""
    path = tmp_path / "six-1.17.0-py2.py3-none-any.whl"
    path.write_bytes(six_bytes)
    assert wheels.read_wheel(Path(path)).name == "six"
