"""Wheels installed at build time: as pex installs and zips them, in parts Bazel caches."""

from __future__ import annotations

import json
import os
import zipfile
from pathlib import Path

import pytest

from harness.support import PLATFORMS, find_wheel, pex_reference, write_manifest, write_wheel
from pex_assembler import build, preinstalled
from pex_assembler.cli import main as cli_main
from pex_assembler.errors import AssemblerError

APP_WHEELS = ("PyYAML", "msgpack", "python_dateutil", "six", "click")


def _manifest(tmp_path: Path, wheels, name: str = "app.pex", **options):
    main = tmp_path / "src" / "app" / "main.py"
    main.parent.mkdir(parents=True, exist_ok=True)
    main.write_text("import yaml\nprint(yaml.safe_load('[1]'))\n")
    document = {
        "output": str(tmp_path / "out" / name),
        "target": {"platform": PLATFORMS["linux_x86_64"], "python_version": "3.11"},
        "entry_point": "app.main",
        "pre_install_wheels": True,
        **options,
    }
    return write_manifest(tmp_path / f"{name}.json", document, [("app/main.py", main)], wheels)


def _wheels(wheel_dir: Path, platform: str = "linux_x86_64"):
    return [find_wheel(wheel_dir, platform, p) for p in APP_WHEELS]


def _entries(pex: Path):
    with zipfile.ZipFile(pex) as archive:
        return [
            (i.filename, i.external_attr, i.compress_type, i.CRC, i.compress_size)
            for i in archive.infolist()
        ]


def test_real_wheels_are_installed_and_zipped_as_pex_does(wheel_dir, tmp_path, monkeypatch):
    """Native extensions (mode 0755), namespace and data files of real wheels: every entry
    as pex's PEXBuilder writes it, the `.deps/` ones in pex's own order, PEX-INFO too."""
    wheels = _wheels(wheel_dir)
    ours = build.assemble(_manifest(tmp_path, wheels).load())
    monkeypatch.setenv("PEX_ROOT", str(tmp_path / "pex_root"))
    sources = {"app/main.py": tmp_path / "src" / "app" / "main.py"}
    reference = pex_reference(tmp_path, sources, wheels, pre_install_wheels=True)
    deps = [e for e in _entries(ours) if e[0].startswith(".deps/")]
    assert deps == [e for e in _entries(reference) if e[0].startswith(".deps/")]
    assert sorted(_entries(ours)) == sorted(_entries(reference))
    with zipfile.ZipFile(ours) as archive, zipfile.ZipFile(reference) as theirs:
        assert archive.read("PEX-INFO") == theirs.read("PEX-INFO")
        modes = {i.filename: i.external_attr >> 16 for i in archive.infolist()}
    native = [n for n in modes if n.endswith(".so")]
    assert native and all(modes[n] == 0o100755 for n in native)


def test_parts_written_apart_give_the_one_shot_bytes(wheel_dir, tmp_path):
    """As Bazel builds it: a skeleton, an installed zip per wheel, then the PEX from them."""
    wheels = _wheels(wheel_dir)
    one_shot = build.assemble(_manifest(tmp_path / "one", wheels).load())
    parts = tmp_path / "parts"
    app = _manifest(parts, wheels)
    skeleton = parts / "skeleton.pex"
    assert cli_main(["skeleton", "--manifest", str(app.manifest), "--output", str(skeleton)]) == 0
    zips = []
    for wheel in wheels:
        zips.append(parts / "installed" / f"{wheel.name}.zip")
        assert cli_main(["install-wheels", "--wheel", str(wheel), "--output", str(zips[-1])]) == 0
    flags = [f"--installed={z}" for z in zips]
    assert cli_main(["build", *app.flags(), "--skeleton", str(skeleton), *flags]) == 0
    assert (parts / "out" / "app.pex").read_bytes() == one_shot.read_bytes()
    again = build.assemble(_manifest(tmp_path / "again" / "deeper", wheels).load())
    assert again.read_bytes() == one_shot.read_bytes()


def test_an_excluded_wheel_is_left_out_of_its_installed_zip(wheel_dir, tmp_path):
    wheels = _wheels(wheel_dir)
    together = tmp_path / "all.zip"
    build.install_wheels(wheels, together, compress=True)
    app = _manifest(tmp_path, wheels, exclude=["click"])
    pex = build.assemble(app.load(), installed=[together])
    with zipfile.ZipFile(pex) as archive:
        info = json.loads(archive.read("PEX-INFO"))
        names = archive.namelist()
    assert not any(n.startswith(".deps/click-") for n in names)
    assert sorted(info["distributions"]) == sorted(w.name for w in wheels if "click" not in w.name)


def test_a_wheel_without_its_installed_form_fails(wheel_dir, tmp_path):
    wheels = _wheels(wheel_dir)
    some = tmp_path / "some.zip"
    build.install_wheels(wheels[1:], some, compress=True)
    app = _manifest(tmp_path, wheels)
    with pytest.raises(AssemblerError, match="no installed zip among the inputs holds it") as e:
        build.assemble(app.load(), installed=[some])
    assert e.value.subject == wheels[0].name
    assert not (tmp_path / "out" / "app.pex").exists()


def _installed_zip(path: Path, entries) -> Path:
    with zipfile.ZipFile(path, "w") as archive:
        for name, data in entries:
            archive.writestr(name, data)
    return path


LAYOUT = json.dumps({"fingerprint": "ab" * 32})


@pytest.mark.parametrize(
    "entries, problem",
    [
        ([("app/x.py", b"")], "outside .deps/<wheel>/"),
        ([(".deps/a.whl/../../x.py", b"")], "outside .deps/<wheel>/"),
        ([(".deps/a.whl//x.py", b"")], "outside .deps/<wheel>/"),
        ([(".deps/notawheel/x.py", b"")], "outside .deps/<wheel>/"),
        ([(".deps/a.whl/x.py", b"")], "has no fingerprint for a.whl"),
        ([(".deps/a.whl/.layout.json", b"{}")], "has no fingerprint for a.whl"),
        ([(".deps/a.whl/.layout.json", b'{"fingerprint": 7}')], "has no fingerprint"),
    ],
)
def test_a_tampered_installed_zip_is_refused(tmp_path, entries, problem):
    made = _installed_zip(tmp_path / "i.zip", entries)
    with pytest.raises(AssemblerError, match=problem) as caught:
        preinstalled.read([made])
    assert caught.value.subject == str(made)
    assert "install-wheels" in caught.value.fix


def test_one_wheel_in_two_installed_zips_is_refused(tmp_path):
    entries = [(".deps/a.whl/.layout.json", LAYOUT)]
    first = _installed_zip(tmp_path / "one.zip", entries)
    second = _installed_zip(tmp_path / "two.zip", entries)
    with pytest.raises(AssemblerError, match="which another zip installs"):
        preinstalled.read([first, second])
    with pytest.raises(AssemblerError, match="is not a readable zip"):
        preinstalled.read([tmp_path / "missing.zip"])


def test_a_failed_install_leaves_no_output(tmp_path):
    bad = tmp_path / "bad-1.0-py3-none-any.whl"
    bad.write_bytes(b"not a zip")
    output = tmp_path / "out" / "installed.zip"
    assert cli_main(["install-wheels", "--wheel", str(bad), "--output", str(output)]) == 1
    assert not output.exists()
    assert os.listdir(output.parent) == []


def test_large_members_stream_through_a_spool_and_stay_equal(tmp_path, monkeypatch):
    """A member past the in-memory limit is compressed through a spool file, to the same
    bytes, and no spool file is left behind."""
    from pex_assembler import zips

    wheel = write_wheel(tmp_path, {"big/data.bin": b"0123456789abcdef" * 4096}, project="big")
    small = tmp_path / "small.zip"
    build.install_wheels([wheel], small, compress=True)
    monkeypatch.setattr(zips, "IN_MEMORY", 1024)
    spooled = tmp_path / "spooled" / "small.zip"
    build.install_wheels([wheel], spooled, compress=True)
    assert spooled.read_bytes() == small.read_bytes()
    assert os.listdir(spooled.parent) == ["small.zip"]


def test_the_umask_changes_no_byte(wheel_dir, tmp_path):
    wheels = _wheels(wheel_dir)
    build.install_wheels(wheels, tmp_path / "default.zip", compress=True)
    before = os.umask(0o077)
    try:
        build.install_wheels(wheels, tmp_path / "strict.zip", compress=True)
    finally:
        os.umask(before)
    assert (tmp_path / "strict.zip").read_bytes() == (tmp_path / "default.zip").read_bytes()


def test_a_directory_of_wheels_installs_as_its_wheels(wheel_dir, tmp_path):
    """A PexRepack directory (an installed tree packed back) is passed whole."""
    wheels = _wheels(wheel_dir)
    directory = tmp_path / "repacked.crosspex"
    directory.mkdir()
    for wheel in wheels:
        (directory / wheel.name).write_bytes(wheel.read_bytes())
    (directory / f"{wheels[0].name}.crosspex.json").write_text("{}")
    build.install_wheels([directory], tmp_path / "from_directory.zip", compress=True)
    build.install_wheels(wheels, tmp_path / "from_files.zip", compress=True)
    from_directory = (tmp_path / "from_directory.zip").read_bytes()
    assert from_directory == (tmp_path / "from_files.zip").read_bytes()
    with zipfile.ZipFile(tmp_path / "from_files.zip") as archive:
        names = archive.namelist()
    assert len(names) == len(set(names)), "each entry once, .deps/ too"
