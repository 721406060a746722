"""What one file name in a wheel may be (a script's, a path component's), at each rule's edge."""

from __future__ import annotations

import pytest

from pex_assembler.wheel_contents import MAX_COMPONENT_BYTES, plain_name_problem

NAMES = [
    ("", "is empty"),
    ("  ", "is empty"),
    (".", "is '.' or '..'"),
    ("..", "is '.' or '..'"),
    ("a/b", "holds a path separator"),
    ("a\\b", "holds a path separator"),
    ("a\x00", "holds a control character"),
    ("a\x1f", "holds a control character"),
    ("a\x7f", "holds a control character"),
    ("a\ud800", "is not valid UTF-8"),
    ("a\udfff", "is not valid UTF-8"),
    ("\u00e9" * (MAX_COMPONENT_BYTES // 2 + 1), f"is longer than {MAX_COMPONENT_BYTES} bytes"),
    ("a" * (MAX_COMPONENT_BYTES + 1), f"is longer than {MAX_COMPONENT_BYTES} bytes"),
    ("a" * MAX_COMPONENT_BYTES, None),
    ("a b", None),
    ("...", None),
    (".a", None),
    ("a\x80", None),
    ("a\ud7ff", None),
    ("a\ue000", None),
    ("caf\u00e9-cli", None),
]


@pytest.mark.parametrize(("name", "problem"), NAMES, ids=repr)
def test_plain_name(name, problem):
    assert plain_name_problem(name) == problem
