"""The one rule for a path inside an archive, each clause at its edges: the character or
shape that is refused next to the nearest one that is not."""

from __future__ import annotations

import pytest

from pex_assembler.archive_paths import unsafe_reason

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
