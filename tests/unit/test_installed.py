"""Installed trees repacked as wheels: which tree, which files, which errors, which output."""

from __future__ import annotations

import json
import os
import zipfile
from pathlib import Path
from typing import Dict, List, Mapping

import pytest
from installer import install
from installer.destinations import SchemeDictionaryDestination
from installer.sources import WheelFile

from harness.support import SOUND_WHEEL, in_ascii_locale, write_wheel
from pex_assembler import installed, wheels
from pex_assembler.errors import AssemblerError
from pex_assembler.inputs import InstalledTree

MODULES = {"pkg/__init__.py": b"", "pkg/mod.py": b"VALUE = 1\n"}


def _install(wheel: Path, site: Path) -> None:
    """Installs `wheel` into `site` as pip and pycross do: RECORD kept, scripts beside it."""
    scheme = {key: str(site) for key in ("purelib", "platlib")}
    scheme.update({key: str(site.parent / key) for key in ("headers", "scripts", "data")})
    destination = SchemeDictionaryDestination(scheme, "/usr/bin/python3", "posix")
    with WheelFile.open(wheel) as source:
        install(source, destination, {"INSTALLER": b"test\n"})


def _write_tree(site: Path, files: Mapping[str, bytes]) -> None:
    """A tree made by hand, for what no installer writes."""
    for name, data in files.items():
        (site / name).parent.mkdir(parents=True, exist_ok=True)
        (site / name).write_bytes(data)


def _dist_info(project: str, metadata: bytes = b"", record: bool = True) -> Dict[str, bytes]:
    """The files of `project`-1.0.dist-info; METADATA naming `project` unless given."""
    dist_info = f"{project}-1.0.dist-info"
    files = {
        f"{dist_info}/METADATA": metadata
        or f"Metadata-Version: 2.1\nName: {project}\nVersion: 1.0\n".encode(),
        f"{dist_info}/WHEEL": SOUND_WHEEL.encode(),
    }
    if record:
        files[f"{dist_info}/RECORD"] = b""
    return files


def _names(wheel: Path) -> List[str]:
    with zipfile.ZipFile(wheel) as archive:
        return sorted(archive.namelist())


def test_an_installed_wheel_is_repacked_as_it_was_built(tmp_path):
    """What the installer wrote outside the tree (scripts) and the bytecode it compiled stay
    out; every RECORD hash of the repacked wheel matches; the record written beside it and
    the description read back in one go agree with a full check of the wheel."""
    original = write_wheel(
        tmp_path, MODULES, project="demo", entry_points="[console_scripts]\ndemo = pkg.mod:main\n"
    )
    site = tmp_path / "lib" / "site-packages"
    _install(original, site)
    (site / "pkg" / "__pycache__").mkdir()
    (site / "pkg" / "__pycache__" / "mod.cpython-311.pyc").write_bytes(b"bytecode")
    with (site / "demo-1.0.dist-info" / "RECORD").open("a") as record:
        record.write("pkg/__pycache__/mod.cpython-311.pyc,,\n")  # as pip lists what it compiled
    assert (tmp_path / "lib" / "scripts" / "demo").is_file()

    tree = installed.tree_from_directory(tmp_path)
    output = tmp_path / "out"
    assert installed.write_wheels(tree, output) == [
        ("demo-1.0.dist-info", output / "demo-1.0-py3-none-any.whl")
    ]
    assert sorted(p.name for p in output.iterdir()) == [
        "demo-1.0-py3-none-any.whl",
        "demo-1.0-py3-none-any.whl.crosspex.json",
    ]
    repacked = output / "demo-1.0-py3-none-any.whl"
    assert _names(repacked) == sorted([*_names(original), "demo-1.0.dist-info/INSTALLER"])
    checked = wheels.read_wheel(repacked)
    assert installed._described(repacked, tree, "demo-1.0.dist-info") == checked
    assert (checked.name, str(checked.version), checked.contents.scripts) == (
        "demo",
        "1.0",
        (("demo", "pkg.mod:main"),),
    )
    record = (output / "demo-1.0-py3-none-any.whl.crosspex.json").read_text()
    described = wheels.from_record(repacked, json.loads(record))
    assert (described.project_name, described.contents) == ("demo", checked.contents)


def test_a_repacked_wheel_is_written_as_a_unix_wheel_builder_writes_one(tmp_path):
    """Each member a regular 0644 file made on Unix (unzip and pex's extraction honour modes
    only from Unix entries), dated 1980-01-01, and RECORD's rows ending in a bare newline."""
    site = tmp_path / "site-packages"
    _write_tree(site, {**MODULES, **_dist_info("demo", record=False)})
    ((_, repacked),) = installed.write_wheels(installed.tree_from_directory(site), tmp_path / "o")
    with zipfile.ZipFile(repacked) as archive:
        entries = archive.infolist()
        record = archive.read("demo-1.0.dist-info/RECORD")
    assert {(e.create_system, e.external_attr >> 16, e.date_time) for e in entries} == {
        (3, 0o100644, (1980, 1, 1, 0, 0, 0))
    }
    assert b"\r" not in record and record.count(b"\n") == len(entries)


def test_a_tree_is_repacked_the_same_whatever_the_locale(tmp_path):
    """WHEEL, METADATA and RECORD are UTF-8: here a generator, a requirement's marker (which
    the record keeps) and a module's name beyond ASCII."""
    site = tmp_path / "site-packages"
    metadata = (
        "Metadata-Version: 2.1\nName: demo\nVersion: 1.0\n"
        'Requires-Dist: six; platform_version == "Zoë"\n'
    ).encode()
    files = {**MODULES, "pkg/café.py": b"", **_dist_info("demo", metadata)}
    files["demo-1.0.dist-info/WHEEL"] += "Generator: wheel-façade 1.0\n".encode()
    files["demo-1.0.dist-info/RECORD"] = "".join(
        f"{name},,\n" for name in files if not name.endswith("RECORD")
    ).encode()
    _write_tree(site, files)
    ((_, here),) = installed.write_wheels(installed.tree_from_directory(site), tmp_path / "a")
    in_ascii_locale(
        "import sys; from pathlib import Path; from pex_assembler import installed; "
        "installed.write_wheels(installed.tree_from_directory(Path(sys.argv[1])), "
        "Path(sys.argv[2]))",
        str(site),
        str(tmp_path / "b"),
    )
    assert (tmp_path / "b" / here.name).read_bytes() == here.read_bytes()
    records = [
        json.loads((tmp_path / side / f"{here.name}.crosspex.json").read_text()) for side in "ab"
    ]
    assert [{**r, "wheel": None} for r in records[1:]] == [{**records[0], "wheel": None}]
    assert 'platform_version == "Zoë"' in str(records[0])
    assert "pkg/café.py" in _names(here)


def test_a_record_with_blank_lines_is_read_to_its_end(tmp_path):
    site = tmp_path / "site-packages"
    files = {**MODULES, **_dist_info("demo")}
    files["demo-1.0.dist-info/RECORD"] = b"pkg/__init__.py,,\n\n\npkg/mod.py,,\n"
    _write_tree(site, files)
    ((_, repacked),) = installed.write_wheels(installed.tree_from_directory(site), tmp_path / "o")
    assert {"pkg/__init__.py", "pkg/mod.py"} <= set(_names(repacked))


def test_a_wheel_of_several_tags_is_named_by_its_compressed_tag_set(tmp_path):
    """As `wheel tags` names one: each part's values sorted and joined with dots."""
    site = tmp_path / "site-packages"
    files = {**MODULES, **_dist_info("demo")}
    files["demo-1.0.dist-info/WHEEL"] = (
        b"Wheel-Version: 1.0\nRoot-Is-Purelib: false\n"
        b"Tag: cp311-cp311-manylinux_2_17_x86_64\nTag: cp311-cp311-manylinux2014_x86_64\n"
        b"Tag: cp311-abi3-manylinux_2_17_x86_64\nTag: cp312-abi3-manylinux_2_17_x86_64\n"
    )
    _write_tree(site, files)
    ((_, repacked),) = installed.write_wheels(installed.tree_from_directory(site), tmp_path / "o")
    assert repacked.name == (
        "demo-1.0-cp311.cp312-abi3.cp311-manylinux2014_x86_64.manylinux_2_17_x86_64.whl"
    )


def test_a_tree_without_record_is_repacked_without_what_no_wheel_holds(tmp_path):
    """rules_python's tree of one distribution without RECORD: everything but its top-level
    `__init__.py` and bytecode, wherever it lies (a stray .pyc, a half-written cache file)."""
    site = tmp_path / "site-packages"
    _write_tree(
        site,
        {
            "__init__.py": b"",
            **MODULES,
            "pkg/legacy.pyc": b"bytecode",
            "pkg/__pycache__/mod.cpython-311.pyc": b"bytecode",
            "pkg/__pycache__/mod.cpython-311.pyc.140234": b"half written",
            **_dist_info("demo", record=False),
        },
    )
    output = tmp_path / "out"
    ((_, repacked),) = installed.write_wheels(installed.tree_from_directory(site), output)
    assert _names(repacked) == [
        "demo-1.0.dist-info/METADATA",
        "demo-1.0.dist-info/RECORD",
        "demo-1.0.dist-info/WHEEL",
        "pkg/__init__.py",
        "pkg/mod.py",
    ]
    wheels.read_wheel(repacked)


def test_a_tree_without_record_holding_two_distributions_is_refused(tmp_path):
    site = tmp_path / "site-packages"
    _write_tree(site, {**MODULES, **_dist_info("one", record=False), **_dist_info("two")})
    with pytest.raises(AssemblerError) as caught:
        installed.write_wheels(installed.tree_from_directory(site), tmp_path / "out")
    assert caught.value.subject == f"{site}/one-1.0.dist-info"
    assert caught.value.problem.startswith("has no RECORD")


@pytest.mark.parametrize(
    "name, record, reason",
    [
        pytest.param(
            "pkg/a\nb.py", False, "holds a control character or a line break", id="line-break"
        ),
        pytest.param("pkg/a\\b.py", False, "holds a backslash", id="backslash"),
        pytest.param(
            "pkg/" + os.fsdecode(b"caf\xe9.py"), False, "is not valid UTF-8", id="not-utf8"
        ),
        pytest.param(
            "demo-1.0.dist-info/a\x01",
            True,
            "holds a control character or a line break",
            id="in-dist-info-beside-record",
        ),
    ],
)
def test_a_file_name_no_wheel_may_hold_is_refused_naming_it(tmp_path, name, record, reason):
    """The wheel check refuses such an entry, and a build trusts a repacked wheel's record
    without that check; a name that is not UTF-8 could not be written into a zip at all."""
    site = tmp_path / "site-packages"
    _write_tree(site, {**MODULES, name: b"", **_dist_info("demo", record=record)})
    output = tmp_path / "out"
    with pytest.raises(AssemblerError) as caught:
        installed.write_wheels(installed.tree_from_directory(site), output)
    assert (caught.value.subject, caught.value.problem) == (
        f"{site}/demo-1.0.dist-info",
        f"holds {name!r}, which {reason}",
    )
    assert not any(output.iterdir())


def test_a_record_names_a_file_exactly_a_carriage_return_included(tmp_path):
    """RECORD is read as csv asks, without newline translation: the quoted name is the file's
    own, refused for its carriage return, not taken for another name and left out."""
    site = tmp_path / "site-packages"
    files = {**MODULES, "pkg/a\rb.py": b"", **_dist_info("demo")}
    files["demo-1.0.dist-info/RECORD"] = b'pkg/__init__.py,,\n"pkg/a\rb.py",,\n'
    _write_tree(site, files)
    with pytest.raises(AssemblerError) as caught:
        installed.write_wheels(installed.tree_from_directory(site), tmp_path / "out")
    assert caught.value.problem == (
        "holds 'pkg/a\\rb.py', which holds a control character or a line break"
    )


@pytest.mark.parametrize(
    "roots, chosen",
    [
        pytest.param(["site"], "site", id="one"),
        pytest.param(["site", "site"], "site", id="two-distributions-in-one-root"),
        pytest.param(["a/lib/site-packages", "z"], "z", id="shallowest-though-named-last"),
        pytest.param(
            ["site", "site/pkg/_vendor"], "site", id="a-vendored-distribution-is-not-a-root"
        ),
        pytest.param(list("hgfedcba"), "a", id="of-equal-depth-the-first-by-name"),
    ],
)
def test_the_tree_of_a_directory_is_its_shallowest_root(tmp_path, roots, chosen):
    directory = tmp_path / "tree"
    for number, root in enumerate(roots):
        _write_tree(directory / root, {**MODULES, **_dist_info(f"d{number}")})
    tree = installed.tree_from_directory(directory)
    assert tree.root == str(directory / chosen)
    below = sorted(p for p in (directory / chosen).rglob("*") if p.is_file())
    assert tree.files == {p.relative_to(directory / chosen).as_posix(): p for p in below}


@pytest.mark.parametrize(
    "root, inputs, tree_root, files",
    [
        pytest.param(
            "../pypi/site-packages/",
            {"../pypi/site-packages/pkg/mod.py": "external/pypi/site-packages/pkg/mod.py"},
            "external/pypi/site-packages",
            {"pkg/mod.py": "external/pypi/site-packages/pkg/mod.py"},
            id="as-bazel-gives-them",
        ),
        pytest.param(
            "../pypi/site-packages",
            {"../pypi/site-packages/mod.py": "bazel-out/k8/bin/external/pypi/site-packages/mod.py"},
            "bazel-out/k8/bin/external/pypi/site-packages",
            {"mod.py": "bazel-out/k8/bin/external/pypi/site-packages/mod.py"},
            id="root-without-slash",
        ),
        pytest.param(
            "trees/pypi_X/",
            {"trees/pypi_X/X/mod.py": "out/pypi_X/X/mod.py"},
            "out/pypi_X",
            {"X/mod.py": "out/pypi_X/X/mod.py"},
            id="root-named-with-an-X",
        ),
        pytest.param(
            "site/",
            {"site/pkg/mod.py": "pkg/mod.py"},
            "site",
            {"pkg/mod.py": "pkg/mod.py"},
            id="paths-relative-to-the-tree",
        ),
        pytest.param("../pypi/site-packages/", {}, "../pypi/site-packages", {}, id="no-files"),
        pytest.param("trees/pypi_X/", {}, "trees/pypi_X", {}, id="no-files-root-with-an-X"),
    ],
)
def test_the_tree_of_inputs_is_keyed_below_its_root(root, inputs, tree_root, files):
    tree = installed.tree_from_inputs(root, [(short, Path(p)) for short, p in inputs.items()])
    assert tree == InstalledTree(tree_root, {name: Path(p) for name, p in files.items()})


@pytest.mark.parametrize("root", ["../pypi/site", "../pypi/site/"])
def test_an_input_outside_the_root_is_refused(root):
    """Below the root means below the directory, not a name that starts the same way."""
    short_path = "../pypi/site-packages/mod.py"
    with pytest.raises(AssemblerError) as caught:
        installed.tree_from_inputs(root, [(short_path, Path("x/site-packages/mod.py"))])
    assert (caught.value.subject, caught.value.problem) == (
        short_path,
        "is not below the installed tree's root '../pypi/site/'",
    )


@pytest.mark.parametrize(
    "files, problem",
    [
        pytest.param(
            {
                "broken-1.0.dist-info/WHEEL": SOUND_WHEEL.encode(),
                "broken-1.0.dist-info/RECORD": b"",
            },
            "has no METADATA",
            id="no-metadata",
        ),
        pytest.param(
            {
                "broken.dist-info/METADATA": b"Metadata-Version: 2.1\nName: broken\n",
                "broken.dist-info/WHEEL": SOUND_WHEEL.encode(),
                "broken.dist-info/RECORD": b"",
            },
            "names no valid wheel (Invalid wheel filename (wrong number of parts): "
            "'broken-py3-none-any')",
            id="no-version",
        ),
        pytest.param(
            {
                "broken-1.0.dist-info/METADATA": b"Name: broken\nVersion: 1.0\n",
                "broken-1.0.dist-info/RECORD": b"",
            },
            "has no WHEEL file",
            id="no-wheel-file",
        ),
        pytest.param(
            {
                "broken-1.0.dist-info/METADATA": b"Name: broken\nVersion: 1.0\n",
                "broken-1.0.dist-info/WHEEL": b"Wheel-Version: 1.0\nRoot-Is-Purelib: true\n",
            },
            "declares no Tag",
            id="no-tag",
        ),
        pytest.param(
            _dist_info("broken", b"Metadata-Version: 2.1\nName: other\nVersion: 1.0\n"),
            "is the directory of broken but its METADATA names 'other'",
            id="another-name",
        ),
        pytest.param(
            _dist_info("xxxx", b"Metadata-Version: 2.1\nVersion: 1.0\n"),
            "is the directory of xxxx but its METADATA names None",
            id="no-name",
        ),
    ],
)
def test_a_distribution_that_is_no_wheel_is_refused_naming_it_in_the_tree(tmp_path, files, problem):
    """The error names the distribution's directory in the tree, and the output is left
    empty: the sound distribution's wheel, already written, and what was there before."""
    site = tmp_path / "site-packages"
    _write_tree(site, {**MODULES, **_dist_info("sound"), **files})
    output = tmp_path / "out"
    output.mkdir()
    (output / "stale.whl").write_bytes(b"from an earlier run")
    with pytest.raises(AssemblerError) as caught:
        installed.write_wheels(installed.tree_from_directory(site), output)
    (dist_info,) = {name.split("/")[0] for name in files}
    assert (caught.value.subject, caught.value.problem) == (f"{site}/{dist_info}", problem)
    assert caught.value.fix.startswith("install the distribution from a wheel")
    assert output.is_dir() and not any(output.iterdir())


@pytest.mark.parametrize(
    "dist_info, metadata",
    [
        pytest.param("Foo_Bar-1.0.dist-info", b"Name: foo.bar\nVersion: 1.0\n", id="normalized"),
        pytest.param(
            "foo-1.0.dist-info", b"Name: foo\nVersion: 1.0\nAuthor: Jos\xe9\n", id="latin-1"
        ),
    ],
)
def test_metadata_naming_the_distribution_as_its_directory_does_is_accepted(
    tmp_path, dist_info, metadata
):
    site = tmp_path / "site-packages"
    _write_tree(
        site,
        {
            **MODULES,
            f"{dist_info}/METADATA": b"Metadata-Version: 2.1\n" + metadata,
            f"{dist_info}/WHEEL": SOUND_WHEEL.encode(),
        },
    )
    ((_, repacked),) = installed.write_wheels(installed.tree_from_directory(site), tmp_path / "o")
    assert repacked.name == dist_info.replace(".dist-info", "-py3-none-any.whl")
    wheels.read_wheel(repacked)


def _sound_tree(tmp_path: Path) -> InstalledTree:
    site = tmp_path / "site-packages"
    _install(write_wheel(tmp_path, MODULES, project="demo"), site)
    return installed.tree_from_directory(site)


@pytest.mark.parametrize("output", ["out", "new/nested/out"])
def test_the_output_directory_is_made_if_missing(tmp_path, output):
    written = installed.write_wheels(_sound_tree(tmp_path), tmp_path / output)
    assert [wheel for _, wheel in written] == [tmp_path / output / "demo-1.0-py3-none-any.whl"]
    assert len(list((tmp_path / output).iterdir())) == 2


def test_an_existing_output_directory_is_written_into(tmp_path):
    (tmp_path / "out").mkdir()
    installed.write_wheels(_sound_tree(tmp_path), tmp_path / "out")
    assert (tmp_path / "out" / "demo-1.0-py3-none-any.whl.crosspex.json").is_file()


def test_a_failure_into_a_linked_output_raises_the_trees_error(tmp_path):
    """The output is a link to a directory, which rmtree will not clear: the tree's error is
    still the one raised, and the link stays a link to a directory."""
    site = tmp_path / "site-packages"
    _write_tree(site, {**MODULES, **_dist_info("sound"), "broken-1.0.dist-info/WHEEL": b""})
    (tmp_path / "target").mkdir()
    output = tmp_path / "out"
    output.symlink_to(tmp_path / "target")
    with pytest.raises(AssemblerError) as caught:
        installed.write_wheels(installed.tree_from_directory(site), output)
    assert caught.value.problem == "declares no Tag"
    assert output.is_symlink() and output.is_dir()
