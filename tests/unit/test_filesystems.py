"""What each target's file system holds, each rule at its edges: the name refused next to the
nearest one that is not."""

from __future__ import annotations

import dataclasses
import unicodedata
from pathlib import Path

import pytest
from packaging.utils import canonicalize_name
from packaging.version import Version

from pex_assembler import compat, filesystems, target
from pex_assembler.errors import AssemblerError
from pex_assembler.wheel_contents import Contents
from pex_assembler.wheels import Wheel

MAX = filesystems.MAX_NAME
CLEF = "\U0001d11e"  # two UTF-16 units, four UTF-8 bytes

COMPONENTS = [
    ("win32", "a" * MAX, None),
    ("win32", "a" * (MAX + 1), "longer than"),
    ("win32", CLEF * (MAX // 2) + "a", None),
    ("win32", CLEF * (MAX // 2 + 1), "longer than"),
    ("win32", "\u00e9" * MAX, None),
    *[("win32", f"a{c}b", "forbids") for c in '<>:"|?*\x00\x1f'],
    ("win32", "a b", None),
    ("win32", "a.", "ends in a dot or a space"),
    ("win32", "a ", "ends in a dot or a space"),
    ("win32", "a.b", None),
    ("win32", ".a", None),
    *[
        ("win32", name, "device name")
        for name in ("CON", "con", "con.txt", "CON .txt", "NUL.tar.gz", "COM1", "LPT9", "COM\u00b9")
    ],
    *[("win32", "CONIN$", "device name"), ("win32", "conout$.x", "device name")],
    *[("win32", name, None) for name in ("CONSOLE", "COM10", "xCON", "COM", "LPT", "AUXX.txt")],
    ("linux", "a" * MAX, None),
    ("linux", "a" * (MAX + 1), "longer than"),
    ("linux", "\u00e9" * (MAX // 2), None),
    ("linux", "\u00e9" * (MAX // 2 + 1), "longer than"),
    ("darwin", "a" * (MAX + 1), "longer than"),
    *[("linux", name, None) for name in ("CON", "a:b", "a.", "a ")],
    ("darwin", "CON", None),
]


@pytest.mark.parametrize(("system", "name", "needle"), COMPONENTS, ids=repr)
def test_component(system, name, needle):
    reason = filesystems.component_problem(system, name)
    if needle is None:
        assert reason is None
    else:
        assert reason is not None and needle in reason


def _check(system, *paths):
    filesystems.check(system, "the-target", [(p, f"from-{i}") for i, p in enumerate(paths)])


@pytest.mark.parametrize(
    ("system", "limit"),
    [
        ("linux", 4096 - 256),
        ("darwin", 1024 - 256),
        ("win32", 32767 - 256),
        ("sunos5", 3840),
        (None, 3840),
    ],
)
def test_the_longest_path(system, limit):
    whole = (limit - 1) // 128
    longest = ("a" * 127 + "/") * whole + "b" * (limit - 128 * whole)
    assert len(longest) == limit
    _check(system, longest)
    with pytest.raises(AssemblerError, match=f"a path over {limit} bytes, more than the-target"):
        _check(system, longest + "c")


NFC = unicodedata.normalize("NFC", "caf\u00e9.py")
NFD = unicodedata.normalize("NFD", NFC)


@pytest.mark.parametrize(
    ("system", "first", "second", "refused"),
    [
        ("linux", "Foo.py", "foo.py", False),
        ("linux", NFC, NFD, False),
        ("darwin", "Foo.py", "foo.py", True),
        ("darwin", NFC, NFD, True),
        ("darwin", "a/Foo/x.py", "a/foo/y.py", True),
        ("darwin", "a/Foo/x.py", "a/foo/x.py", True),
        ("win32", "Foo.py", "foo.py", True),
        ("win32", NFC, NFD, False),
        ("win32", "STRASSE.py", "stra\u00dfe.py", True),
    ],
)
def test_names_one_file_system_takes_for_one(system, first, second, refused):
    if not refused:
        _check(system, first, second)
        return
    with pytest.raises(AssemblerError) as raised:
        _check(system, first, second)
    message = str(raised.value)
    assert message.startswith("from-1: ")
    assert "the-target's file system takes for" in message
    assert "from-0" in message


@pytest.mark.parametrize(
    "order",
    [("a/b", "a/b/c"), ("a/b/c", "a/b"), ("a/b", "a/b/c/d/e"), ("a/b/c/d/e", "a/b")],
    ids=["file-first", "dir-first", "file-first-deep", "dir-first-deep"],
)
def test_a_file_where_a_directory_is(order):
    with pytest.raises(AssemblerError) as raised:
        _check("linux", *order)
    message = str(raised.value)
    file_origin = f"from-{order.index('a/b')}"
    directory_origin = f"from-{1 - order.index('a/b')}"
    assert message.startswith(
        f"{file_origin}: installs the file 'a/b', where {directory_origin} installs the directory "
        "'a/b'"
    )


def test_a_directory_is_shared_and_a_file_is_not():
    _check("linux", "pkg/a.py", "pkg/b.py", "pkg/sub/c.py")
    with pytest.raises(
        AssemblerError, match=r"from-1: installs .pkg/a\.py., which from-0 installs too"
    ):
        _check("linux", "pkg/a.py", "pkg/a.py")


def test_one_source_naming_a_file_twice_is_one_file():
    filesystems.check("linux", "t", [("pkg/a.py", "w"), ("pkg/a.py", "w")])


def _wheel(name: str, *files) -> Wheel:
    return Wheel(
        path=Path(f"{name}-1-py3-none-any.whl"),
        name=canonicalize_name(name),
        version=Version("1"),
        tags=frozenset(),
        requires_dist=(),
        contents=Contents(files=tuple(files)),
    )


MACOS = target.Target(name="mac", tags=(), markers={"sys_platform": "darwin"})


def test_a_target_without_sys_platform_holds_what_linux_holds():
    unknown = target.Target(name="t", tags=(), markers={})
    wheel = _wheel("w", ("purelib", "Foo.py"), ("purelib", "foo.py"), ("purelib", "CON"))
    compat.check_file_system(unknown, {}, [wheel], merged=False)


@pytest.mark.parametrize("merged", [False, True])
def test_twins_in_directories_of_their_own_are_two_files(tmp_path, merged):
    """A PEX installs first-party files and each wheel into directories of their own; a
    virtualenv (merged) installs them all into one site-packages."""
    sources = {"Foo.py": tmp_path / "Foo.py"}
    first = _wheel("a", ("purelib", "foo.py"), ("data", "share/X"), ("headers", "x"))
    second = _wheel("b", ("platlib", "FOO.py"))
    if not merged:
        compat.check_file_system(MACOS, sources, [first, second], merged)
        return
    with pytest.raises(AssemblerError, match=r"takes for 'Foo\.py'"):
        compat.check_file_system(MACOS, sources, [first, second], merged)


def test_schemes_install_into_directories_of_their_own():
    wheel = _wheel("a", ("data", "x/Y"), ("headers", "x/y"), ("scripts", "y"), ("purelib", "Y"))
    compat.check_file_system(MACOS, {}, [wheel], merged=True)


def test_pure_and_platform_modules_share_site_packages():
    wheel = _wheel("a", ("purelib", "m/Foo.py"), ("platlib", "m/foo.py"))
    with pytest.raises(AssemblerError, match=r"takes for 'm/Foo\.py'"):
        compat.check_file_system(MACOS, {}, [wheel], merged=False)


def test_entry_point_scripts_share_bin_with_the_data_scripts():
    wheel = dataclasses.replace(
        _wheel("a", ("scripts", "Tool")),
        contents=Contents(files=(("scripts", "Tool"),), scripts=(("tool", "tool:main"),)),
    )
    with pytest.raises(AssemblerError, match=r"^a-1-py3-none-any\.whl: installs 'tool', which"):
        compat.check_file_system(MACOS, {}, [wheel], merged=False)
