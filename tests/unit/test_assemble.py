"""The assembler outside Bazel: real wheels in, a PEX that runs (or one clear error) out."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from harness.support import (
    PLATFORMS,
    AssemblerInput,
    find_python,
    find_wheel,
    pex_reference,
    write_manifest,
)
from pex_assembler import build
from pex_assembler.cli import main as cli_main
from pex_assembler.errors import AssemblerError


def _repack_cli(site: Path, output: Path) -> int:
    """`pex-assembler repack` as pex_inputs_aspect runs it: the tree's files as inputs."""
    inputs = [f"--input=../pypi/site-packages/{p.relative_to(site).as_posix()}={p}"
              for p in sorted(site.rglob("*")) if p.is_file()]  # fmt: skip
    return cli_main(["repack", "--output", str(output), "--root", "../pypi/site-packages/",
                     *inputs])  # fmt: skip


def test_repack_writes_checked_reproducible_wheels_with_records(wheel_dir, tmp_path):
    """The same tree gives the same bytes, whatever the thread count and the output path;
    each wheel passes a full check and its record describes it."""
    from pex_assembler import installed, wheels

    originals = [find_wheel(wheel_dir, "linux_x86_64", p) for p in ("six", "python_dateutil")]
    site = tmp_path / "site-packages"
    for wheel in originals:
        with zipfile.ZipFile(wheel) as archive:
            archive.extractall(site)
    assert _repack_cli(site, tmp_path / "a") == 0
    tree = installed.tree_from_directory(site)
    for jobs, name in ((1, "b"), (8, "c")):
        (tmp_path / name).mkdir()
        installed.repack(tree, tmp_path / name, jobs=jobs)
    written = sorted((tmp_path / "a").iterdir())
    assert [p.name for p in written] == [
        "python_dateutil-2.9.0.post0-py2.py3-none-any.whl",
        "python_dateutil-2.9.0.post0-py2.py3-none-any.whl.crosspex.json",
        "six-1.17.0-py2.py3-none-any.whl",
        "six-1.17.0-py2.py3-none-any.whl.crosspex.json",
    ]
    for repacked in written[0::2]:
        for other in ("b", "c"):
            assert (tmp_path / other / repacked.name).read_bytes() == repacked.read_bytes()
        checked = wheels.read_wheel(repacked)
        record = json.loads(Path(f"{repacked}.crosspex.json").read_text())
        described = wheels.from_record(repacked, record)
        assert (described.name, described.version, described.requires_dist) == (
            checked.name, checked.version, checked.requires_dist)  # fmt: skip
        assert (described.fingerprint, described.crc32) == wheels.digests(repacked)
        original = next(w for w in originals if w.name == repacked.name)
        assert sorted(zipfile.ZipFile(repacked).namelist()) == sorted(
            zipfile.ZipFile(original).namelist()
        )


def test_repack_keeps_native_extensions_and_hashes_what_is_installed(wheel_dir, tmp_path):
    """A tree with a C extension its RECORD lists, and a module edited after installation:
    the repacked wheel holds the extension's bytes, and RECORD hashes what the tree holds."""
    from pex_assembler import wheels

    original = find_wheel(wheel_dir, "linux_x86_64", "PyYAML")
    site = tmp_path / "site-packages"
    with zipfile.ZipFile(original) as archive:
        archive.extractall(site)
        extensions = {n: archive.read(n) for n in archive.namelist() if n.endswith(".so")}
    assert extensions, "PyYAML's manylinux wheel carries its C extension"
    patched = site / "yaml" / "__init__.py"
    patched.write_text(patched.read_text() + "\nPATCHED = True\n")
    assert _repack_cli(site, tmp_path / "out") == 0
    (repacked,) = (tmp_path / "out").glob("*.whl")
    with zipfile.ZipFile(repacked) as archive:
        for name, data in extensions.items():
            assert archive.read(name) == data, name
        assert b"PATCHED = True" in archive.read("yaml/__init__.py")
    wheels.read_wheel(repacked)  # every RECORD hash matches the repacked content


def test_repack_of_a_directory_without_distributions(tmp_path, capsys):
    (tmp_path / "tree" / "pkg").mkdir(parents=True)
    (tmp_path / "tree" / "pkg" / "__init__.py").write_text("")
    code = cli_main(["repack", "--output", str(tmp_path / "out"), "--tree", str(tmp_path / "tree")])
    assert code == 1
    error = capsys.readouterr().err
    assert error.startswith(f"pex-assembler: error: {tmp_path / 'tree'}: is an installed wheel")
    assert "fix: install the wheel into it" in error
    assert not (tmp_path / "out").exists() or not any((tmp_path / "out").iterdir())


APP = """\
import dateutil.parser, msgpack, six, yaml
print(dateutil.parser.isoparse("2024-02-29").day, msgpack.unpackb(msgpack.packb([1])),
      yaml.__with_libyaml__, six.PY3)
"""


def _write_manifest(
    tmp_path: Path, wheels, platform="linux_x86_64", files=(), python="3.11", **extra
) -> AssemblerInput:
    """The app `app/main.py` with `wheels`, and `files` ((short path, file) pairs) beside it."""
    (tmp_path / "app").mkdir(parents=True, exist_ok=True)
    (tmp_path / "app" / "main.py").write_text(APP)
    data = {
        "output": str(tmp_path / "out" / "app.pex"),
        "target": {"platform": PLATFORMS[platform], "python_version": python},
        "entry_point": "app.main",
        **extra,
    }
    files = [("app/main.py", tmp_path / "app" / "main.py"), *files]
    return write_manifest(tmp_path / "manifest.json", data, files, wheels)


def _app_wheels(wheel_dir: Path, platform: str):
    return [
        find_wheel(wheel_dir, platform, p) for p in ("PyYAML", "msgpack", "python_dateutil", "six")
    ]


def _pex_info(pex: Path) -> dict:
    with zipfile.ZipFile(pex) as archive:
        return json.loads(archive.read("PEX-INFO"))


def _run(pex: Path, tmp_path: Path) -> str:
    env = {"PATH": os.environ["PATH"], "PEX_ROOT": str(tmp_path / "pex_root")}
    done = subprocess.run(
        [find_python("3.11"), str(pex)], capture_output=True, text=True, env=env, check=True
    )
    return done.stdout


def test_linux_pex_runs_with_its_native_extensions(wheel_dir, tmp_path):
    app = _write_manifest(tmp_path, _app_wheels(wheel_dir, "linux_x86_64"))
    pex = build.assemble(app.load())
    assert _run(pex, tmp_path).split() == ["29", "[1]", "True", "True"]
    info = _pex_info(pex)
    assert info["deps_are_wheel_files"] is True
    assert info["interpreter_constraints"] == ["CPython==3.11.*"]
    assert pex.read_bytes().startswith(b"#!/usr/bin/env python3.11\n")
    assert sorted(os.listdir(pex.parent)) == ["app.pex"], "no temporary files are left behind"


def test_macos_pex_holds_the_macos_wheels(wheel_dir, tmp_path):
    wheels = _app_wheels(wheel_dir, "macos_arm64")
    pex = build.assemble(_write_manifest(tmp_path, wheels, platform="macos_arm64").load())
    assert sorted(_pex_info(pex)["distributions"]) == sorted(w.name for w in wheels)
    with zipfile.ZipFile(pex) as archive:
        stored = {
            n.split("/")[1] for n in archive.namelist() if n.startswith(".deps/") and n != ".deps/"
        }
    assert stored == {w.name for w in wheels}


def test_same_inputs_give_identical_bytes(wheel_dir, tmp_path):
    first = tmp_path / "one"
    second = tmp_path / "two" / "deeper"
    first.mkdir()
    second.mkdir(parents=True)
    wheels = _app_wheels(wheel_dir, "windows_x86_64")
    pex_one = build.assemble(_write_manifest(first, wheels, "windows_x86_64").load())
    app_two = _write_manifest(second, wheels, "windows_x86_64")
    # Sources years apart: no entry's date may come from the file's.
    os.utime(second / "app" / "main.py", (1e9, 1e9))
    pex_two = build.assemble(app_two.load())
    assert pex_one.read_bytes() == pex_two.read_bytes()


def test_wrong_platform_wheel_is_one_clear_error(wheel_dir, tmp_path, capsys):
    linux_yaml = find_wheel(wheel_dir, "linux_x86_64", "PyYAML")
    app = _write_manifest(tmp_path, [linux_yaml], platform="macos_arm64")
    assert cli_main(["build", *app.flags()]) == 1
    err = capsys.readouterr().err
    assert err.startswith(f"pex-assembler: error: {linux_yaml}: cannot run on target macos_arm64")
    assert "cp311-cp311-macosx_14_0_arm64" in err
    assert "fix: depend on the pyyaml wheel built for macos_arm64" in err
    assert not (tmp_path / "out" / "app.pex").exists()


def test_two_versions_of_one_distribution(wheel_dir, tmp_path):
    six = find_wheel(wheel_dir, "linux_x86_64", "six")
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "download",
            "--quiet",
            "--no-deps",
            "--only-binary=:all:",
            "--dest",
            str(tmp_path / "old"),
            "six==1.16.0",
        ],
        check=True,
    )
    (other,) = (tmp_path / "old").glob("six-1.16.0-*.whl")
    app = _write_manifest(tmp_path, [six, other])
    with pytest.raises(AssemblerError, match="is a second distribution of six"):
        build.assemble(app.load())


def test_corrupt_wheel(tmp_path):
    broken = tmp_path / "six-1.17.0-py2.py3-none-any.whl"
    broken.write_bytes(b"PK\x03\x04 this is not a zip")
    app = _write_manifest(tmp_path, [broken])
    with pytest.raises(AssemblerError, match="is not a readable zip archive") as caught:
        build.assemble(app.load())
    assert caught.value.subject == str(broken)


def test_wheel_named_unlike_its_metadata(wheel_dir, tmp_path):
    six = find_wheel(wheel_dir, "linux_x86_64", "six")
    renamed = tmp_path / six.name.replace("six-1.17.0", "seven-1.17.0")
    shutil.copy(six, renamed)
    with pytest.raises(AssemblerError, match=r"its METADATA says six 1\.17\.0"):
        build.assemble(_write_manifest(tmp_path, [renamed]).load())


def test_archive_path_outside_the_pex(tmp_path):
    evil = [("x/../../evil.py", tmp_path / "app" / "main.py")]
    app = _write_manifest(tmp_path, [], files=evil)
    with pytest.raises(AssemblerError, match=r"'x/\.\./\.\./evil\.py', which holds '\.' or '\.\.'"):
        build.assemble(app.load())


def test_missing_entry_point_module(tmp_path):
    app = _write_manifest(tmp_path, [], entry_point="app.missing:run")
    with pytest.raises(AssemblerError, match=r"names module 'app\.missing'"):
        build.assemble(app.load())


def _installed_tree_pex(tmp_path: Path, wheels, without_record: bool) -> Path:
    """A PEX of `app/main.py` and `wheels` installed into one rules_python-style tree;
    `without_record`: as rules_python before 2.1 installs, with no RECORD and an
    `__init__.py` of its own at the top."""
    site = tmp_path / "pypi_six" / "site-packages"
    for wheel in wheels:
        with zipfile.ZipFile(wheel) as archive:
            archive.extractall(site)
    if without_record:
        for record in site.glob("*.dist-info/RECORD"):
            record.unlink()
        (site / "__init__.py").write_text("")
    (tmp_path / "app").mkdir()
    (tmp_path / "app" / "main.py").write_text("import six\nprint(six.__version__, six.__file__)\n")
    files = [("app/main.py", tmp_path / "app" / "main.py")] + [
        (f"../{p.relative_to(tmp_path).as_posix()}", p) for p in site.rglob("*") if p.is_file()
    ]
    document = {
        "output": str(tmp_path / "out" / "app.pex"),
        "target": {"platform": PLATFORMS["linux_x86_64"], "python_version": "3.11"},
        "workspace_name": "ws",
        "main": "app/main.py",
    }
    app = write_manifest(
        tmp_path / "manifest.json", document, files, import_roots=["pypi_six/site-packages"]
    )
    return build.assemble(app.load())


@pytest.mark.parametrize("without_record", [False, True], ids=["with_record", "without_record"])
def test_installed_tree_becomes_a_distribution(wheel_dir, tmp_path, without_record):
    """A rules_python-style `site-packages` tree goes in as a wheel, not as loose files."""
    six = find_wheel(wheel_dir, "linux_x86_64", "six")
    pex = _installed_tree_pex(tmp_path, [six], without_record)
    assert list(_pex_info(pex)["distributions"]) == ["six-1.17.0-py2.py3-none-any.whl"]
    with zipfile.ZipFile(pex) as archive:
        assert "six.py" not in archive.namelist()
        assert "__init__.py" not in archive.namelist()
        (wheel,) = [n for n in archive.namelist() if n.endswith(".whl")]
        with zipfile.ZipFile(archive.open(wheel)) as repacked:
            assert sorted(repacked.namelist()) == sorted(zipfile.ZipFile(six).namelist())
    version, location = _run(pex, tmp_path).split()
    assert version == "1.17.0"
    assert "installed_wheels" in location


def test_installed_tree_of_several_distributions_needs_their_records(wheel_dir, tmp_path):
    wheels = [find_wheel(wheel_dir, "linux_x86_64", p) for p in ("six", "python_dateutil")]
    with pytest.raises(AssemblerError, match="has no RECORD, so its files cannot be told apart"):
        _installed_tree_pex(tmp_path, wheels, without_record=True)


def test_complete_platform_from_pex3_interpreter_inspect(wheel_dir, tmp_path):
    """pex's own description of a CPython 3.11 is accepted as the target, and the PEX runs."""
    python = find_python("3.11")
    pex3 = Path(sys.executable).parent / "pex3"
    inspected = subprocess.run(
        [str(pex3), "interpreter", "inspect", "--markers", "--tags", "--python", python],
        capture_output=True,
        text=True,
        check=True,
        env={"PATH": os.environ["PATH"], "PEX_ROOT": str(tmp_path / "pex_root")},
    ).stdout
    complete_platform = tmp_path / "host.json"
    complete_platform.write_text(inspected)
    host = {"complete_platform": str(complete_platform), "name": "this host"}
    app = _write_manifest(tmp_path, _app_wheels(wheel_dir, "linux_x86_64"), target=host)
    pex = build.assemble(app.load())
    assert _run(pex, tmp_path).split() == ["29", "[1]", "True", "True"]

    windows_yaml = find_wheel(wheel_dir, "windows_x86_64", "PyYAML")
    app = _write_manifest(tmp_path, [windows_yaml], target=host)
    with pytest.raises(AssemblerError, match="cannot run on target this host"):
        build.assemble(app.load())


def test_interpreter_constraint_placeholders(wheel_dir, tmp_path):
    app = _write_manifest(
        tmp_path,
        [],
        python="3.12.4",
        interpreter_constraints=["CPython>={major}.{minor}.{patch},<{major}.14"],
    )
    pex = build.assemble(app.load())
    assert _pex_info(pex)["interpreter_constraints"] == ["CPython<3.14,>=3.12.4"]


@pytest.mark.parametrize(
    ("layout", "execution_mode", "sh_boot"),
    [
        ("zipapp", "venv", False),
        ("zipapp", "zipapp", True),
        ("packed", "zipapp", False),
        ("packed", "venv", True),
        ("loose", "zipapp", False),
    ],
)
def test_layouts_and_execution_modes_run(wheel_dir, tmp_path, layout, execution_mode, sh_boot):
    extra = {"layout": layout, "execution_mode": execution_mode, "sh_boot": sh_boot}
    app = _write_manifest(tmp_path, _app_wheels(wheel_dir, "linux_x86_64"), **extra)
    pex = build.assemble(app.load())
    assert pex.is_dir() == (layout != "zipapp")
    main = pex / "__main__.py" if pex.is_dir() else pex
    first_line = main.read_bytes().split(b"\n", 1)[0]
    assert first_line == (b"#!/bin/sh" if sh_boot else b"#!/usr/bin/env python3.11")
    info = json.loads((pex / "PEX-INFO").read_text()) if pex.is_dir() else _pex_info(pex)
    assert info.get("venv", False) == (execution_mode == "venv")
    if layout == "packed":
        assert sorted(p.name for p in (pex / ".deps").iterdir()) == sorted(info["distributions"])
    env = {"PATH": os.environ["PATH"], "PEX_ROOT": str(tmp_path / "pex_root")}
    for _ in range(2):  # first run installs into PEX_ROOT, the second runs warm
        done = subprocess.run([str(main)], capture_output=True, text=True, env=env, check=True)
        assert done.stdout.split() == ["29", "[1]", "True", "True"]


@pytest.mark.parametrize("jobs", [0, 2])
def test_parallel_first_run_install(wheel_dir, tmp_path, jobs):
    """max_install_jobs reaches PEX-INFO, which pex's first run reads, and the PEX runs."""
    app = _write_manifest(tmp_path, _app_wheels(wheel_dir, "linux_x86_64"), max_install_jobs=jobs)
    pex = build.assemble(app.load())
    assert _pex_info(pex)["max_install_jobs"] == jobs
    env = {"PATH": os.environ["PATH"], "PEX_ROOT": str(tmp_path / "pex_root")}
    done = subprocess.run([str(pex)], capture_output=True, text=True, env=env, check=True)
    assert done.stdout.split() == ["29", "[1]", "True", "True"]
    assert len(list((tmp_path / "pex_root" / "installed_wheels").glob("*/*/*.whl"))) == 4


@pytest.mark.parametrize("jobs", [-2, True, "4"])
def test_max_install_jobs_must_be_a_number_of_jobs(tmp_path, jobs):
    app = _write_manifest(tmp_path, [], max_install_jobs=jobs)
    with pytest.raises(AssemblerError, match="max_install_jobs"):
        app.load()


def test_zipapp_too_large_for_zipimport_points_to_packed(tmp_path, capsys):
    sources = tmp_path / "many"
    sources.mkdir()
    files = []
    for index in range(66000):
        (sources / f"m{index}.py").write_bytes(b"")
        files.append((f"pkg/m{index}.py", sources / f"m{index}.py"))
    app = _write_manifest(tmp_path, [], files=files)
    assert cli_main(["build", *app.flags()]) == 1
    err = capsys.readouterr().err
    assert "which CPython before 3.13 cannot import" in err
    assert 'fix: set layout = "packed"' in err
    assert not (tmp_path / "out" / "app.pex").exists()
    (sources / "m65999.py").write_text("VALUE = 65999\n")
    (sources / "__init__.py").write_text("")
    files.append(("pkg/__init__.py", sources / "__init__.py"))
    app = _write_manifest(tmp_path, [], files=files, python="3.13")
    assert cli_main(["build", *app.flags()]) == 0, "3.13 imports ZIP64 zipapps"
    pex = tmp_path / "out" / "app.pex"
    with zipfile.ZipFile(pex) as archive:
        assert len(archive.infolist()) > 65535
    done = subprocess.run(
        [find_python("3.13"), str(pex), "-c", "import pkg.m65999; print(pkg.m65999.VALUE)"],
        capture_output=True,
        text=True,
        env={**os.environ, "PEX_INTERPRETER": "1", "PEX_ROOT": str(tmp_path / "pex_root")},
        check=False,
    )
    assert (done.returncode, done.stdout) == (0, "65999\n"), done.stderr[-2000:]


# Files pex hashes, zips or leaves out in its own ways: a dotfile, bytecode, a data file.
EXTRA_SOURCES = ("app/.settings", "app/stale.pyc", "app/data.txt")


def _entries(pex: Path):
    """The header, then each entry's name, mode and content, in name order."""
    with zipfile.ZipFile(pex) as archive:
        infos = sorted(archive.infolist(), key=lambda i: i.filename)
        first = min(i.header_offset for i in infos)
        entries = [(i.filename, i.external_attr >> 16, archive.read(i)) for i in infos]
    return pex.read_bytes()[:first], entries


@pytest.mark.parametrize(
    "options",
    [
        {},
        {"execution_mode": "venv", "sh_boot": True, "inject_env": {"A": "1"}},
        {"compress": False, "inherit_path": "prefer", "sh_boot": True},
    ],
)
def test_zipapp_holds_what_pex_builder_writes(wheel_dir, tmp_path, monkeypatch, options):
    """pex's builder is the oracle: same header, entries, modes, contents and PEX-INFO."""
    wheels = _app_wheels(wheel_dir, "linux_x86_64")
    (tmp_path / "app").mkdir()
    for name in EXTRA_SOURCES:
        (tmp_path / name).write_bytes(name.encode())
    files = [(name, tmp_path / name) for name in EXTRA_SOURCES]
    ours = build.assemble(_write_manifest(tmp_path, wheels, files=files, **options).load())
    monkeypatch.setenv("PEX_ROOT", str(tmp_path / "pex_root"))
    sources = {n: tmp_path / n for n in ("app/main.py", *EXTRA_SOURCES)}
    reference = pex_reference(tmp_path, sources, wheels, **options)
    assert _pex_info(ours) == _pex_info(reference)
    assert _entries(ours) == _entries(reference)
    assert _run(ours, tmp_path).split() == ["29", "[1]", "True", "True"]


def test_skeleton_and_records_give_the_same_bytes(wheel_dir, tmp_path):
    """As in Bazel: a skeleton from its own action, and wheels checked once into records."""
    wheels = _app_wheels(wheel_dir, "linux_x86_64")
    one_shot = build.assemble(_write_manifest(tmp_path / "one_shot", wheels).load())
    split_dir = tmp_path / "split"
    records = []
    for wheel in wheels:
        record = split_dir / "records" / f"{wheel.name}.crosspex.json"
        record.parent.mkdir(parents=True, exist_ok=True)
        assert cli_main(["check-wheel", "--wheel", str(wheel), "--output", str(record)]) == 0
        records.append(f"--input={record.name}={record}")
    app = _write_manifest(split_dir, wheels)
    skeleton = split_dir / "app.skeleton.pex"
    assert cli_main(["skeleton", "--manifest", str(app.manifest), "--output", str(skeleton)]) == 0
    build_args = ["build", *app.flags(), "--skeleton", str(skeleton), *records]
    assert cli_main(build_args) == 0
    split = split_dir / "out" / "app.pex"
    assert split.read_bytes() == one_shot.read_bytes()
    with zipfile.ZipFile(split) as archive:
        assert archive.testzip() is None
        for wheel in wheels:
            assert archive.read(f".deps/{wheel.name}") == wheel.read_bytes()


@pytest.mark.parametrize(
    "entries, problem",
    [
        (None, "is not a zip archive"),
        ({"__main__.py": "boot()"}, "has no readable PEX-INFO"),
        ({"PEX-INFO": "{}"}, "has no readable PEX-INFO"),
        ({"PEX-INFO": '{"pex_hash": ""}'}, "has no pex_hash in its PEX-INFO"),
        ({"PEX-INFO": '{"pex_hash": "f00d"}', "__main__.py": "boot()"}, "has no PEX hash in"),
    ],
)
def test_bad_skeleton_is_one_clear_error(tmp_path, capsys, entries, problem):
    app = _write_manifest(tmp_path, [])
    skeleton = tmp_path / "skeleton.pex"
    skeleton.write_bytes(b"#!/bin/sh\nnot a zip")
    if entries is not None:
        with zipfile.ZipFile(skeleton, "w") as archive:
            for name, text in entries.items():
                archive.writestr(name, text)
    assert cli_main(["build", *app.flags(), "--skeleton", str(skeleton)]) == 1
    err = capsys.readouterr().err
    assert f"{skeleton}: {problem}" in err
    assert "fix: pass the zipapp `pex-assembler skeleton` wrote" in err
    assert not (tmp_path / "out" / "app.pex").exists()


def test_source_at_a_path_the_pex_uses(tmp_path, capsys):
    app = _write_manifest(tmp_path, [], files=[("PEX-INFO", tmp_path / "app" / "main.py")])
    assert cli_main(["build", *app.flags()]) == 1
    assert "PEX-INFO: is a path the PEX itself uses" in capsys.readouterr().err


@pytest.mark.parametrize("layout", ["zipapp", "packed"])
def test_pre_installed_wheels_run(wheel_dir, tmp_path, layout):
    wheels = _app_wheels(wheel_dir, "linux_x86_64")
    app = _write_manifest(tmp_path, wheels, layout=layout, pre_install_wheels=True)
    pex = build.assemble(app.load())
    if layout == "zipapp":
        info = _pex_info(pex)
        with zipfile.ZipFile(pex) as archive:
            names = archive.namelist()
        assert any(n.startswith(".deps/PyYAML-") and n.endswith("/yaml/__init__.py") for n in names)
    else:
        info = json.loads((pex / "PEX-INFO").read_text())
        pex = pex / "__main__.py"
    assert "deps_are_wheel_files" not in info or not info["deps_are_wheel_files"]
    assert sorted(info["distributions"]) == sorted(w.name for w in wheels)
    assert _run(pex, tmp_path).split() == ["29", "[1]", "True", "True"]


def test_skeleton_only_for_zipapps(tmp_path, capsys):
    app = _write_manifest(tmp_path, [], layout="packed")
    out = tmp_path / "skeleton.pex"
    assert cli_main(["skeleton", "--manifest", str(app.manifest), "--output", str(out)]) == 1
    assert "is a skeleton for a zipapp, which this manifest" in capsys.readouterr().err
    assert not out.exists()


def _tree(pex: Path):
    """Each file or entry of a PEX (a zipapp or a directory): name, mode and content."""
    if pex.is_file():
        return _entries(pex)
    return sorted(
        (p.relative_to(pex).as_posix(), p.stat().st_mode, p.read_bytes())
        for p in pex.rglob("*")
        if p.is_file()
    )


@pytest.mark.parametrize(
    "options",
    [{}, {"layout": "packed"}, {"layout": "loose"}, {"pre_install_wheels": True}],
    ids=["zipapp", "packed", "loose", "pre_installed"],
)
def test_executable_bits_of_the_inputs_do_not_reach_the_pex(wheel_dir, tmp_path, options):
    """Remote workers and checkouts set or drop inputs' executable bits: modes are decided by
    the assembler, so sources, data and wheels with the bit give the same PEX."""
    built = []
    for flipped in (False, True):
        root = tmp_path / ("flipped" if flipped else "plain")
        root.mkdir()
        wheels = [Path(shutil.copy(w, root)) for w in _app_wheels(wheel_dir, "linux_x86_64")]
        (root / "app").mkdir()
        (root / "app" / "table.csv").write_text("a,b\n")
        app = _write_manifest(
            root, wheels, files=[("t.csv", root / "app" / "table.csv")], **options
        )
        for file in root.rglob("*"):
            if file.is_file():
                file.chmod(0o755 if flipped else 0o644)
        built.append(_tree(build.assemble(app.load())))
    assert built[0] == built[1]
    entries = built[0][1] if isinstance(built[0], tuple) else built[0]
    # Wheels installed at build time keep the modes their own zip records.
    executable = sorted(
        name
        for name, mode, _ in entries
        if mode & 0o111 and mode & 0o100000 and not name.startswith(".deps/")
    )
    assert set(executable) <= {"__main__.py", "pex"}, executable
    assert "__main__.py" in executable
