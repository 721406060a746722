"""The one place where Bazel versions differ: `@crosspex_compat//:defs.bzl`.

`crosspex_compat` writes that file for the Bazel that runs it:

- `PY_INFOS`: the PyInfo providers to read and return. Bazel before 8 has a builtin PyInfo,
  which its native rules require; under bzlmod rules_python's PyInfo comes first (the same
  provider on old rules_python, another one from rules_python 0.31 on). Bazel 8 and 9 have no
  usable builtin one, so there only rules_python's is named, in WORKSPACE mode too.
- `ASSEMBLER_ACTION`: the keyword arguments an action running the assembler passes to
  `ctx.actions.run`. From Bazel 7 on that names the assembler's toolchain type, which
  `--incompatible_auto_exec_groups` (Bazel 7+) requires; Bazel 4 knows no such argument.
"""

_ASSEMBLER_TOOLCHAIN = "@crosspex//py/toolchains:assembler_toolchain_type"

def bazel_major_version(rctx):
    """Bazel's major version.

    Builds that report no version (Debian's packages, development builds) are told apart by
    what their repository context offers: `repo_metadata` came with Bazel 8, `getenv` with
    7.1.

    Args:
      rctx: a repository context.

    Returns:
      The major version as an int; 6 stands for any versionless build before 7.1.
    """
    digits = ""
    for char in (native.bazel_version or "").elems():
        if not char.isdigit():
            break
        digits += char
    if digits:
        return int(digits)
    if hasattr(rctx, "repo_metadata"):
        return 8
    if hasattr(rctx, "getenv"):
        return 7
    return 6

def _crosspex_compat_impl(rctx):
    major = bazel_major_version(rctx)
    lines = ["# Written by crosspex for Bazel %s (major version %d)." % (
        native.bazel_version or "without a version",
        major,
    )]
    if rctx.attr.bzlmod or major >= 8:
        lines.append('load("@rules_python//python:defs.bzl", _PyInfo = "PyInfo")')
        if major >= 8:
            lines.append("PY_INFOS = [_PyInfo]")
        else:
            lines.append("PY_INFOS = [_PyInfo] + ([PyInfo] if PyInfo != _PyInfo else [])")
    else:
        lines.append("PY_INFOS = [PyInfo]")
    if major >= 7:
        lines.append('ASSEMBLER_ACTION = {"toolchain": Label("%s")}' % _ASSEMBLER_TOOLCHAIN)
    else:
        lines.append("ASSEMBLER_ACTION = {}")
    rctx.file("BUILD.bazel", "")
    rctx.file("defs.bzl", "\n".join(lines) + "\n")

crosspex_compat = repository_rule(
    implementation = _crosspex_compat_impl,
    doc = "Writes @crosspex_compat//:defs.bzl for the Bazel that runs it.",
    attrs = {"bzlmod": attr.bool(doc = "Whether rules_python comes from the module graph.")},
)
