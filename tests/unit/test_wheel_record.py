"""A wheel's record: what checking it found, read back in place of a second check only while
it is of this very file."""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import zipfile
import zlib
from pathlib import Path

import pytest

from harness.support import write_wheel
from pex_assembler import wheels

FILES = {
    "evil/__init__.py": b"def main():\n    return 0\n",
    "evil-1.0.data/scripts/evil-tool": b"#!python\nprint('tool')\n",
    "evil-1.0.data/data/share/evil/x.txt": b"x",
}
METADATA = "Metadata-Version: 2.1\nName: Evil\nVersion: 1.0\nRequires-Dist: six\n"


def _checked(directory: Path, **kwargs) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    kwargs.setdefault("entry_points", "[console_scripts]\nevil-cli = evil:main\n")
    return write_wheel(directory, FILES, metadata=METADATA, **kwargs)


def _record(wheel: Path) -> dict:
    output = wheel.with_name(wheel.name + wheels.RECORD_SUFFIX)
    wheels.write_record(wheels.read_wheel(wheel), output)
    return json.loads(output.read_text())


def test_a_record_reads_back_as_the_check_found_it(tmp_path):
    wheel = _checked(tmp_path)
    checked = wheels.read_wheel(wheel)
    assert checked.contents.scripts and checked.contents.files and checked.requires_dist
    sha256, crc = wheels.digests(wheel)
    expected = dataclasses.replace(checked, fingerprint=sha256, crc32=crc)
    assert wheels.from_record(wheel, _record(wheel)) == expected


@pytest.mark.parametrize("purelib, root", [(True, "purelib"), (False, "platlib")])
def test_the_files_install_by_scheme_as_the_wheel_says(tmp_path, purelib, root):
    """Root-Is-Purelib picks the root's scheme; `.data/<scheme>/` files name their own; a
    directory entry (old wheel builders write them) installs nothing of its own."""
    wheel_text = f"Wheel-Version: 1.0\nRoot-Is-Purelib: {str(purelib).lower()}\nTag: py3-none-any\n"
    wheel = _checked(tmp_path, wheel_text=wheel_text)
    with zipfile.ZipFile(wheel) as archive:
        members = [(info, archive.read(info)) for info in archive.infolist()]
    with zipfile.ZipFile(wheel, "w") as archive:
        for directory in ("evil/", "evil-1.0.data/", "evil-1.0.data/scripts/"):
            archive.writestr(directory, b"")
        for info, data in members:
            archive.writestr(info, data)
    files = wheels.read_wheel(wheel).contents.files
    assert files == (
        ("data", "share/evil/x.txt"),
        (root, "evil-1.0.dist-info/METADATA"),
        (root, "evil-1.0.dist-info/RECORD"),
        (root, "evil-1.0.dist-info/WHEEL"),
        (root, "evil-1.0.dist-info/entry_points.txt"),
        (root, "evil/__init__.py"),
        ("scripts", "evil-tool"),
    )


@pytest.mark.parametrize(
    "stale",
    [
        pytest.param(lambda r, other: {**r, "wheel": str(other)}, id="another-path"),
        pytest.param(lambda r, other: {**r, "size": r["size"] + 1}, id="another-size"),
        pytest.param(lambda r, other: {**r, "crc32": r["crc32"] ^ 1}, id="another-crc"),
        pytest.param(lambda r, other: {**r, "files": 7}, id="malformed"),
    ],
)
def test_a_record_not_of_this_file_is_not_believed(tmp_path, stale):
    wheel = _checked(tmp_path / "a")
    other = _checked(tmp_path / "b")
    record = {**_record(wheel), "fingerprint": "not-believed", "scripts": []}
    read = wheels.from_record(wheel, stale(record, other))
    assert read.fingerprint is None
    assert read == wheels.read_wheel(wheel)


def test_the_same_size_at_another_path_is_another_wheel(tmp_path):
    wheel = _checked(tmp_path / "a")
    twin = _checked(tmp_path / "b", entry_points="[console_scripts]\nevil-other = evil:main\n")
    wheel.write_bytes(wheel.read_bytes() + b"\0" * (twin.stat().st_size - wheel.stat().st_size))
    record = _record(twin)
    assert wheel.stat().st_size == record["size"]
    assert wheels.from_record(wheel, record).path == wheel


def test_digests_of_a_file_larger_than_a_read(tmp_path):
    data = os.urandom(wheels.CHUNK) + b"tail"
    path = tmp_path / "big"
    path.write_bytes(data)
    assert wheels.crc32_of(path) == zlib.crc32(data)
    assert wheels.digests(path) == (hashlib.sha256(data).hexdigest(), zlib.crc32(data))


def _crc_reads(monkeypatch, wheel: Path, record: dict, now: int) -> int:
    """How often two reads of `record` compute the wheel's CRC when the clock says `now`."""
    reads = []
    compute = wheels.crc32_of
    monkeypatch.setattr(wheels, "crc32_of", lambda p: reads.append(p) or compute(p))
    monkeypatch.setattr(wheels.time, "time_ns", lambda: now)
    monkeypatch.setattr(wheels, "_BOUND", {})
    for _ in range(2):
        assert wheels.from_record(wheel, record).fingerprint == record["fingerprint"]
    return len(reads)


def test_a_settled_file_is_bound_once(tmp_path, monkeypatch):
    wheel = _checked(tmp_path)
    ctime = wheel.stat().st_ctime_ns
    assert _crc_reads(monkeypatch, wheel, _record(wheel), ctime + wheels.SETTLED_NS + 1) == 1


def test_a_file_changed_within_the_clock_tick_is_bound_every_time(tmp_path, monkeypatch):
    wheel = _checked(tmp_path)
    ctime = wheel.stat().st_ctime_ns
    assert _crc_reads(monkeypatch, wheel, _record(wheel), ctime + wheels.SETTLED_NS) == 2


def test_a_script_name_is_what_comes_before_the_equals_sign(tmp_path):
    """As importlib.metadata reads entry points: `=` is the only delimiter, so a name may
    hold a colon (a file name on Linux and macOS; the Windows check refuses it)."""
    wheel = _checked(tmp_path, entry_points="[console_scripts]\nevil:cli = evil:main\n")
    assert wheels.read_wheel(wheel).contents.scripts == (("evil:cli", "evil:main"),)
