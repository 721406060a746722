"""A wheel's RECORD checked against every member, in the process (the crafted-wheel tests run the
same checks as a command): the hashes a RECORD may use, and members in any order."""

from __future__ import annotations

import base64
import hashlib
import struct
import zipfile
from pathlib import Path
from typing import Dict

import pytest

from harness.support import write_wheel
from pex_assembler import wheels
from pex_assembler.errors import AssemblerError

FILES = {"evil/__init__.py": b"x = 1\n", "evil/data.txt": b"data\n"}
RECORD = "evil-1.0.dist-info/RECORD"


def _digest(algorithm: str, data: bytes) -> str:
    raw = hashlib.new(algorithm, data).digest()
    return f"{algorithm}=" + base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def _rewritten(path: Path, members: Dict[str, bytes], first: str = "") -> None:
    """`path` again with `members` replacing their namesakes, `first` as the first entry."""
    with zipfile.ZipFile(path) as archive:
        entries = {info.filename: archive.read(info) for info in archive.infolist()}
    entries.update(members)
    order = sorted(entries, key=lambda name: name != first)
    with zipfile.ZipFile(path, "w") as archive:
        for name in order:
            archive.writestr(name, entries[name])


@pytest.mark.parametrize("algorithm", ["sha256", "sha384", "sha512"])
def test_a_record_may_hash_with_any_strong_sha2(tmp_path, algorithm):
    wheel = write_wheel(tmp_path, FILES)
    with zipfile.ZipFile(wheel) as archive:
        members = {i.filename: archive.read(i) for i in archive.infolist()}
    rows = [f"{n},{_digest(algorithm, d)},{len(d)}\n" for n, d in members.items() if n != RECORD]
    _rewritten(wheel, {RECORD: "".join([*rows, f"{RECORD},,\n"]).encode()})
    assert wheels.read_wheel(wheel).name == "evil"


@pytest.mark.parametrize("algorithm", ["md5", "sha1", "sha224", "blake2b"])
def test_a_weak_or_unknown_hash_is_refused(tmp_path, algorithm):
    wheel = write_wheel(
        tmp_path, FILES, record=lambda text: text.replace("sha256=", f"{algorithm}=", 1)
    )
    with pytest.raises(AssemblerError, match=f"weak or unknown hash '{algorithm}'"):
        wheels.read_wheel(wheel)


def test_a_digest_with_an_equals_sign_is_compared_whole(tmp_path):
    wheel = write_wheel(
        tmp_path, FILES, record=lambda text: text.replace(",sha256=", ",sha256=x=", 1)
    )
    with pytest.raises(AssemblerError, match="does not match its RECORD hash: tampered"):
        wheels.read_wheel(wheel)


@pytest.mark.parametrize("first", [RECORD, "evil-1.0.dist-info/RECORD.jws", "evil/"])
def test_members_after_the_record_are_checked_too(tmp_path, first):
    """After RECORD, its signature, or a directory entry (which old wheel builders write)."""
    wheel = write_wheel(tmp_path, FILES)
    members = {"evil/data.txt": b"DATA\n"}
    if first != RECORD:
        members[first] = b"" if first.endswith("/") else b"{}"
    _rewritten(wheel, members, first=first)
    with pytest.raises(AssemblerError, match=r"evil/data\.txt.*tampered"):
        wheels.read_wheel(wheel)


def test_a_member_the_record_does_not_list_is_refused(tmp_path):
    wheel = write_wheel(tmp_path, FILES)
    _rewritten(wheel, {"evil/extra.py": b"y = 2\n"})
    with pytest.raises(AssemblerError, match=r"'evil/extra\.py', which its RECORD does not list"):
        wheels.read_wheel(wheel)


def test_a_member_the_record_lists_without_a_hash_is_refused(tmp_path):
    def record(text: str) -> str:
        return "".join(
            "evil/data.txt,,5\n" if line.startswith("evil/data.txt,") else line + "\n"
            for line in text.splitlines()
        )

    wheel = write_wheel(tmp_path, FILES, record=record)
    with pytest.raises(AssemblerError, match=r"'evil/data\.txt', which its RECORD does not list"):
        wheels.read_wheel(wheel)


def test_a_record_row_out_of_form_is_named_by_its_line(tmp_path):
    wheel = write_wheel(
        tmp_path, FILES, record=lambda text: text.replace("\n", "\nevil/x.py,sha256=x\n", 1)
    )
    with pytest.raises(AssemblerError, match=f"has line 2 of {RECORD} with 2 fields"):
        wheels.read_wheel(wheel)


def test_a_record_with_carriage_return_line_ends_is_read(tmp_path):
    """As pip's installer reads RECORD (str.splitlines): csv takes a lone CR for a line end
    only when the text is read without newline translation."""
    wheel = write_wheel(tmp_path, FILES, record=lambda text: text.replace("\n", "\r"))
    assert wheels.read_wheel(wheel).name == "evil"


@pytest.mark.parametrize(
    "files, problem",
    [
        pytest.param(
            {"evil/a/b": b"x", "evil/a/b/c/d.py": b""},
            "has 'evil/a/b' both as a file and as the directory of 'evil/a/b/c/d.py'",
            id="file-above-a-deeper-file",
        ),
        pytest.param(
            {"evil/" + "m" * 253 + ".py": b""},
            "whose name 'mmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmm'... is longer than 255 bytes",
            id="component-of-256-bytes",
        ),
        pytest.param(
            {"evil/" + "\u00e9" * 128 + "/a.py": b""},
            "is longer than 255 bytes",
            id="directory-of-256-utf8-bytes",
        ),
    ],
)
def test_the_wheel_check_refuses_paths_no_file_system_holds(tmp_path, files, problem):
    """check-wheel, the action run once per wheel, refuses these itself: the build's file
    system check would refuse them later, for each PEX."""
    with pytest.raises(AssemblerError) as caught:
        wheels.read_wheel(write_wheel(tmp_path, {**FILES, **files}))
    assert problem in caught.value.problem


def test_a_component_of_255_bytes_is_accepted(tmp_path):
    wheels.read_wheel(write_wheel(tmp_path, {**FILES, "evil/" + "m" * 252 + ".py": b""}))


@pytest.mark.parametrize(
    "dist_info, accepted",
    [
        pytest.param("my-pkg-1.0.dist-info", True, id="dashes-as-pip-accepts"),
        pytest.param("my_pkg-1.0-x.dist-info", False, id="no-version"),
        pytest.param("my_pkg-x.dist-info", False, id="a-version-that-does-not-parse"),
        pytest.param("my_pkg-2.0.dist-info", False, id="another-version"),
    ],
)
def test_the_dist_info_directory_must_be_the_wheels_own(tmp_path, dist_info, accepted):
    wheel = write_wheel(
        tmp_path, {"my_pkg/__init__.py": b""}, project="my_pkg", dist_info=dist_info
    )
    if accepted:
        assert wheels.read_wheel(wheel).name == "my-pkg"
        return
    with pytest.raises(AssemblerError, match=f"has the metadata directory '{dist_info}'"):
        wheels.read_wheel(wheel)


@pytest.mark.parametrize(
    "entry_points, problem",
    [
        pytest.param(
            "[console_scripts]\nx = evil:ma%in\n",
            "points the script 'x' in evil-1.0.dist-info/entry_points.txt at 'evil:ma%in'",
            id="percent-is-no-interpolation",
        ),
        pytest.param(
            "[console_scripts]\nx = evil:main\n[gui_scripts]\nx = evil:main\n",
            "names the script 'x' twice",
            id="console-and-gui-script-of-one-name",
        ),
    ],
)
def test_entry_points_are_read_as_importlib_metadata_reads_them(tmp_path, entry_points, problem):
    with pytest.raises(AssemblerError) as caught:
        wheels.read_wheel(write_wheel(tmp_path, FILES, entry_points=entry_points))
    assert problem in caught.value.problem


@pytest.mark.parametrize(
    "files",
    [
        pytest.param({"evil/__init__.py": b""}, id="no-dist-info"),
        pytest.param({"evil-1.0.dist-info/WHEEL": b"x"}, id="no-metadata"),
        pytest.param(
            {"evil-1.0.dist-info/METADATA": b"Metadata-Version: 2.1\nName: evil\nVersion: 1.0\n"},
            id="no-wheel-file",
        ),
    ],
)
def test_a_wheel_without_its_metadata_is_refused_naming_it(tmp_path, files):
    wheel = tmp_path / "evil-1.0-py3-none-any.whl"
    with zipfile.ZipFile(wheel, "w") as archive:
        for name, data in files.items():
            archive.writestr(name, data)
    with pytest.raises(AssemblerError) as caught:
        wheels.read_wheel(wheel)
    assert caught.value.subject == str(wheel)


@pytest.mark.parametrize(
    "project, metadata",
    [
        pytest.param("xxxx", "Metadata-Version: 2.1\nVersion: 1.0\n", id="no-name"),
        pytest.param("evil", "Metadata-Version: 2.1\nName: evil\n", id="no-version"),
        pytest.param("evil", "Metadata-Version: 2.1\nName: evil\nVersion: 1.x\n", id="bad-version"),
    ],
)
def test_metadata_must_name_the_wheels_project_and_version(tmp_path, project, metadata):
    wheel = write_wheel(
        tmp_path, {f"{project}/__init__.py": b""}, project=project, metadata=metadata
    )
    with pytest.raises(AssemblerError, match="but its METADATA says"):
        wheels.read_wheel(wheel)


def test_a_data_directory_spelled_as_the_file_name_but_not_the_dist_info_is_refused(tmp_path):
    """pypa/installer finds the data directory by the file name's spelling, pip and pex by
    the dist-info's: a wheel where the two differ must not install differently."""
    wheel = write_wheel(
        tmp_path,
        {"Evil-1.0.data/scripts/tool": b"#!python\n"},
        project="Evil",
        dist_info="evil-1.0.dist-info",
        metadata="Metadata-Version: 2.1\nName: Evil\nVersion: 1.0\n",
    )
    with pytest.raises(AssemblerError, match="starts like its data directory but is not in it"):
        wheels.read_wheel(wheel)


def test_a_vendored_dist_info_below_the_top_is_no_second_one(tmp_path):
    """As setuptools' wheel vendors packaging-*.dist-info under setuptools/_vendor/."""
    vendored = {"evil/_vendor/six-1.0.dist-info/METADATA": b"Name: six\nVersion: 1.0\n"}
    assert wheels.read_wheel(write_wheel(tmp_path, {**FILES, **vendored})).name == "evil"


class _Cp437Entry(zipfile.ZipInfo):
    """An entry whose name is written in cp437, unflagged, as old zip tools write names, with
    the flags `more_flags` besides."""

    more_flags = 0

    def _encodeFilenameFlags(self):
        return self.filename.encode("cp437"), self.flag_bits | self.more_flags


@pytest.mark.parametrize(
    "more_flags",
    [pytest.param(0, id="no-other-flag"), pytest.param(0x1, id="flagged-encrypted-too")],
)
def test_a_name_beyond_ascii_not_flagged_as_utf8_is_refused(tmp_path, more_flags):
    """Only the UTF-8 flag is read: another flag set beside it (here encryption's) does not
    let the name by."""
    wheel = write_wheel(tmp_path, FILES)
    entry = _Cp437Entry("evil/caf\u00e9.py")
    entry.more_flags = more_flags
    with zipfile.ZipFile(wheel, "a") as archive:
        archive.writestr(entry, b"")
    with pytest.raises(AssemblerError) as caught:
        wheels.read_wheel(wheel)
    assert caught.value.problem.startswith(
        "has the entry 'evil/caf\u00e9.py', which is not valid UTF-8 (the entry is not flagged "
        "as UTF-8): "
    )


@pytest.mark.filterwarnings("ignore:Duplicate name:UserWarning")
def test_an_entry_held_twice_is_refused_even_with_the_same_bytes(tmp_path):
    """Readers differ in which of the two they take. The same bytes twice pass the RECORD
    check, so only this check sees the second."""
    wheel = write_wheel(tmp_path, FILES)
    with zipfile.ZipFile(wheel, "a") as archive:
        archive.writestr("evil/data.txt", FILES["evil/data.txt"])
    with pytest.raises(AssemblerError, match=r"holds the entry 'evil/data\.txt' twice"):
        wheels.read_wheel(wheel)


def _declare_compressed_size(wheel: Path, member: str, size: int) -> None:
    """Rewrites the compressed size of `member` in the central directory, where zipfile
    reads it (the local header keeps the true one)."""
    data = bytearray(wheel.read_bytes())
    (offset,) = struct.unpack_from("<I", data, data.rindex(b"PK\x05\x06") + 16)
    while data[offset : offset + 4] == b"PK\x01\x02":
        name, extra, comment = struct.unpack_from("<HHH", data, offset + 28)
        if data[offset + 46 : offset + 46 + name] == member.encode():
            struct.pack_into("<I", data, offset + 20, size)
        offset += 46 + name + extra + comment
    wheel.write_bytes(bytes(data))


@pytest.mark.parametrize("beyond, refused", [(0, False), (1, True)])
def test_the_compressed_size_limit_is_the_whole_file_inclusive(tmp_path, beyond, refused):
    """An entry cannot hold more than the file it is in. A smaller lie changes nothing read:
    zipfile reads an entry to its uncompressed size and checks its CRC-32."""
    wheel = write_wheel(tmp_path, FILES)
    _declare_compressed_size(wheel, "evil/data.txt", wheel.stat().st_size + beyond)
    if not refused:
        assert wheels.read_wheel(wheel).name == "evil"
        return
    with pytest.raises(AssemblerError) as caught:
        wheels.read_wheel(wheel)
    assert caught.value.problem == (
        "declares 'evil/data.txt' larger than the whole file: truncated?"
    )


@pytest.mark.parametrize("spare, refused", [(0, False), (-1, True)])
def test_the_declared_size_limit_is_inclusive(tmp_path, monkeypatch, spare, refused):
    wheel = write_wheel(tmp_path, FILES)
    with zipfile.ZipFile(wheel) as archive:
        declared = sum(info.file_size for info in archive.infolist())
    monkeypatch.setattr(wheels, "_MAX_EXPANSION", 0)
    monkeypatch.setattr(wheels, "_EXPANSION_FLOOR", declared + spare)
    if not refused:
        wheels.read_wheel(wheel)
        return
    with pytest.raises(AssemblerError, match="a zip bomb"):
        wheels.read_wheel(wheel)


@pytest.mark.parametrize("short, refused", [(0, False), (1, True)])
def test_past_the_floor_the_declared_size_limit_grows_with_the_file(
    tmp_path, monkeypatch, short, refused
):
    """The limit is _MAX_EXPANSION times the file's size: a wheel of a large file may declare
    more than the floor."""
    wheel = write_wheel(tmp_path, {**FILES, "evil/zeros.txt": bytes(100_000)})
    with zipfile.ZipFile(wheel) as archive:
        declared = sum(info.file_size for info in archive.infolist())
    size = wheel.stat().st_size
    monkeypatch.setattr(wheels, "_EXPANSION_FLOOR", 0)
    # The least factor that lets the declared bytes by, or one less.
    monkeypatch.setattr(wheels, "_MAX_EXPANSION", -(-declared // size) - short)
    if not refused:
        wheels.read_wheel(wheel)
        return
    with pytest.raises(AssemblerError, match="a zip bomb"):
        wheels.read_wheel(wheel)
