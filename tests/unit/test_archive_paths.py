"""The one rule for a path inside an archive, each clause at its edges: the character or
shape that is refused next to the nearest one that is not."""

from __future__ import annotations

import os

import pytest

from harness.support import in_ascii_locale
from pex_assembler import archive_paths
from pex_assembler.archive_paths import unsafe_reason
from pex_assembler.errors import AssemblerError
from pex_assembler.inputs import check_archive_path
from pex_assembler.manifest import parse_input

REFUSED = [
    ("", "is empty"),
    ("a\\b", "holds a backslash"),
    ("/a", "is absolute"),
    ("/", "is absolute"),
    ("c:", "is absolute"),
    ("c:/a", "is absolute"),
    ("a:b", "is absolute"),
    ("..", "holds '.' or '..'"),
    ("../a", "holds '.' or '..'"),
    ("a/..", "holds '.' or '..'"),
    ("a/../", "holds '.' or '..'"),
    ("a/./b", "holds '.' or '..'"),
    ("a//b", "holds an empty component"),
    ("a\x00b", "is not valid UTF-8"),
    ("a\ud800", "is not valid UTF-8"),
    ("a\udfff", "is not valid UTF-8"),
    ("a\x01", "holds a control character or a line break"),
    ("a\x1f", "holds a control character or a line break"),
    ("a\nb", "holds a control character or a line break"),
    ("a\x7f", "holds a control character or a line break"),
    ("a\x85", "holds a control character or a line break"),
    ("a\u2028", "holds a control character or a line break"),
    ("a\u2029", "holds a control character or a line break"),
]
PLAIN = [
    "a",
    "a/",
    "a/b/",
    "ab:c",
    "...",
    "a/.b/..c",
    "a b",
    "a\u20ac",
    "a\ud7ff",
    "a\ue000",
    "a\x80",
    "caf\u00e9/x.py",
]


@pytest.mark.parametrize(("path", "reason"), REFUSED, ids=repr)
def test_refused_with_its_reason(path, reason):
    assert unsafe_reason(path) == reason


@pytest.mark.parametrize("path", PLAIN, ids=repr)
def test_plain(path):
    assert unsafe_reason(path) is None


def test_names_from_the_os_are_read_as_utf8_whatever_the_locale():
    """An --input flag's SHORT_PATH is what Bazel wrote, UTF-8: an ASCII locale's Python
    decodes it to surrogates, which become the name again."""
    code = (
        "import sys; from pex_assembler.manifest import parse_input; "
        "print(ascii(parse_input(sys.argv[1], 'test')[0]))"
    )
    assert in_ascii_locale(code, "pkg/café.py=/x") == f"{'pkg/café.py'!a}\n"
    assert archive_paths.from_os("pkg/café.py") == "pkg/café.py"


def test_a_name_from_the_os_that_is_not_utf8_is_refused_by_the_path_rule():
    """An input's name keeps its bytes, a stray one as a surrogate, for the path rule to
    refuse: decoding it strictly would stop the build with a traceback instead."""
    short_path, path = parse_input(os.fsdecode(b"pkg/caf\xe9.py") + "=/x", "test")
    assert short_path.encode("utf-8", "surrogateescape") == b"pkg/caf\xe9.py"
    with pytest.raises(AssemblerError, match=r"'pkg/caf\\udce9\.py', which is not valid UTF-8"):
        check_archive_path(short_path, str(path))
