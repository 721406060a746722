"""The virtualenv layer outside Bazel: real wheels in, a tar that unpacks into a virtualenv
that runs on Debian 12's /usr/bin/python3.11 (this machine's root, through bubblewrap)."""

from __future__ import annotations

import base64
import csv
import hashlib
import io
import posixpath
import subprocess
import tarfile
import zipfile
from pathlib import Path

import pytest

from harness.support import (
    LAYER_PREFIX,
    PLATFORMS,
    find_python,
    find_wheel,
    modules_loaded,
    run_in_layer,
    write_manifest,
    write_wheel,
)
from pex_assembler import bytecode, venv_layer
from pex_assembler.cli import main as cli_main
from pex_assembler.errors import AssemblerError

PREFIX = LAYER_PREFIX
INTERPRETER = "/usr/bin/python3.11"
SITE = f"{PREFIX}/lib/python3.11/site-packages"
# Debian 12's CPython 3.11, the image's own, writes the .pyc.
BYTECODE = {"bytecode_interpreter": INTERPRETER}
# Where the virtualenv goes in the image, as py_venv_layer's manifest says.
LAYER = {"prefix": PREFIX, "interpreter": INTERPRETER, "name": "app"}
APP = """\
import dateutil.parser, msgpack, six, yaml
print(dateutil.parser.parse("2024-05-06").day + 23)
print(msgpack.unpackb(msgpack.packb([1])))
print(yaml.__with_libyaml__, six.PY3)
"""


def _record_line(name: str, data: bytes) -> bytes:
    digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
    return f"{name},sha256={digest},{len(data)}\n".encode()


def _tool_wheel(directory: Path) -> Path:
    """A wheel with console and GUI entry points, a script and a data file in .data/."""
    dist_info = "tool-2.0.dist-info"
    entries = {
        "tool/__init__.py": b"def main():\n    print('tool main')\n",
        # Python 2 only: no .pyc, as pip leaves a module that does not compile.
        "tool/legacy.py": b"print 'tool'\n",
        "tool-2.0.data/scripts/tool-script": b"#!python\nprint('tool script')\n",
        "tool-2.0.data/data/share/tool/README": b"shared\n",
        f"{dist_info}/METADATA": b"Metadata-Version: 2.1\nName: tool\nVersion: 2.0\n",
        f"{dist_info}/WHEEL": b"Wheel-Version: 1.0\nRoot-Is-Purelib: true\nTag: py3-none-any\n",
        f"{dist_info}/entry_points.txt": (
            b"[console_scripts]\ntool = tool:main\n[gui_scripts]\ntool-gui = tool:main\n"
        ),
    }
    record = b"".join(_record_line(n, d) for n, d in entries.items())
    entries[f"{dist_info}/RECORD"] = record + f"{dist_info}/RECORD,,\n".encode()
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / "tool-2.0-py3-none-any.whl"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in entries.items():
            info = zipfile.ZipInfo(name)
            # A regular file without executable bits, the script too: the layer makes scripts
            # executable, as pip does.
            info.external_attr = 0o100644 << 16
            archive.writestr(info, data)
    return path


def _layer(
    tmp_path: Path, wheels, platform: str = "linux_x86_64", python: str = "3.11", **fields
) -> Path:
    tmp_path.mkdir(parents=True, exist_ok=True)
    (tmp_path / "app").mkdir(exist_ok=True)
    (tmp_path / "app" / "main.py").write_text(APP)
    output = tmp_path / "out" / "app.tar"
    document = {
        "output": str(output),
        "target": {"platform": PLATFORMS[platform], "python_version": python},
        "entry_point": "app.main",
        **LAYER,
        **fields,
    }
    files = [("app/main.py", tmp_path / "app" / "main.py")]
    app = write_manifest(tmp_path / "manifest.json", document, files, wheels)
    assert cli_main(["venv-layer", *app.flags()]) == 0
    return output


def _wheels(wheel_dir: Path, directory: Path, platform: str = "linux_x86_64"):
    names = ("PyYAML", "msgpack", "python_dateutil", "six")
    return [find_wheel(wheel_dir, platform, n) for n in names] + [_tool_wheel(directory)]


def _in_image(tmp_path: Path, layer: Path, *command: str) -> str:
    """Runs `command` on this machine's root with the layer unpacked, read-only, at its
    prefix: the stdout of a successful run."""
    return run_in_layer(tmp_path, layer, *command).stdout


def test_the_layer_is_a_virtualenv_that_runs(wheel_dir, tmp_path):
    layer = _layer(tmp_path, _wheels(wheel_dir, tmp_path))
    assert _in_image(tmp_path, layer, f"{PREFIX}/bin/app").split() == ["29", "[1]", "True", "True"]
    assert _in_image(tmp_path, layer, f"{PREFIX}/bin/tool") == "tool main\n"
    assert _in_image(tmp_path, layer, f"{PREFIX}/bin/tool-script") == "tool script\n"
    where = _in_image(
        tmp_path,
        layer,
        f"{PREFIX}/bin/python",
        "-c",
        "import sys, yaml; print(sys.prefix, yaml.__file__)",
    )
    assert where == f"{PREFIX} {PREFIX}/lib/python3.11/site-packages/yaml/__init__.py\n"


def test_the_tar_is_deterministic_and_normalised(wheel_dir, tmp_path):
    first = _layer(tmp_path / "a", _wheels(wheel_dir, tmp_path / "a"))
    second = _layer(tmp_path / "b", _wheels(wheel_dir, tmp_path / "b"))
    assert first.read_bytes() == second.read_bytes()
    with tarfile.open(first) as tar:
        members = tar.getmembers()
    names = [m.name for m in members]
    assert names == sorted(names)
    assert {(m.mtime, m.uid, m.gid, m.uname, m.gname) for m in members} == {(0, 0, 0, "", "")}
    modes = {m.name: (m.type, m.mode) for m in members}
    site = "opt/venv/lib/python3.11/site-packages"
    assert modes["opt/venv"] == (tarfile.DIRTYPE, 0o755)
    assert modes[f"{site}/six.py"] == (tarfile.REGTYPE, 0o644)
    assert modes["opt/venv/bin/tool"] == (tarfile.REGTYPE, 0o755)
    assert modes["opt/venv/bin/python3.11"] == (tarfile.SYMTYPE, 0o777)
    assert sorted(_children(names, "opt/venv/bin/")) == [
        "app", "python", "python3", "python3.11", "tool", "tool-gui", "tool-script",
    ]  # fmt: skip
    assert "opt/venv/share/tool/README" in names


def _children(names, directory: str):
    return [n[len(directory) :] for n in names if posixpath.dirname(n) + "/" == directory]


def test_pyvenv_cfg_links_scripts_and_records(wheel_dir, tmp_path):
    layer = _layer(tmp_path, _wheels(wheel_dir, tmp_path))
    with tarfile.open(layer) as tar:
        read = lambda name: tar.extractfile(name).read()  # noqa: E731
        assert read("opt/venv/pyvenv.cfg") == (
            b"home = /usr/bin\ninclude-system-site-packages = false\nversion = 3.11\n"
        )
        assert tar.getmember("opt/venv/bin/python").linkname == INTERPRETER
        assert read("opt/venv/bin/tool").startswith(b"#!/opt/venv/bin/python\n")
        assert read("opt/venv/bin/tool-script") == b"#!/opt/venv/bin/python\nprint('tool script')\n"
        site = "opt/venv/lib/python3.11/site-packages"
        assert read(f"{site}/tool-2.0.dist-info/INSTALLER") == b"crosspex\n"
        recorded = _checked_record(tar, f"{site}/tool-2.0.dist-info/RECORD")
        # Every installed file, by its path from site-packages, with the hash of what is there.
        assert recorded["../../../bin/tool-script"].startswith("sha256=")
        assert "../../../share/tool/README" in recorded
        assert "tool-2.0.dist-info/INSTALLER" in recorded


def _checked_record(tar: tarfile.TarFile, record: str) -> dict:
    """A RECORD's rows, each hash checked against the file the tar holds at that path."""
    site = posixpath.dirname(posixpath.dirname(record))
    rows = list(csv.reader(io.StringIO(tar.extractfile(record).read().decode())))
    recorded = {row[0]: row[1] for row in rows}
    for path, digest in recorded.items():
        if digest:
            data = tar.extractfile(posixpath.normpath(f"{site}/{path}")).read()
            expected = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=")
            assert digest == "sha256=" + expected.decode(), path
    return recorded


def test_a_precompiled_layer_imports_every_module_from_its_pyc(wheel_dir, tmp_path):
    layer = _layer(tmp_path, _wheels(wheel_dir, tmp_path), **BYTECODE)
    # -v says where each module's code came from; the layer is mounted read-only, so a
    # missing or stale .pyc would show as code compiled from a .py.
    done = run_in_layer(tmp_path, layer, f"{PREFIX}/bin/python", "-v", f"{PREFIX}/bin/app")
    assert done.stdout.split() == ["29", "[1]", "True", "True"]
    loaded = modules_loaded(done.stderr, PREFIX + "/")
    assert f"{SITE}/app/__pycache__/main.cpython-311.pyc" in loaded
    assert f"{SITE}/yaml/__pycache__/__init__.cpython-311.pyc" in loaded
    assert len(loaded) > 20 and all(p.endswith(".cpython-311.pyc") for p in loaded), loaded


def test_pyc_are_listed_in_records_and_hash_based(wheel_dir, tmp_path):
    layer = _layer(tmp_path, _wheels(wheel_dir, tmp_path), **BYTECODE)
    write_magic = "import importlib.util, sys; sys.stdout.buffer.write(importlib.util.MAGIC_NUMBER)"
    magic = subprocess.run([INTERPRETER, "-c", write_magic], capture_output=True, check=True).stdout
    site = SITE.lstrip("/")
    with tarfile.open(layer) as tar:
        names = set(tar.getnames())
        recorded = _checked_record(tar, f"{site}/tool-2.0.dist-info/RECORD")
        assert "tool/__pycache__/__init__.cpython-311.pyc" in recorded
        assert "tool/__pycache__/legacy.cpython-311.pyc" not in recorded
        six = _checked_record(tar, f"{site}/six-1.17.0.dist-info/RECORD")
        assert "__pycache__/six.cpython-311.pyc" in six
        pyc = tar.extractfile(f"{site}/app/__pycache__/main.cpython-311.pyc").read()
    # PEP 552: the magic of the bytecode interpreter's version, then 0b11: checked hash.
    assert pyc[:8] == magic + b"\x03\x00\x00\x00"
    modules = {n for n in names if n.startswith(site) and n.endswith(".py")}
    compiled = {n for n in names if n.endswith(".pyc")}
    assert len(compiled) == len(modules) - 1  # all but tool/legacy.py


def test_pyc_bytes_do_not_depend_on_how_the_work_is_split(wheel_dir, tmp_path, monkeypatch):
    wheels = _wheels(wheel_dir, tmp_path)
    monkeypatch.setattr(bytecode.os, "cpu_count", lambda: 1)
    alone = _layer(tmp_path / "one", wheels, **BYTECODE).read_bytes()
    monkeypatch.setattr(bytecode.os, "cpu_count", lambda: 7)
    split = _layer(tmp_path / "seven", wheels, **BYTECODE).read_bytes()
    assert alone == split
    unchecked = _layer(tmp_path / "u", wheels, **BYTECODE, invalidation_mode="unchecked_hash")
    with tarfile.open(unchecked) as tar:
        pyc = tar.extractfile(f"{SITE.lstrip('/')}/__pycache__/six.cpython-311.pyc").read()
    assert pyc[4:8] == b"\x01\x00\x00\x00"


@pytest.mark.parametrize(
    "interpreter, python, expected",
    [
        ("/usr/bin/python3.11", "3.12", "is cpython 3.11, and the target is cpython 3.12"),
        ("/nonexistent/python3.11", "3.11", "cannot be run: [Errno 2]"),
    ],
)
def test_a_wrong_bytecode_interpreter_is_refused(
    wheel_dir, tmp_path, capsys, interpreter, python, expected
):
    with pytest.raises(AssertionError):
        _layer(tmp_path, [_tool_wheel(tmp_path)], python=python, bytecode_interpreter=interpreter)
    err = capsys.readouterr().err
    assert f"bytecode interpreter {interpreter}: {expected}" in err, err
    assert f'bytecode_interpreters = {{"{python}": "/path/to/python{python}"}}' in err
    assert not (tmp_path / "out" / "app.tar").exists()


def test_a_wheel_for_another_platform_is_rejected_and_nothing_written(wheel_dir, tmp_path, capsys):
    wheels = _wheels(wheel_dir, tmp_path, "macos_arm64")
    with pytest.raises(AssertionError):
        _layer(tmp_path, wheels)
    assert "cannot run on target" in capsys.readouterr().err
    assert not (tmp_path / "out" / "app.tar").exists()


def test_windows_targets_are_refused(wheel_dir, tmp_path, capsys):
    with pytest.raises(AssertionError):
        _layer(tmp_path, [find_wheel(wheel_dir, "windows_x86_64", "six")], "windows_x86_64")
    err = capsys.readouterr().err
    assert "writes POSIX virtualenvs only" in err and "fix: build a py_pex_binary" in err
    assert not (tmp_path / "out").exists() or not list((tmp_path / "out").iterdir())


@pytest.mark.parametrize(
    "fields, problem",
    [
        ({"prefix": "opt/venv"}, "prefix 'opt/venv' is not an absolute, normalised path"),
        ({"interpreter": "/usr/../bin/python3"}, "interpreter '/usr/../bin/python3' is not an"),
        ({"name": ""}, "needs the 'name' of the layer's bin/<name>"),
        ({"invalidation_mode": "timestamp"}, "invalidation_mode 'timestamp' is not one of"),
    ],
)
def test_the_layers_place_in_the_image_is_checked(tmp_path, capsys, fields, problem):
    with pytest.raises(AssertionError):
        _layer(tmp_path, [], **fields)
    assert f"{tmp_path / 'manifest.json'}: {problem}" in capsys.readouterr().err
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("hostile", ["tampered", "escaping"])
def test_hostile_wheels_get_the_pex_messages_and_no_layer(wheel_dir, tmp_path, capsys, hostile):
    six = find_wheel(wheel_dir, "linux_x86_64", "six")
    rewritten = tmp_path / "hostile" / six.name
    rewritten.parent.mkdir()
    with zipfile.ZipFile(six) as src, zipfile.ZipFile(rewritten, "w") as dst:
        for info in src.infolist():
            data = src.read(info)
            if info.filename == "six.py":
                if hostile == "tampered":
                    data += b"\nimport os; os.system('evil')\n"
                else:
                    dst.writestr("../../escape.py", data)
            dst.writestr(info.filename, data)
    with pytest.raises(AssertionError):
        _layer(tmp_path, [rewritten])
    err = capsys.readouterr().err
    expected = {
        "tampered": "'six.py', whose content does not match its RECORD hash: tampered",
        "escaping": "'../../escape.py'",
    }[hostile]
    assert f"pex-assembler: error: {rewritten}: " in err and expected in err, err
    assert not (tmp_path / "out" / "app.tar").exists()


@pytest.mark.parametrize("version", ["3.9", "3.10", "3.11", "3.12", "3.13"])
def test_each_cpython_version_loads_the_pyc_its_own_kind_writes(version, tmp_path):
    """The .pyc worker keeps to the oldest syntax targeted, and what it writes for a version
    is what that version's import system accepts as valid, checked-hash bytecode."""
    python = find_python(version)
    source = b"seen = {'a', 'b'}\nprint(sorted(seen), __file__)\n"
    compiler = bytecode.Compiler(python, version, "checked_hash")
    compiler.submit("/m/mod.py", source)
    compiled = compiler.finish()
    assert compiled.cache_tag == f"cpython-{version.replace('.', '')}"
    (tmp_path / "mod.py").write_bytes(source)
    cache = tmp_path / "__pycache__"
    cache.mkdir()
    (cache / f"mod.{compiled.cache_tag}.pyc").write_bytes(compiled.pycs["/m/mod.py"])
    # -v shows the code came from the .pyc; __file__ is where the module is, not /m.
    done = subprocess.run(
        [python, "-B", "-v", "-c", "import mod"],
        cwd=tmp_path, capture_output=True, text=True, check=True,
    )  # fmt: skip
    assert done.stdout == f"['a', 'b'] {tmp_path / 'mod.py'}\n"
    assert modules_loaded(done.stderr, str(tmp_path)) == [
        str(cache / f"mod.{compiled.cache_tag}.pyc")
    ]


def test_a_name_that_leaves_its_scheme_directory_is_refused_by_the_layer_itself(tmp_path):
    """The wheel's check refuses such script names first; the layer holds on its own too."""
    with (tmp_path / "spool").open("w+b") as spool:
        layer = venv_layer.Layer(spool)
        schemes = {"scripts": "opt/venv/bin", "purelib": "opt/venv/lib"}
        destination = venv_layer.LayerDestination(layer, schemes, "/opt/venv/bin/python", None, "w")
        with pytest.raises(AssemblerError, match="outside its scripts directory /opt/venv/bin"):
            destination.write_script("../../../etc/cron.d/x", "evil", "main", "console")
        assert not [p for p in layer.entries if p.startswith("etc")]


def test_a_file_that_becomes_a_directory_or_is_written_twice_is_refused(tmp_path):
    with (tmp_path / "spool").open("w+b") as spool:
        layer = venv_layer.Layer(spool)
        layer.add("v/a", venv_layer.Entry(mode=0o644, data=b"x"))
        with pytest.raises(AssemblerError, match="is written twice into the layer"):
            layer.add("v/./a", venv_layer.Entry(mode=0o644, data=b"y"))
        with pytest.raises(AssemblerError, match="is a file in the layer, and also the directory"):
            layer.add("v/a/b", venv_layer.Entry(mode=0o644, data=b"y"))


def test_a_file_is_read_back_from_the_spool_alone(tmp_path):
    with (tmp_path / "spool").open("w+b") as spool:
        layer = venv_layer.Layer(spool)
        layer.add("v/a", venv_layer.Entry(mode=0o644, data=b"first"))
        layer.add_stream("v/b", 0o644, io.BytesIO(b"second"), head=b"#!")
        layer.add("v/c", venv_layer.Entry(mode=0o644, data=b"third"))
        assert [layer.read(p) for p in ("v/a", "v/./b", "v/c")] == [b"first", b"#!second", b"third"]


def _layer_of(tmp_path: Path, wheels, entry_point: str, sources: dict) -> Path:
    """The layer of `sources` ({archive path: text}) and `wheels`, run through `entry_point`."""
    for archive_path, text in sources.items():
        (tmp_path / archive_path).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / archive_path).write_text(text)
    document = {
        "output": str(tmp_path / "out" / "app.tar"),
        "target": {"platform": PLATFORMS["linux_x86_64"], "python_version": "3.11"},
        "entry_point": entry_point,
        **LAYER,
    }
    files = [(a, tmp_path / a) for a in sources]
    app = write_manifest(tmp_path / "manifest.json", document, files, wheels)
    assert cli_main(["venv-layer", *app.flags()]) == 0
    return tmp_path / "out" / "app.tar"


def test_a_function_entry_point_passes_on_its_exit_code(tmp_path):
    cli = "import sys\n\ndef main():\n    print(sys.argv[1:])\n    return 3\n"
    layer = _layer_of(tmp_path, [], "app.cli:main", {"app/__init__.py": "", "app/cli.py": cli})
    done = run_in_layer(tmp_path, layer, f"{PREFIX}/bin/app", "x", returncode=3)
    assert done.stdout == "['x']\n"


def test_record_hashes_of_large_streamed_files(tmp_path):
    """Members over the 1 MiB chunk, a module and a data file, are hashed whole in RECORD."""
    big = {"big/__init__.py": b"X = 1\n" * 500_000, "big/blob.bin": bytes(range(256)) * 12_000}
    wheel = write_wheel(tmp_path, big, project="big")
    layer = _layer_of(tmp_path, [wheel], "app", {"app.py": "import big\n"})
    with tarfile.open(layer) as tar:
        record = tar.extractfile(f"{SITE.lstrip('/')}/big-1.0.dist-info/RECORD").read().decode()
        rows = {r[0]: r[1:] for r in csv.reader(io.StringIO(record))}
        for name, data in big.items():
            assert len(data) > 1 << 20
            stored = tar.extractfile(f"{SITE.lstrip('/')}/{name}").read()
            assert stored == data
            digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=")
            assert rows[name] == [f"sha256={digest.decode()}", str(len(data))]


def test_one_path_installed_by_two_wheels_names_both(tmp_path, capsys):
    first = write_wheel(tmp_path, {"shared/x.py": b"A = 1\n"}, project="first")
    second = write_wheel(tmp_path, {"shared/x.py": b"A = 2\n"}, project="second")
    with pytest.raises(AssertionError):
        _layer_of(tmp_path, [first, second], "app", {"app.py": ""})
    first_line = capsys.readouterr().err.splitlines()[0]
    assert first_line == (
        f"pex-assembler: error: {second}: installs 'shared/x.py', which {first} installs too"
    )
    assert not (tmp_path / "out" / "app.tar").exists()
