"""The virtualenv layer writer piece by piece: where each file lands in the tar, with which
mode, what each RECORD says, which modules get a .pyc, the launcher, the tar's own bytes."""

from __future__ import annotations

import base64
import csv
import dataclasses
import hashlib
import io
import os
import posixpath
import tarfile
import tempfile
import zipfile
from pathlib import Path
from typing import Dict, List, Optional, Tuple

import pytest

from harness.support import LAYER_PREFIX, record_line, run_in_layer, watch_replace, write_sources
from pex_assembler import venv_layer
from pex_assembler.errors import AssemblerError

PREFIX = LAYER_PREFIX
INTERPRETER = "/usr/bin/python3.11"
SITE = "opt/venv/lib/python3.11/site-packages"
TAG = "cpython-311"


def _wheel(
    directory: Path,
    dist_info: str,
    files: Dict[str, Tuple[bytes, int]],
    purelib: bool = True,
    entry_points: str = "",
) -> Path:
    """`<name>-<version>-py3-none-any.whl` (lower case, as indexes name them) of `files`
    ({name: (content, mode)}), whose dist-info directory is `dist_info`, spelt as given."""
    name, version = dist_info[: -len(".dist-info")].split("-")
    wheel_text = f"Wheel-Version: 1.0\nRoot-Is-Purelib: {str(purelib).lower()}\nTag: py3-none-any\n"
    entries = dict(files)
    entries[f"{dist_info}/METADATA"] = (
        f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n".encode(), 0o644)  # fmt: skip
    entries[f"{dist_info}/WHEEL"] = (wheel_text.encode(), 0o644)
    if entry_points:
        entries[f"{dist_info}/entry_points.txt"] = (entry_points.encode(), 0o644)
    record = "".join(record_line(n, data) for n, (data, _) in entries.items())
    entries[f"{dist_info}/RECORD"] = ((record + f"{dist_info}/RECORD,,\n").encode(), 0o644)
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"{name.lower()}-{version}-py3-none-any.whl"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for entry, (data, mode) in entries.items():
            info = zipfile.ZipInfo(entry)
            info.external_attr = (0o100000 | mode) << 16
            archive.writestr(info, data)
    return path


# Python 2 only: no .pyc, as pip leaves a module that does not compile.
PY2 = b"print 'old'\n"


def _tool(directory: Path) -> Path:
    """A purelib wheel, its dist-info spelt `Tool` in `tool-2.0-...whl`, with a file of
    every scheme and an executable module file."""
    return _wheel(
        directory,
        "Tool-2.0.dist-info",
        {
            "tool/__init__.py": (b"def main():\n    print('tool main')\n", 0o644),
            "tool/legacy.py": (PY2, 0o644),
            "tool/notes.txt": (b"notes\n", 0o644),
            "tool/run.sh": (b"#!/bin/sh\necho run\n", 0o755),
            "Tool-2.0.data/scripts/tool-script": (b"#!python\nprint('tool script')\n", 0o644),
            "Tool-2.0.data/scripts/plain.py": (b"#!/bin/sh\necho plain\n", 0o644),
            "Tool-2.0.data/data/share/tool/x.py": (b"X = 1\n", 0o644),
            "Tool-2.0.data/headers/tool.h": (b"#define TOOL 1\n", 0o644),
            "Tool-2.0.data/purelib/extra.py": (b"EXTRA = 1\n", 0o644),
            "Tool-2.0.data/platlib/plat.py": (b"PLAT = 1\n", 0o644),
        },
        entry_points="[console_scripts]\ntool = tool:main\n",
    )


def _fast(directory: Path) -> Path:
    """A platlib wheel."""
    files = {"fast/__init__.py": (b"FAST = 1\n", 0o644), "fast/table.dat": (b"\x00\x01", 0o644)}
    return _wheel(directory, "fast-1.0.dist-info", files, purelib=False)


CLI = b"""\
import sys


class Main:
    @staticmethod
    def run():
        print("run", sys.argv[1:])
        return 4
"""
FIRST_PARTY = {
    "app/__init__.py": b"",
    "app/cli.py": CLI,
    "app/old.py": PY2,
    "app/data.txt": b"data\n",
}


def _spec(bytecode: bool = True, name: str = "app") -> venv_layer.VenvSpec:
    return venv_layer.VenvSpec(
        prefix=PREFIX,
        interpreter=INTERPRETER,
        python_version="3.11",
        name=name,
        bytecode_interpreter=INTERPRETER if bytecode else None,
    )


def _layer(
    tmp_path: Path,
    bytecode: bool = True,
    entry_point: Optional[str] = "app.cli:Main.run",
    files: Optional[Dict[str, bytes]] = None,
) -> Path:
    the_wheels = [_tool(tmp_path / "wheels"), _fast(tmp_path / "wheels")]
    sources = write_sources(tmp_path / "src", FIRST_PARTY if files is None else files)
    output = tmp_path / "out" / "deeper" / "app.tar"
    return venv_layer.write_layer(_spec(bytecode), the_wheels, sources, entry_point, output)


def _members(layer: Path) -> Dict[str, Tuple[bytes, int, Optional[bytes]]]:
    """Each member: its type, mode, and content (a file's) or target (a link's)."""
    with tarfile.open(layer) as tar:
        return {
            m.name: (
                m.type,
                m.mode,
                tar.extractfile(m).read() if m.isfile() else m.linkname.encode() or None,
            )
            for m in tar.getmembers()
        }


def _digest(data: bytes) -> str:
    return "sha256=" + base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()


def _record(members, dist_info: str) -> Dict[str, Tuple[str, str]]:
    """A RECORD's rows, each checked against what the layer holds at its path."""
    text = members[f"{SITE}/{dist_info}/RECORD"][2].decode()
    rows = {row[0]: (row[1], row[2]) for row in csv.reader(io.StringIO(text))}
    for path, (digest, size) in rows.items():
        if digest:
            data = members[posixpath.normpath(f"{SITE}/{path}")][2]
            assert (digest, size) == (_digest(data), str(len(data))), path
    return rows


FILE, EXEC, DIR, LINK = (tarfile.REGTYPE, 0o644), (tarfile.REGTYPE, 0o755), (
    tarfile.DIRTYPE, 0o755), (tarfile.SYMTYPE, 0o777)  # fmt: skip


@pytest.fixture
def layer(tmp_path_factory) -> Path:
    # Written for each test, not once per module: the mutation run credits a function to
    # the tests during which it runs.
    return _layer(tmp_path_factory.mktemp("layer"))


def test_each_file_lands_at_its_place_with_its_mode(layer):
    members = _members(layer)
    expected = {
        "opt/venv": DIR,
        "opt/venv/pyvenv.cfg": FILE,
        "opt/venv/bin": DIR,
        "opt/venv/bin/python": LINK,
        "opt/venv/bin/python3": LINK,
        "opt/venv/bin/python3.11": LINK,
        "opt/venv/bin/app": EXEC,
        "opt/venv/bin/tool": EXEC,
        # Scripts are executable whatever the wheel says, as pip makes them.
        "opt/venv/bin/tool-script": EXEC,
        "opt/venv/bin/plain.py": EXEC,
        "opt/venv/share/tool/x.py": FILE,
        "opt/venv/include/site/python3.11/tool/tool.h": FILE,
        "opt/venv/lib": DIR,
        f"{SITE}/tool": DIR,
        f"{SITE}/tool/__init__.py": FILE,
        f"{SITE}/tool/notes.txt": FILE,
        f"{SITE}/tool/run.sh": EXEC,
        f"{SITE}/extra.py": FILE,
        f"{SITE}/plat.py": FILE,
        f"{SITE}/Tool-2.0.dist-info/RECORD": FILE,
        f"{SITE}/Tool-2.0.dist-info/INSTALLER": FILE,
        f"{SITE}/fast/__init__.py": FILE,
        f"{SITE}/fast-1.0.dist-info/RECORD": FILE,
        f"{SITE}/app/cli.py": FILE,
        f"{SITE}/app/data.txt": FILE,
        f"{SITE}/app/__pycache__": DIR,
        f"{SITE}/app/__pycache__/cli.{TAG}.pyc": FILE,
        f"{SITE}/tool/__pycache__/__init__.{TAG}.pyc": FILE,
    }
    assert {name: members[name][:2] for name in expected} == expected
    assert members["opt/venv/bin/python3.11"][2] == INTERPRETER.encode()
    assert members["opt/venv/pyvenv.cfg"][2] == (
        b"home = /usr/bin\ninclude-system-site-packages = false\nversion = 3.11\n"
    )
    script = members["opt/venv/bin/tool-script"][2]
    assert script == b"#!/opt/venv/bin/python\nprint('tool script')\n"
    # Only `#!python` is the virtualenv's Python.
    assert members["opt/venv/bin/plain.py"][2] == b"#!/bin/sh\necho plain\n"
    assert members[f"{SITE}/Tool-2.0.dist-info/INSTALLER"][2] == b"crosspex\n"
    assert os.stat(layer).st_mode & 0o777 == 0o644


def test_only_importable_modules_that_compile_get_a_pyc(layer):
    compiled = sorted(name for name in _members(layer) if name.endswith(".pyc"))
    assert compiled == [
        f"{SITE}/__pycache__/extra.{TAG}.pyc",
        f"{SITE}/__pycache__/plat.{TAG}.pyc",
        f"{SITE}/app/__pycache__/__init__.{TAG}.pyc",
        f"{SITE}/app/__pycache__/cli.{TAG}.pyc",
        f"{SITE}/fast/__pycache__/__init__.{TAG}.pyc",
        f"{SITE}/tool/__pycache__/__init__.{TAG}.pyc",
    ]


def test_records_list_every_file_and_pyc_with_hash_and_size(layer):
    members = _members(layer)
    tool = _record(members, "Tool-2.0.dist-info")
    assert set(tool) == {
        "tool/__init__.py", "tool/legacy.py", "tool/notes.txt", "tool/run.sh",
        f"tool/__pycache__/__init__.{TAG}.pyc",
        "extra.py", f"__pycache__/extra.{TAG}.pyc",
        "plat.py", f"__pycache__/plat.{TAG}.pyc",
        "../../../bin/tool-script", "../../../bin/plain.py", "../../../bin/tool",
        "../../../share/tool/x.py", "../../../include/site/python3.11/tool/tool.h",
        "Tool-2.0.dist-info/METADATA", "Tool-2.0.dist-info/WHEEL",
        "Tool-2.0.dist-info/entry_points.txt", "Tool-2.0.dist-info/INSTALLER",
        "Tool-2.0.dist-info/RECORD",
    }  # fmt: skip
    assert tool["Tool-2.0.dist-info/RECORD"] == ("", "")
    fast = _record(members, "fast-1.0.dist-info")
    assert f"fast/__pycache__/__init__.{TAG}.pyc" in fast and "fast/table.dat" in fast


def test_the_launcher_runs_a_method_entry_point_and_passes_on_its_exit_code(layer, tmp_path):
    done = run_in_layer(tmp_path, layer, f"{PREFIX}/bin/app", "x", returncode=4)
    assert done.stdout == "run ['x']\n", done.stderr


def test_without_an_entry_point_there_is_no_launcher_and_without_bytecode_no_pyc(tmp_path):
    members = _members(_layer(tmp_path, bytecode=False, entry_point=None))
    assert "opt/venv/bin/app" not in members
    assert not [name for name in members if name.endswith(".pyc") or "__pycache__" in name]
    assert f"{SITE}/tool/__init__.py" in members and "opt/venv/bin/tool" in members


def test_a_layer_written_again_over_its_output_has_the_same_bytes(tmp_path, layer):
    """A rebuild replaces the output where it is; the bytes depend on the inputs alone."""
    again = _layer(tmp_path)
    first = again.read_bytes()
    assert _layer(tmp_path).read_bytes() == first == layer.read_bytes()


@pytest.mark.parametrize("over", [0, 1])
def test_modules_up_to_the_size_limit_get_a_pyc(tmp_path, monkeypatch, over):
    """A small limit stands in for the 16 MiB one: a module of its size is compiled, one
    byte more is not."""
    source = b"VALUE = 1\n"
    monkeypatch.setattr(venv_layer, "MAX_COMPILED_SOURCE", len(source) - over)
    members = _members(_layer(tmp_path, entry_point=None, files={"mod.py": source}))
    assert (f"{SITE}/__pycache__/mod.{TAG}.pyc" in members) is not bool(over)


def test_the_layer_is_staged_beside_its_output_only(tmp_path, monkeypatch):
    """No byte goes to the temp directory (a small tmpfs in sandboxes), and the staged tar is
    named as a killed build's debris is cleared: `.<output>.*`."""
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path / "no-such-directory"))
    replaced = watch_replace(monkeypatch)
    output = _layer(tmp_path, bytecode=False, entry_point=None, files={})
    ((staged, destination),) = replaced
    assert destination == output and staged.parent == output.parent
    assert staged.name.startswith(".app.tar.")
    assert sorted(os.listdir(output.parent)) == ["app.tar"]


# --- the tar itself ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "path", ["/etc/passwd", "../x", "a/../../x", "..", ".", "", "a/.."]
)  # fmt: skip
def test_paths_outside_the_layer_are_refused(tmp_path, path):
    with (tmp_path / "spool").open("w+b") as spool:
        layer = venv_layer.Layer(spool)
        with pytest.raises(AssemblerError, match="escapes the layer"):
            layer.add(path, venv_layer.Entry(mode=0o644, data=b"x"))
        assert layer.entries == {}


@pytest.mark.parametrize(
    "member, shown, scheme",
    [
        ("../../../bin/evil", "/opt/venv/bin/evil", "purelib"),
        ("evil-1.0.data/scripts/../../x", "/opt/x", "scripts"),
        ("evil-1.0.data/purelib/../../../../../x.py", "/x.py", "purelib"),
    ],
)
def test_a_file_installed_outside_its_scheme_directory_is_refused_naming_the_wheel(
    tmp_path, member, shown, scheme
):
    """The guard beneath the wheel's own check (which the build runs first): whatever path
    the installer hands over, nothing lands outside its scheme's directory."""
    wheel = _wheel(tmp_path / "w", "evil-1.0.dist-info", {member: (b"x", 0o644)})
    output = tmp_path / "out" / "app.tar"
    with pytest.raises(AssemblerError) as caught:
        venv_layer.write_layer(_spec(bytecode=False), [wheel], {}, None, output)
    assert caught.value.subject == str(wheel)
    assert f" at {shown}, outside its {scheme} directory" in caught.value.problem
    assert os.listdir(output.parent) == []


def test_a_directory_added_with_its_own_mode_takes_files(tmp_path):
    with (tmp_path / "spool").open("w+b") as spool:
        layer = venv_layer.Layer(spool)
        layer.add("v/private", venv_layer.Entry(mode=0o700))
        layer.add("v/private/f", venv_layer.Entry(mode=0o600, data=b"f"))
        layer.write(tmp_path / "layer.tar")
    assert _members(tmp_path / "layer.tar") == {
        "v": (tarfile.DIRTYPE, 0o755, None),
        "v/private": (tarfile.DIRTYPE, 0o700, None),
        "v/private/f": (tarfile.REGTYPE, 0o600, b"f"),
    }


def test_a_path_under_a_link_or_over_a_directory_is_refused(tmp_path):
    with (tmp_path / "spool").open("w+b") as spool:
        layer = venv_layer.Layer(spool)
        layer.add("v/link", venv_layer.Entry(mode=0o777, link="/elsewhere"))
        with pytest.raises(AssemblerError, match="is a file in the layer, and also the directory"):
            layer.add("v/link/x", venv_layer.Entry(mode=0o644, data=b"x"))
        layer.add("v/d/f", venv_layer.Entry(mode=0o644, data=b"x"))
        with pytest.raises(AssemblerError, match="is written twice into the layer"):
            layer.add("v/d", venv_layer.Entry(mode=0o644, data=b"x"))
        layer.add("top", venv_layer.Entry(mode=0o644, data=b"top"))
        layer.add("v/a/../e", venv_layer.Entry(mode=0o600, data=b""))
        layer.write(tmp_path / "layer.tar")
    assert _members(tmp_path / "layer.tar") == {
        "top": (tarfile.REGTYPE, 0o644, b"top"),
        "v": (tarfile.DIRTYPE, 0o755, None),
        "v/d": (tarfile.DIRTYPE, 0o755, None),
        "v/d/f": (tarfile.REGTYPE, 0o644, b"x"),
        "v/e": (tarfile.REGTYPE, 0o600, b""),
        "v/link": (tarfile.SYMTYPE, 0o777, b"/elsewhere"),
    }


def _tar_of(tmp_path: Path, order) -> bytes:
    long_name = "v/" + "/".join(["directory"] * 12) + "/module.py"
    members = {
        long_name: venv_layer.Entry(mode=0o644, data=b"long" * 1000),
        "v/bin/python": venv_layer.Entry(mode=0o777, link="/usr/bin/python3"),
        "v/a.py": venv_layer.Entry(mode=0o644, data=b""),
    }
    with tempfile.TemporaryFile(dir=tmp_path) as spool:
        layer = venv_layer.Layer(spool)
        for name in order(list(members)):
            layer.add(name, members[name])
        output = tmp_path / f"layer{len(os.listdir(tmp_path))}.tar"
        layer.write(output)
    return output.read_bytes()


def test_the_tar_is_gnu_sorted_and_the_same_whatever_the_order_of_adding(tmp_path):
    """The layer's digest is the image's: its bytes depend on its content alone, in GNU tar's
    format (a long name as a ././@LongLink member), owned by root at time 0."""
    first = _tar_of(tmp_path, lambda names: names)
    assert first == _tar_of(tmp_path, lambda names: names[::-1])
    assert first[257:265] == b"ustar  \x00"  # GNU's magic, not POSIX's b"ustar\x0000"
    assert b"././@LongLink\x00" in first
    with tarfile.open(fileobj=io.BytesIO(first)) as tar:
        members = tar.getmembers()
    assert [m.name for m in members] == sorted(m.name for m in members)
    assert {(m.mtime, m.uid, m.gid, m.uname, m.gname) for m in members} == {(0, 0, 0, "", "")}


def _parts(tmp_path: Path, entry_point: Optional[str] = "app.cli:Main.run") -> List[Path]:
    """The layer in parts, as py_venv_layer writes it: each wheel installed on its own, the
    wheels' group, and the virtualenv's own part, which no wheel's file may be written over."""
    spec = _spec()
    installed: Dict[str, str] = {}
    fragments = []
    for wheel in [_tool(tmp_path / "wheels"), _fast(tmp_path / "wheels")]:
        fragment = tmp_path / "parts" / f"{wheel.name}.tar"
        installed.update(venv_layer.write_installed(spec, [wheel], fragment))
        fragments.append(fragment)
    deps = venv_layer.merge(spec.root, fragments, tmp_path / "out" / "deps.tar")
    sources = write_sources(tmp_path / "src", FIRST_PARTY)
    app = venv_layer.write_app(
        spec, sources, entry_point, installed, [], tmp_path / "out" / "app.tar"
    )
    return [deps, app]


def test_the_parts_merged_are_the_whole_layer_byte_for_byte(tmp_path):
    parts = _parts(tmp_path / "parts")
    merged = venv_layer.merge(PREFIX[1:], parts, tmp_path / "merged.tar")
    assert merged.read_bytes() == _layer(tmp_path / "whole").read_bytes()
    deps, app = (set(_members(p)) for p in parts)
    # Only the directories down from the prefix are in both; no ancestor of the prefix is.
    assert {m for m in deps & app if _members(parts[0])[m][0] != tarfile.DIRTYPE} == set()
    assert "opt" not in deps | app and "opt/venv" in deps & app
    assert f"{SITE}/app/cli.py" in app and f"{SITE}/tool/__init__.py" in deps


def test_each_part_holds_only_its_own_files(tmp_path):
    deps, app = (_members(p) for p in _parts(tmp_path))
    assert "opt/venv/pyvenv.cfg" in app and "opt/venv/bin/app" in app
    assert not any(name.startswith(f"{SITE}/app/") for name in deps)
    assert not any(".dist-info" in name for name in app)


def test_a_launcher_over_a_wheel_s_script_names_both(tmp_path):
    spec = dataclasses.replace(_spec(), name="tool")
    installed = venv_layer.write_installed(spec, [_tool(tmp_path / "w")], tmp_path / "t.tar")
    sources = write_sources(tmp_path / "src", FIRST_PARTY)
    with pytest.raises(AssemblerError) as caught:
        venv_layer.write_app(spec, sources, "app.cli:Main.run", installed, [], tmp_path / "a.tar")
    assert caught.value.subject == "/opt/venv/bin/tool"
    assert caught.value.problem == (
        "is a script of tool-2.0-py3-none-any.whl, and the layer's launcher has the layer's name"
    )
    assert caught.value.fix == (
        "rename the layer (its launcher is bin/<name>), e.g. tool_layer, or set "
        'script = "tool" to make that script the launcher'
    )
    assert not (tmp_path / "a.tar").exists()


def test_a_first_party_file_over_a_wheel_s_file_names_both(tmp_path):
    spec = _spec()
    installed = venv_layer.write_installed(spec, [_tool(tmp_path / "w")], tmp_path / "t.tar")
    sources = write_sources(tmp_path / "src", {"tool/__init__.py": b""})
    with pytest.raises(AssemblerError) as caught:
        venv_layer.write_app(spec, sources, None, installed, [], tmp_path / "a.tar")
    assert caught.value.subject == f"/{SITE}/tool/__init__.py"
    assert caught.value.problem == (
        "is written twice into the layer: by tool-2.0-py3-none-any.whl and by the first-party files"
    )


def test_a_part_that_is_no_layer_is_refused(tmp_path):
    odd = tmp_path / "odd.tar"
    with tarfile.open(odd, "w") as tar:
        info = tarfile.TarInfo("opt/venv/fifo")
        info.type = tarfile.FIFOTYPE
        tar.addfile(info)
    with pytest.raises(AssemblerError, match="neither file, link nor directory"):
        venv_layer.merge(PREFIX[1:], [odd], tmp_path / "merged.tar")
    outside = tmp_path / "outside.tar"
    with tarfile.open(outside, "w") as tar:
        tar.addfile(tarfile.TarInfo("etc/passwd"), io.BytesIO(b""))
    with pytest.raises(AssemblerError, match="escapes the layer"):
        venv_layer.merge(PREFIX[1:], [outside], tmp_path / "merged.tar")
    assert not (tmp_path / "merged.tar").exists()
