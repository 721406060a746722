"""Broken and hostile inputs: each fails with one message naming the file and the fix,
a non-zero exit, and no PEX left behind."""

from __future__ import annotations

import base64
import gzip
import hashlib
import json
import re
import shutil
import stat
import time
import zipfile
from pathlib import Path

import pytest

from harness.support import PLATFORMS, AssemblerInput, find_wheel, write_manifest, write_wheel
from pex_assembler.cli import main as cli_main
from pex_assembler.errors import AssemblerError


def _manifest(tmp_path: Path, wheels=(), files=None, **extra) -> AssemblerInput:
    """A PEX of `main.py`, or of `files` ((short path, file) pairs), and `wheels`."""
    main = tmp_path / "main.py"
    main.write_text("print('hi')\n")
    data = {
        "output": str(tmp_path / "out" / "app.pex"),
        "target": {"platform": PLATFORMS["linux_x86_64"], "python_version": "3.11"},
        "entry_point": "main",
        **extra,
    }
    files = [("main.py", main)] if files is None else files
    return write_manifest(tmp_path / "manifest.json", data, files, wheels)


def _fails(
    tmp_path: Path, capsys, app: AssemblerInput, subject: str, problem: str, fix: str
) -> str:
    output = tmp_path / "out" / "app.pex"
    output.parent.mkdir(exist_ok=True)
    output.write_bytes(b"an earlier build")
    assert cli_main(["build", *app.flags()]) == 1
    err = capsys.readouterr().err
    first, _, second = err.rstrip("\n").partition("\n")
    assert first.startswith(f"pex-assembler: error: {subject}: "), err
    assert re.search(problem, first), err
    assert second.startswith("  fix: ") and fix in second, err
    assert not output.exists(), "a failed build leaves no PEX behind"
    assert list(output.parent.iterdir()) == [], "nor any temporary file"
    return err


def _rewrite(source: Path, target: Path, edit) -> Path:
    """Copies the wheel `source` to `target`, entry by entry, through `edit(name, data)`."""
    with zipfile.ZipFile(source) as src, zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            for name, data in edit(info.filename, src.read(info)):
                dst.writestr(name, data)
    return target


@pytest.fixture
def six(wheel_dir) -> Path:
    return find_wheel(wheel_dir, "linux_x86_64", "six")


def test_truncated_wheel(tmp_path, capsys, six):
    broken = tmp_path / six.name
    broken.write_bytes(six.read_bytes()[: six.stat().st_size // 2])
    _fails(
        tmp_path,
        capsys,
        _manifest(tmp_path, [broken]),
        str(broken),
        "is not a readable zip archive, or is truncated",
        "re-download it",
    )


def test_tampered_wheel(tmp_path, capsys, six):
    def edit(name, data):
        yield name, (data + b"\nimport os; os.system('evil')\n" if name == "six.py" else data)

    tampered = _rewrite(six, tmp_path / six.name, edit)
    _fails(
        tmp_path,
        capsys,
        _manifest(tmp_path, [tampered]),
        str(tampered),
        "'six.py', whose content does not match its RECORD hash: tampered",
        "re-download it",
    )


def test_wheel_with_a_file_its_record_does_not_list(tmp_path, capsys, six):
    def edit(name, data):
        yield name, data
        if name == "six.py":
            yield "sitecustomize.py", b"print('injected')\n"

    injected = _rewrite(six, tmp_path / six.name, edit)
    _fails(
        tmp_path,
        capsys,
        _manifest(tmp_path, [injected]),
        str(injected),
        "'sitecustomize.py', which its RECORD does not list",
        "re-download it",
    )


def test_sdist_passed_as_a_wheel(tmp_path, capsys):
    sdist = tmp_path / "six-1.17.0-py2.py3-none-any.whl"
    sdist.write_bytes(gzip.compress(b"six-1.17.0/setup.py"))
    _fails(
        tmp_path,
        capsys,
        _manifest(tmp_path, [sdist]),
        str(sdist),
        r"is a gzip archive \(an sdist\?\), not a wheel",
        "build the sdist into a wheel",
    )


def test_sdist_file_name(tmp_path, capsys):
    """An sdist renamed to .whl, the suffix that makes an input a wheel: its name has none of
    a wheel's tags."""
    sdist = tmp_path / "six-1.17.0.whl"
    sdist.write_bytes(gzip.compress(b"six-1.17.0/setup.py"))
    _fails(
        tmp_path,
        capsys,
        _manifest(tmp_path, [sdist]),
        str(sdist),
        "is not named like a wheel",
        "build sdists into wheels",
    )


@pytest.mark.parametrize(
    ("entry", "reason"),
    [
        ("../../evil.py", "holds '.' or '..'"),
        ("six/../../evil.py", "holds '.' or '..'"),
        ("six/./../evil.py", "holds '.' or '..'"),
        ("/etc/cron.d/evil", "is absolute"),
        ("C:/Windows/evil.dll", "is absolute"),
        ("six\\evil.py", "holds a backslash"),
    ],
)
def test_wheel_entry_escaping_the_install_dir(tmp_path, capsys, six, entry, reason):
    def edit(name, data):
        yield name, data
        if name == "six.py":
            yield entry, b"evil"

    hostile = _rewrite(six, tmp_path / six.name, edit)
    _fails(
        tmp_path,
        capsys,
        _manifest(tmp_path, [hostile]),
        str(hostile),
        re.escape(f"{entry!r}, which {reason}"),
        "rebuild it from trusted sources",
    )


def test_wheel_with_a_symlink_entry(tmp_path, capsys, six):
    hostile = tmp_path / six.name
    shutil.copy(six, hostile)
    with zipfile.ZipFile(hostile, "a") as archive:
        link = zipfile.ZipInfo("six_link.py")
        link.external_attr = (stat.S_IFLNK | 0o777) << 16
        archive.writestr(link, "/etc/passwd")
    _fails(
        tmp_path,
        capsys,
        _manifest(tmp_path, [hostile]),
        str(hostile),
        "'six_link.py', which is a symbolic link",
        "wheels hold regular files only",
    )


def test_zip_bomb(tmp_path, capsys, six):
    def edit(name, data):
        yield name, data
        if name == "six.py":
            yield "six_padding.bin", b"\0" * (80 * 1024 * 1024)

    bomb = _rewrite(six, tmp_path / six.name, edit)
    _fails(
        tmp_path,
        capsys,
        _manifest(tmp_path, [bomb]),
        str(bomb),
        r"declares \d+ bytes of content in a \d+-byte file: a zip bomb",
        "do not use this wheel",
    )


# Short paths whose file would go into the PEX at a path outside it: one of the main
# repository goes in at itself, one of another repository (`../repo/...`) at its path in it.
@pytest.mark.parametrize(
    ("short_path", "archive_path", "reason"),
    [
        ("../repo/../outside.py", "../outside.py", "holds '.' or '..'"),
        ("pkg/../../outside.py", "pkg/../../outside.py", "holds '.' or '..'"),
        ("pkg/sub/..", "pkg/sub/..", "holds '.' or '..'"),
        ("/etc/evil.py", "/etc/evil.py", "is absolute"),
        ("D:/evil.py", "D:/evil.py", "is absolute"),
        ("pkg\\evil.py", "pkg\\evil.py", "holds a backslash"),
        ("pkg/\udcffbad.py", "pkg/\udcffbad.py", "is not valid UTF-8"),
    ],
)
def test_first_party_path_escaping_the_pex(tmp_path, capsys, short_path, archive_path, reason):
    main = tmp_path / "main.py"
    _fails(
        tmp_path,
        capsys,
        _manifest(tmp_path, files=[(short_path, main)]),
        str(main),
        re.escape(f"would be written at {archive_path!r}, which {reason}"),
        "give it a relative archive path",
    )


def test_two_inputs_at_one_archive_path(tmp_path, capsys):
    (tmp_path / "a.py").write_text("a = 1\n")
    (tmp_path / "b.py").write_text("b = 1\n")
    files = [("pkg/mod.py", tmp_path / n) for n in ("a.py", "b.py")]
    _fails(
        tmp_path,
        capsys,
        _manifest(tmp_path, files=files),
        str(tmp_path / "b.py"),
        "would both be written at 'pkg/mod.py'",
        "rename one of them",
    )


def test_names_that_collide_only_by_case(tmp_path, capsys):
    (tmp_path / "a.py").write_text("a = 1\n")
    (tmp_path / "b.py").write_text("b = 1\n")
    files = [("pkg/Mod.py", tmp_path / "a.py"), ("pkg/mod.py", tmp_path / "b.py")]
    _fails(
        tmp_path,
        capsys,
        _manifest(tmp_path, files=files),
        str(tmp_path / "b.py"),
        "differs only by case from 'pkg/Mod.py'",
        "rename one of them",
    )


def test_a_first_party_name_windows_cannot_hold(tmp_path, capsys):
    (tmp_path / "con.py").write_text("x = 1\n")
    windows = {"platform": PLATFORMS["windows_x86_64"], "python_version": "3.11"}
    _fails(
        tmp_path,
        capsys,
        _manifest(tmp_path, files=[("pkg/CON.py", tmp_path / "con.py")], target=windows),
        str(tmp_path / "con.py"),
        "installs 'pkg/CON.py', whose name 'CON.py' is a device name Windows reserves",
        "rename it",
    )


def test_a_first_party_file_and_a_wheel_that_macos_takes_for_one(tmp_path, capsys, six):
    """In a venv-mode PEX both install into one site-packages: the error names both."""
    (tmp_path / "mine.py").write_text("x = 1\n")
    files = [("SIX.py", tmp_path / "mine.py")]
    macos = {"platform": PLATFORMS["macos_arm64"], "python_version": "3.11"}
    app = _manifest(tmp_path, [six], files=files, target=macos, execution_mode="venv")
    err = _fails(
        tmp_path,
        capsys,
        app,
        str(six),
        "installs 'six.py', which macos_arm64's file system takes for 'SIX.py' from",
        "rename one of them",
    )
    assert str(tmp_path / "mine.py") in err


def test_two_distributions_of_one_project(tmp_path, capsys, six):
    def edit(name, data):
        name = name.replace("six-1.17.0.dist-info", "six-1.16.0.dist-info")
        if name.endswith("/METADATA"):
            data = data.replace(b"Version: 1.17.0", b"Version: 1.16.0")
        if name.endswith("/RECORD"):
            data = b"".join(_record_line(n, d) for n, d in entries.items())
        entries[name] = data
        yield name, data

    entries: dict = {}
    older = _rewrite(six, tmp_path / six.name.replace("1.17.0", "1.16.0"), edit)
    _fails(
        tmp_path,
        capsys,
        _manifest(tmp_path, [six, older]),
        str(six),
        "is a second distribution of six beside six-1.16.0",
        "depend on exactly one six wheel",
    )


def _record_line(name: str, data: bytes) -> bytes:
    digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
    return f"{name},sha256={digest},{len(data)}\n".encode()


def test_missing_main(tmp_path, capsys):
    app = _manifest(tmp_path, entry_point=None, main="app/missing.py", workspace_name="ws")
    _fails(
        tmp_path,
        capsys,
        app,
        "ws/app/missing.py",
        "is the main file but is not among the PEX's sources",
        "list the main file in srcs",
    )


def test_missing_entry_point_module(tmp_path, capsys):
    _fails(
        tmp_path,
        capsys,
        _manifest(tmp_path, entry_point="app.cli:run"),
        "entry_point 'app.cli:run'",
        "names module 'app.cli', which no source file provides",
        "fix entry_point",
    )


def _wheel(directory: Path, tag: str, record_edit=None) -> Path:
    """A small wheel of project `demo` with one tag; `record_edit` may rewrite its RECORD."""
    dist_info = "demo-1.0.dist-info"
    entries = {
        "demo.py": b"VALUE = 1\n",
        f"{dist_info}/METADATA": b"Metadata-Version: 2.1\nName: demo\nVersion: 1.0\n",
        f"{dist_info}/WHEEL": f"Wheel-Version: 1.0\nRoot-Is-Purelib: false\nTag: {tag}\n".encode(),
    }
    record = b"".join(_record_line(n, d) for n, d in entries.items())
    record += f"{dist_info}/RECORD,,\n".encode()
    entries[f"{dist_info}/RECORD"] = record_edit(record) if record_edit else record
    path = directory / f"demo-1.0-{tag}.whl"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in entries.items():
            archive.writestr(name, data)
    return path


@pytest.mark.parametrize(
    "tag",
    [
        "cp312-cp312-manylinux_2_17_x86_64",  # another Python version
        "cp311-cp311d-manylinux_2_17_x86_64",  # another ABI (a debug build's)
        "cp313-abi3-manylinux_2_17_x86_64",  # the stable ABI from a newer Python on
        "py2-none-any",  # Python 2 only
    ],
)
def test_wheel_for_another_python_or_abi(tmp_path, capsys, tag):
    wheel = _wheel(tmp_path, tag)
    _fails(
        tmp_path,
        capsys,
        _manifest(tmp_path, [wheel]),
        str(wheel),
        re.escape(f"cannot run on target linux_x86_64 (CPython 3.11): its tags ({tag})"),
        "depend on the demo wheel built for linux_x86_64",
    )


def test_a_matching_small_wheel_is_accepted(tmp_path):
    """The wheels above fail for their tags alone: the same wheel for the target builds."""
    wheel = _wheel(tmp_path, "cp311-cp311-manylinux_2_17_x86_64")
    assert cli_main(["build", *_manifest(tmp_path, [wheel]).flags()]) == 0


@pytest.mark.parametrize("algorithm", ["md5", "sha1"])
def test_wheel_recording_a_weak_hash(tmp_path, capsys, algorithm):
    def weaken(record: bytes) -> bytes:
        digest = base64.urlsafe_b64encode(hashlib.new(algorithm, b"VALUE = 1\n").digest())
        line = f"demo.py,{algorithm}={digest.rstrip(b'=').decode()},10\n".encode()
        lines = record.splitlines(True)
        return b"".join(line if row.startswith(b"demo.py,") else row for row in lines)

    wheel = _wheel(tmp_path, "cp311-cp311-manylinux_2_17_x86_64", weaken)
    _fails(
        tmp_path,
        capsys,
        _manifest(tmp_path, [wheel]),
        str(wheel),
        f"records 'demo.py' with the weak or unknown hash '{algorithm}'",
        "re-download it",
    )


def test_wheel_whose_record_lists_a_file_it_lacks(tmp_path, capsys):
    wheel = _wheel(
        tmp_path,
        "cp311-cp311-manylinux_2_17_x86_64",
        lambda record: record + _record_line("demo_extension.so", b"machine code"),
    )
    _fails(
        tmp_path,
        capsys,
        _manifest(tmp_path, [wheel]),
        str(wheel),
        "lists 'demo_extension.so' in its RECORD but does not hold it",
        "re-download it",
    )


def test_a_record_of_another_size_is_not_trusted(tmp_path, capsys, six):
    """A wheel's record (what PexWheelCheck wrote) is used only for the very file it
    describes: a wheel of another size behind the same path is read and checked again."""
    wheel = tmp_path / "wheels" / six.name
    wheel.parent.mkdir()
    shutil.copy(six, wheel)
    record = tmp_path / "six.crosspex.json"
    assert cli_main(["check-wheel", "--wheel", str(wheel), "--output", str(record)]) == 0

    def edit(name, data):
        yield name, (data + b"\nimport os\n" if name == "six.py" else data)

    _rewrite(six, wheel, edit)
    app = _manifest(tmp_path, [wheel])
    output = tmp_path / "out" / "app.pex"
    output.parent.mkdir(exist_ok=True)
    args = ["build", *app.flags(), f"--input={record.name}={record}"]
    assert cli_main(args) == 1
    assert "'six.py', whose content does not match its RECORD hash: tampered" in (
        capsys.readouterr().err
    )
    assert not output.exists()


def test_a_wheel_rewritten_after_a_worker_bound_its_record_is_checked_again(tmp_path, monkeypatch):
    """A persistent worker remembers the CRC-32 it bound to an unchanged file; a rewrite in
    place at the same size is a new identity (its ctime moves), checked again."""
    from pex_assembler import wheels

    monkeypatch.setattr(wheels, "SETTLED_NS", 0)  # remember at once: the test's files are new
    files = {"evil/__init__.py": b"def main():\n    return 0\n"}
    wheel = write_wheel(tmp_path, files, compression=zipfile.ZIP_STORED)
    record = tmp_path / "evil.crosspex.json"
    assert cli_main(["check-wheel", "--wheel", str(wheel), "--output", str(record)]) == 0
    described = json.loads(record.read_text())
    assert wheels.from_record(wheel, described).fingerprint == described["fingerprint"]
    time.sleep(0.05)  # past the kernel's timestamp grain

    data = wheel.read_bytes().replace(b"return 0", b"return 1")  # same size, stale CRC
    wheel.write_bytes(data)
    with pytest.raises(AssemblerError, match=r"is not a readable zip archive"):
        wheels.from_record(wheel, described)
