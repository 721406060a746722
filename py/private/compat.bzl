"""The one place where Bazel versions differ: which PyInfo providers exist.

`@crosspex_compat//:py_info.bzl` is written by `crosspex_compat` below: on Bazel 4.2.3
(WORKSPACE) it names Bazel's builtin PyInfo; under bzlmod (Bazel 7+) it loads rules_python's
PyInfo first, and keeps the builtin one where Bazel still has it.
"""

_BUILTIN = """\
# Written by crosspex: the builtin PyInfo (Bazel before 7, WORKSPACE mode).
PY_INFOS = [PyInfo]
"""

_RULES_PYTHON = """\
# Written by crosspex: rules_python's PyInfo, then Bazel's builtin one where it exists.
load("@rules_python//python:defs.bzl", _PyInfo = "PyInfo")

PY_INFOS = [_PyInfo] + ([PyInfo] if PyInfo != _PyInfo else [])
"""

def _crosspex_compat_impl(rctx):
    rctx.file("BUILD.bazel", "")
    rctx.file("py_info.bzl", _RULES_PYTHON if rctx.attr.rules_python else _BUILTIN)

crosspex_compat = repository_rule(
    implementation = _crosspex_compat_impl,
    doc = "Writes @crosspex_compat//:py_info.bzl with the PyInfo providers of this Bazel.",
    attrs = {"rules_python": attr.bool(doc = "Load PyInfo from @rules_python (bzlmod).")},
)
