"""The one place where Bazel versions differ: `@crosspex_compat//:defs.bzl`.

`crosspex_compat` writes that file for the Bazel that runs it. Its `PY_INFOS` are the PyInfo
providers to read and return: rules_python's first, and on Bazel 7 also the builtin one,
which Bazel's native Python rules require (with rules_python 0.31 or later the two are
different providers). Bazel 8 and 9 have no usable builtin PyInfo, and naming it there would
fail to load, hence a file written per Bazel rather than a test in Starlark.

bazel_features' `globals.PyInfo` answers the same question in its recent releases (Debian's
1.11 has no such global), and only where Bazel reports its version: it counts a build without
one (Debian's Bazel 7) as newer than any release, and would miss the builtin PyInfo there.
"""

def _has_builtin_py_info(rctx):
    """Whether the Bazel running `rctx` has the builtin PyInfo: Bazel 7 does, 8 and 9 do not.

    Builds that report no version are told apart by what their repository context offers:
    `repo_metadata` came with Bazel 8.

    Args:
      rctx: a repository context.

    Returns:
      True on Bazel 7.
    """
    digits = ""
    for char in (native.bazel_version or "").elems():
        if not char.isdigit():
            break
        digits += char
    if digits:
        return int(digits) < 8
    return not hasattr(rctx, "repo_metadata")

def _crosspex_compat_impl(rctx):
    lines = [
        "# Written by crosspex for Bazel %s." % (native.bazel_version or "without a version"),
        'load("@rules_python//python:defs.bzl", _PyInfo = "PyInfo")',
    ]
    if _has_builtin_py_info(rctx):
        lines.append("PY_INFOS = [_PyInfo] + ([PyInfo] if PyInfo != _PyInfo else [])")
    else:
        lines.append("PY_INFOS = [_PyInfo]")
    rctx.file("BUILD.bazel", 'exports_files(["defs.bzl"])\n')
    rctx.file("defs.bzl", "\n".join(lines) + "\n")

crosspex_compat = repository_rule(
    implementation = _crosspex_compat_impl,
    doc = "Writes @crosspex_compat//:defs.bzl for the Bazel that runs it.",
)
