"""The zipapp writer piece by piece: pex's hashes, the skeleton's entries copied as they are,
the kernel copy and its fallbacks, the ZIP64 and zipimport limits at their boundaries."""

from __future__ import annotations

import functools
import io
import json
import os
import random
import struct
import zipfile
import zlib
from pathlib import Path
from typing import Dict, List, Optional, Tuple

import pytest

from harness.support import PLATFORMS, pex_reference, write_manifest, write_sources, write_wheel
from pex_assembler import archive_paths, build, wheels, zipapp, zips
from pex_assembler.errors import AssemblerError

OLD_HASH = "5" * 40
DATE = (1980, 1, 1, 0, 0, 0)
# An extended-timestamp extra field, as zip tools write them: 9 bytes before the data.
TIMESTAMP_EXTRA = b"UT\x05\x00\x01" + struct.pack("<I", 0)


# --- what pex leaves out, and its code hash ------------------------------------------------


@pytest.mark.parametrize(
    "name, expected",
    [
        ("a.pyc", True),
        ("pkg/a.pyo", True),
        ("pkg/a.pyc.140234", True),
        ("a.py", False),
        ("a.pyc.x", False),
        ("a.pyc.12a", False),
        ("a.pyc.", False),
        ("a.PYC", False),
        ("pyc", False),
        ("a.pycx", False),
    ],
)
def test_bytecode_is_what_pex_calls_bytecode(name, expected):
    from pex.common import is_pyc_file

    assert archive_paths.is_bytecode(name) is expected
    assert is_pyc_file(name) is expected


# Names pex hashes or leaves out: dotfiles at any depth, bytecode, __pycache__ at any depth.
CODE_NAMES = [
    "a.py",
    "pkg/__init__.py",
    "pkg/data.txt",
    "pkg/.hidden",
    "pkg/sub/.deep",
    ".top",
    ".dotdir/mod.py",
    "pkg/__pycache__/notes.txt",
    "pkg/sub/__pycache__/deeper.txt",
    "__pycache__/top.txt",
    "pkg/__pycache__x/kept.txt",
    "pkg/x.pyc",
    "pkg/x.pyc.123",
    "pkg/x.pyc.12a",
    "zz/big.bin",
]


def test_code_hash_is_pex_code_hash(tmp_path):
    """pex's own CacheHelper over a chroot holding the same files is the oracle."""
    from pex.util import CacheHelper

    chroot = tmp_path / "chroot"
    sources = {}
    for index, name in enumerate(CODE_NAMES):
        path = chroot / name
        path.parent.mkdir(parents=True, exist_ok=True)
        # Over the 1 MiB chunk for one file; distinct contents everywhere.
        path.write_bytes(bytes([index]) * (3 << 19) if name.endswith(".bin") else name.encode())
        sources[name] = path
    assert zipapp.code_hash(sources) == CacheHelper.pex_code_hash(str(chroot))
    # Each name counts: a hashed file's content or name changes it, a left-out one does not.
    without_dotfile = {n: p for n, p in sources.items() if n != "pkg/sub/.deep"}
    assert zipapp.code_hash(without_dotfile) == zipapp.code_hash(sources)
    renamed = {("pkg/renamed.txt" if n == "pkg/data.txt" else n): p for n, p in sources.items()}
    assert zipapp.code_hash(renamed) != zipapp.code_hash(sources)


# --- the zipimport limits ----------------------------------------------------------------------


@pytest.mark.parametrize(
    "count, size, zip64_importable, refused",
    [
        (0xFFFF, 2**31 - 1, False, False),
        (0xFFFF + 1, 100, False, True),
        (10, 2**31, False, True),
        (0xFFFF + 1, 2**31, False, True),
        (0xFFFF + 1, 2**31, True, False),
        (10, 100, True, False),
    ],
)
def test_zipimport_limits(tmp_path, count, size, zip64_importable, refused):
    output = tmp_path / "app.pex"
    if not refused:
        zipapp.check_zipimport(output, count, size, zip64_importable)
        return
    with pytest.raises(AssemblerError, match=r"which CPython before 3\.13 cannot import") as caught:
        zipapp.check_zipimport(output, count, size, zip64_importable)
    assert caught.value.subject == str(output)


@pytest.mark.parametrize("zip64_importable", [False, True])
def test_a_zipapp_past_the_limits_is_written_only_for_a_zip64_importer(
    tmp_path, monkeypatch, zip64_importable
):
    """A small entry limit stands in for zipimport's 65535."""
    monkeypatch.setattr(zipapp, "ZIPIMPORT_MAX_ENTRIES", 5)
    skeleton = _skeleton(tmp_path / "skeleton.pex")
    output = tmp_path / "app.pex"
    write = functools.partial(
        zipapp.write_zipapp, output, skeleton, None, {}, [], zip64_importable=zip64_importable,
        compress=True, staged=tmp_path / "staged.pex",
    )  # fmt: skip
    if zip64_importable:
        write()
        with zipfile.ZipFile(output) as archive:
            assert len(archive.infolist()) > 5
        return
    with pytest.raises(AssemblerError, match="entries and") as caught:
        write()
    assert caught.value.subject == str(output) and not output.exists()


# --- the kernel copy and its fallbacks ---------------------------------------------------------

CONTENT = bytes(range(256)) * (10 * 1024 + 7)  # 2.5 MiB and a bit: over the 1 MiB chunk


@pytest.fixture(params=["kernel", "no_copy_file_range", "in_memory_destination"])
def copy_path(request, monkeypatch):
    """How `_copy_range` copies: the kernel's copy_file_range, a read-write loop where the
    platform has none (macOS), or where the destination is no file."""
    if request.param == "no_copy_file_range":
        monkeypatch.delattr(os, "copy_file_range", raising=False)
    return request.param


def _destination(tmp_path: Path, kind: str):
    if kind == "in_memory_destination":
        destination: io.BufferedIOBase = io.BytesIO()
    else:
        destination = (tmp_path / "destination").open("w+b")
    destination.write(b"head")
    return destination


@pytest.mark.parametrize(
    "offset, length", [(0, 0), (0, 1), (5, 1), (0, len(CONTENT)), (3, len(CONTENT) - 3), (7, 1000)]
)
def test_copy_range_appends_exactly_the_range(tmp_path, copy_path, offset, length):
    source_path = tmp_path / "source"
    source_path.write_bytes(CONTENT)
    destination = _destination(tmp_path, copy_path)
    with source_path.open("rb") as source, destination:
        zipapp._copy_range(source, offset, length, destination)
        # The file position is the end, where the next entry goes.
        assert destination.tell() == 4 + length
        destination.seek(0)
        assert destination.read() == b"head" + CONTENT[offset : offset + length]


@pytest.mark.parametrize("offset, length", [(0, 11), (2, 20), (10, 1), (3, len(CONTENT))])
def test_copy_range_of_a_file_that_shrank_is_an_error(tmp_path, copy_path, offset, length):
    source_path = tmp_path / "source"
    source_path.write_bytes(CONTENT[:10])
    destination = _destination(tmp_path, copy_path)
    shrunk = pytest.raises(AssemblerError, match="ended before the size it had")
    with source_path.open("rb") as source, destination, shrunk as caught:
        zipapp._copy_range(source, offset, length, destination)
    assert caught.value.subject == str(source_path)


# --- entries added after pex's own, as its local headers say ------------------------------------


def test_raw_entries_written_last_are_in_the_central_directory(tmp_path):
    """An archive whose last entries are raw copies still gets its central directory."""
    path = tmp_path / "raw.zip"
    payloads = {"one": b"first", "two/three": b"x" * 5000}
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("plain", b"written by zipfile")
        for name, data in payloads.items():
            info = zipfile.ZipInfo(name)
            info.file_size = info.compress_size = len(data)
            info.CRC = zipfile.crc32(data)
            zips.begin_entry(archive, info)
            archive.fp.write(data)
            zips.end_entry(archive, info)
            assert archive.getinfo(name) is info  # known as zipfile's own entries are
    with zipfile.ZipFile(path) as archive:
        assert archive.testzip() is None
        assert archive.namelist() == ["plain", "one", "two/three"]
        assert {n: archive.read(n) for n in payloads} == payloads


@pytest.mark.parametrize("over", [0, 1])
def test_a_raw_entry_past_the_zip64_limit_compressed_or_not_gets_zip64(tmp_path, monkeypatch, over):
    """Deflated noise grows a little: an entry whose compressed size alone passes the ZIP64
    limit needs ZIP64 too (a small limit stands in for zipfile's 2 GiB)."""
    noise = random.Random(7)
    data = bytes(noise.getrandbits(8) for _ in range(4096))
    compressor = zlib.compressobj(9, zlib.DEFLATED, -15)
    deflated = compressor.compress(data) + compressor.flush()
    assert len(deflated) > len(data)
    path = tmp_path / "raw.zip"
    with monkeypatch.context() as patched:
        patched.setattr(zipfile, "ZIP64_LIMIT", len(data) - over)
        with zipfile.ZipFile(path, "w") as archive:
            info = zipfile.ZipInfo("noise.bin")
            info.compress_type = zipfile.ZIP_DEFLATED
            info.file_size, info.compress_size, info.CRC = (
                len(data), len(deflated), zipfile.crc32(data))  # fmt: skip
            zips.begin_entry(archive, info)
            archive.fp.write(deflated)
            zips.end_entry(archive, info)
    with zipfile.ZipFile(path) as archive:
        assert archive.read("noise.bin") == data
        assert _has_zip64_extra(_local_extra(path, archive.getinfo("noise.bin")))


def _local_extra(archive_path: Path, info: zipfile.ZipInfo) -> bytes:
    with archive_path.open("rb") as handle:
        handle.seek(info.header_offset)
        header = handle.read(30)
        assert header[:4] == b"PK\x03\x04"
        name_length, extra_length = struct.unpack("<HH", header[26:30])
        handle.seek(info.header_offset + 30 + name_length)
        return handle.read(extra_length)


def _has_zip64_extra(extra: bytes) -> bool:
    while extra:
        kind, length = struct.unpack("<HH", extra[:4])
        if kind == 1:
            return True
        extra = extra[4 + length :]
    return False


# --- write_zipapp over a skeleton ---------------------------------------------------------------


def _skeleton(path: Path, header: bytes = b"#!/usr/bin/env python3.11\n", **info) -> Path:
    """A skeleton as pex writes them: a header, PEX-INFO, the hash in `__main__.py` and
    `__pex__/__init__.py`, and `.bootstrap/` entries stored and deflated, some with an extra."""
    pex_info = {"pex_hash": OLD_HASH, "build_properties": {"pex_version": "x"}, **info}
    entries: List[Tuple[str, bytes, int, bytes]] = [
        (".bootstrap/", b"", zipfile.ZIP_STORED, b""),
        (".bootstrap/pex/", b"", zipfile.ZIP_STORED, b""),
        (".bootstrap/pex/__init__.py", b"", zipfile.ZIP_STORED, b""),
        (".bootstrap/pex/vendor/_vendored/lib/a.py", b"A = 1\n" * 300, zipfile.ZIP_DEFLATED,
         TIMESTAMP_EXTRA),
        (".bootstrap/pex/stored.py", b"B = 2\n" * 50, zipfile.ZIP_STORED, TIMESTAMP_EXTRA),
        ("PEX-INFO", json.dumps(pex_info).encode(), zipfile.ZIP_DEFLATED, b""),
        ("__main__.py", f"boot({OLD_HASH!r})\n".encode() * 40, zipfile.ZIP_DEFLATED, b""),
        ("__pex__/__init__.py", f"hook({OLD_HASH!r})\n".encode(), zipfile.ZIP_STORED, b""),
    ]  # fmt: skip
    with path.open("wb") as handle:
        handle.write(header)
        with zipfile.ZipFile(handle, "w") as archive:
            for name, data, compression, extra in entries:
                entry = zipfile.ZipInfo(name, date_time=(2001, 2, 3, 4, 5, 6))
                entry.create_system = 3
                mode = 0o755 if name == "__main__.py" else 0o644
                entry.external_attr = (0o40755 if name.endswith("/") else 0o100000 | mode) << 16
                entry.compress_type = compression
                entry.extra = extra
                archive.writestr(entry, data)
    return path


def _wheel(tmp_path: Path, project: str = "Tiny_Thing") -> wheels.Wheel:
    directory = tmp_path / "wheels"
    directory.mkdir(exist_ok=True)
    files = {f"{project.lower()}/__init__.py": b"X = 1\n" * 100}
    return wheels.read_wheel(write_wheel(directory, files, project=project))


def _write(
    tmp_path: Path,
    skeleton: Path,
    sources: Dict[str, Path],
    the_wheels: List[wheels.Wheel],
    compress: bool = True,
    entry_point: Optional[str] = "app.main",
) -> Path:
    output = tmp_path / "out" / "app.pex"
    output.parent.mkdir(exist_ok=True)
    staged = tmp_path / "staged.pex"
    zipapp.write_zipapp(output, skeleton, entry_point, sources, the_wheels,
                        zip64_importable=False, compress=compress, staged=staged)  # fmt: skip
    assert not staged.exists()
    return output


def test_skeleton_entries_are_copied_byte_for_byte_and_rehashed(tmp_path):
    skeleton = _skeleton(tmp_path / "skeleton.pex", b"#!/bin/sh\n# " + OLD_HASH.encode() + b"\n")
    sources = write_sources(
        tmp_path / "src", {"app/main.py": b"print('hi')\n", "app/sub/deep/x.txt": b"x"}
    )
    wheel = _wheel(tmp_path)
    output = _write(tmp_path, skeleton, sources, [wheel])
    with zipfile.ZipFile(skeleton) as base:
        before = {i.filename: (i, base.read(i)) for i in base.infolist()}
    with zipfile.ZipFile(output) as archive:
        assert archive.testzip() is None
        pex_info = json.loads(archive.read("PEX-INFO"))
        new_hash = pex_info["pex_hash"]
        after = {i.filename: (i, archive.read(i)) for i in archive.infolist()}
    assert new_hash != OLD_HASH and len(new_hash) == 40
    assert output.read_bytes().startswith(b"#!/bin/sh\n# " + new_hash.encode() + b"\n")
    assert pex_info["entry_point"] == "app.main"
    assert pex_info["distributions"] == {wheel.filename: wheels.digests(wheel.path)[0]}
    assert pex_info["requirements"] == ["Tiny_Thing==1.0"]
    assert pex_info["build_properties"] == {"pex_version": "x"}
    for name, (info, data) in before.items():
        if name.endswith("/"):
            continue
        copied, copied_data = after[name]
        if name in ("__main__.py", "__pex__/__init__.py"):
            assert copied_data == data.replace(OLD_HASH.encode(), new_hash.encode()), name
        elif name != "PEX-INFO":
            assert copied_data == data, name
        # The skeleton's compression and mode, pex's date.
        assert (copied.compress_type, copied.external_attr) == (
            info.compress_type, info.external_attr), name  # fmt: skip
    # Every directory of every file, once, empty, with a directory's attributes.
    names = [i.filename for i, _ in after.values()]
    assert len(names) == len(set(names))
    directories = {n for n in names if n.endswith("/")}
    assert directories == {
        ".bootstrap/", ".bootstrap/pex/", ".bootstrap/pex/vendor/",
        ".bootstrap/pex/vendor/_vendored/", ".bootstrap/pex/vendor/_vendored/lib/",
        "__pex__/", "app/", "app/sub/", "app/sub/deep/", ".deps/",
    }  # fmt: skip
    for info, data in after.values():
        assert (info.date_time, info.create_system) == (DATE, 3), info.filename
        if info.filename in directories:
            assert (data, info.external_attr) == (b"", (0o40755 << 16) | 0x10)
    assert after[".deps/" + wheel.filename][1] == wheel.path.read_bytes()
    assert after[".deps/" + wheel.filename][0].compress_type == zipfile.ZIP_STORED
    assert os.stat(output).st_mode & 0o777 == 0o755


@pytest.mark.parametrize("compress", [True, False])
def test_sources_follow_compress_and_wheels_stay_stored(tmp_path, compress):
    skeleton = _skeleton(tmp_path / "skeleton.pex")
    sources = write_sources(
        tmp_path / "src", {"app/main.py": b"print('hi')\n" * 100, "__main__.pyc": b"x"}
    )
    wheel = _wheel(tmp_path)
    with zipfile.ZipFile(_write(tmp_path, skeleton, sources, [wheel], compress)) as archive:
        infos = {i.filename: i for i in archive.infolist()}
        assert archive.read("app/main.py") == b"print('hi')\n" * 100
    expected = zipfile.ZIP_DEFLATED if compress else zipfile.ZIP_STORED
    assert infos["app/main.py"].compress_type == expected
    assert infos["app/main.py"].external_attr == 0o100644 << 16
    assert infos[f".deps/{wheel.filename}"].compress_type == zipfile.ZIP_STORED
    assert infos[f".deps/{wheel.filename}"].external_attr == 0o100644 << 16
    assert "__main__.pyc" not in infos  # bytecode stays out, as pex leaves it out


def test_wheels_from_records_or_read_give_the_same_pex(tmp_path, monkeypatch):
    """A wheel known from its record is not read again; one with half a record is."""
    skeleton = _skeleton(tmp_path / "skeleton.pex")
    wheel = _wheel(tmp_path)
    fingerprint, crc = wheels.digests(wheel.path)
    read: List[Path] = []
    monkeypatch.setattr(zipapp, "digests", lambda path: read.append(path) or wheels.digests(path))
    outputs = []
    for index, known in enumerate([(None, None), (fingerprint, crc), ("0" * 40, None)]):
        given = wheels.Wheel(**{**vars(wheel), "fingerprint": known[0], "crc32": known[1]})
        work = tmp_path / str(index)
        work.mkdir()
        outputs.append(_write(work, skeleton, {}, [given]).read_bytes())
    assert outputs[0] == outputs[1] == outputs[2]
    assert read == [wheel.path, wheel.path]  # not for the wheel whose record is whole


def test_no_entry_point_keeps_the_skeletons(tmp_path):
    skeleton = _skeleton(tmp_path / "skeleton.pex", entry_point="other:main")
    output = _write(tmp_path, skeleton, {}, [], entry_point=None)
    with zipfile.ZipFile(output) as archive:
        assert json.loads(archive.read("PEX-INFO"))["entry_point"] == "other:main"


@pytest.mark.parametrize("pex_hash", [5, "", None, ["x"]])
def test_a_pex_hash_that_is_no_hash_is_a_bad_skeleton(tmp_path, pex_hash):
    skeleton = _skeleton(tmp_path / "skeleton.pex", pex_hash=pex_hash)
    with pytest.raises(AssemblerError, match="has no pex_hash in its PEX-INFO"):
        _write(tmp_path, skeleton, {}, [])


def test_a_hashed_entry_without_the_hash_is_a_bad_skeleton(tmp_path):
    skeleton = tmp_path / "skeleton.pex"
    with zipfile.ZipFile(skeleton, "w") as archive:
        archive.writestr("PEX-INFO", json.dumps({"pex_hash": OLD_HASH}))
        archive.writestr("__main__.py", f"boot({OLD_HASH!r})")
        archive.writestr("__pex__/__init__.py", "hook()")
    with pytest.raises(AssemblerError, match=r"has no PEX hash in its __pex__/__init__\.py"):
        _write(tmp_path, skeleton, {}, [])


@pytest.mark.parametrize(
    "name, refused",
    [
        ("PEX-INFO", True),
        ("__main__.py", True),
        ("__pex__/__init__.py", True),
        ("__pex__/x.py", True),
        (".bootstrap/pex/x.py", True),
        (".deps/a.whl", True),
        ("app/PEX-INFO", False),
        ("app/__main__.py", False),
        ("__pex__.py", False),
        ("pex/__init__.py", False),
        (".bootstrapper.py", False),
    ],
)
def test_sources_at_paths_the_pex_uses_are_refused(tmp_path, name, refused):
    skeleton = _skeleton(tmp_path / "skeleton.pex")
    sources = write_sources(tmp_path / "src", {name: b"X = 1\n"})
    if not refused:
        with zipfile.ZipFile(_write(tmp_path, skeleton, sources, [])) as archive:
            assert archive.read(name) == b"X = 1\n"
        return
    with pytest.raises(AssemblerError, match="is a path the PEX itself uses") as caught:
        _write(tmp_path, skeleton, sources, [])
    assert caught.value.subject == name


@pytest.mark.parametrize("over", [0, 1])
def test_zip64_extras_from_the_zip64_limit_on(tmp_path, monkeypatch, over):
    """A file or wheel up to the ZIP64 limit has a plain local header; past it, a ZIP64 one
    (a small limit stands in for zipfile's 2 GiB)."""
    skeleton = _skeleton(tmp_path / "skeleton.pex")
    wheel = _wheel(tmp_path)
    size = wheel.path.stat().st_size
    sources = write_sources(tmp_path / "src", {"big.bin": b"b" * size})
    with monkeypatch.context() as patched:
        patched.setattr(zipfile, "ZIP64_LIMIT", size - over)
        output = _write(tmp_path, skeleton, sources, [wheel], compress=False)
    with zipfile.ZipFile(output) as archive:
        assert archive.testzip() is None
        infos = {i.filename: i for i in archive.infolist()}
    for name in ("big.bin", f".deps/{wheel.filename}"):
        assert _has_zip64_extra(_local_extra(output, infos[name])) is bool(over), name


# --- pex's own builder as the oracle ------------------------------------------------------------


def _attributes(pex: Path):
    with zipfile.ZipFile(pex) as archive:
        infos = archive.infolist()
        first = min(i.header_offset for i in infos)
        entries = sorted(
            (i.filename, i.date_time, i.compress_type, i.create_system, i.create_version,
             i.extract_version, i.flag_bits, i.external_attr, i.extra, i.file_size, i.CRC,
             i.compress_size, archive.read(i))
            for i in infos
        )  # fmt: skip
    return pex.read_bytes()[:first], entries, pex.stat().st_size


@pytest.mark.parametrize(
    "options",
    [
        {},
        {"compress": False, "sh_boot": True},
        {"pre_install_wheels": True},
        {"pre_install_wheels": True, "compress": False},
    ],
    ids=["zipapp", "stored-sh_boot", "pre_installed", "pre_installed-stored"],
)
def test_every_entry_is_as_pex_builder_writes_it(tmp_path, monkeypatch, options):
    """Header, names, dates, modes, compression, extras, sizes and contents, PEX-INFO too;
    wheels installed at build time as pex installs and zips them."""
    files = {
        "app/__init__.py": b"",
        "app/main.py": b"print('hi')\n" * 50,
        "app/.settings": b"dotfile",
        "app/stale.pyc": b"bytecode",
        "app/data/table.csv": b"a,b\n" * 20,
        "top.txt": b"top",
    }
    sources = write_sources(tmp_path / "src", files)
    wheel = write_wheel(tmp_path, {"tiny_thing/__init__.py": b"X = 1\n"}, project="Tiny_Thing")
    document = {
        "output": str(tmp_path / "out" / "app.pex"),
        "target": {"platform": PLATFORMS["linux_x86_64"], "python_version": "3.11"},
        "entry_point": "app.main",
        **options,
    }
    app = write_manifest(tmp_path / "manifest.json", document, list(sources.items()), [wheel])
    ours = build.assemble(app.load())
    monkeypatch.setenv("PEX_ROOT", str(tmp_path / "pex_root"))
    reference = pex_reference(tmp_path, sources, [wheel], **options)
    assert _attributes(ours) == _attributes(reference)
