"""py_pex_cross_binary: one py_pex_binary built for another platform, under a name of its own."""

load(":attributes.bzl", "cross_attrs")
load(":cross_targets.bzl", "declare_cross_targets")
load(":errors.bzl", "crosspex_fail")
load(":rule_helpers.bzl", "check_built_for")

def _py_pex_cross_binary_impl(ctx):
    pex = ctx.attr.pex[0][DefaultInfo].files.to_list()
    if len(pex) != 1:
        crosspex_fail(ctx.label, "pex names no single py_pex_binary output", "name one py_pex_binary")
    check_built_for(ctx, ctx.attr.pex[0])

    # A packed or loose PEX is a directory: its link must be declared as one.
    if pex[0].is_directory:
        output = ctx.actions.declare_directory(ctx.label.name + ".pex")
    else:
        output = ctx.actions.declare_file(ctx.label.name + ".pex")
    ctx.actions.symlink(output = output, target_file = pex[0])
    return [DefaultInfo(files = depset([output]), executable = output)]

py_pex_cross_binary = rule(
    implementation = _py_pex_cross_binary_impl,
    executable = True,
    doc = """Builds a `py_pex_binary` for `platform` and puts it at `<name>.pex` in this package.

The rule itself stays in the top-level configuration, so its output sits in `bazel-bin`
whatever the platform: `bazel build //app:all` writes every platform's PEX side by side.""",
    attrs = cross_attrs("pex", "py_pex_binary"),
)

def py_pex_cross_binaries(name, pex, platforms, python_versions = [], **kwargs):
    """One py_pex_cross_binary per platform (and Python version), and a filegroup of them all.

    Targets are named `<name>_<platform>` (`<name>_<platform>_py<XY>` with python_versions),
    each writing `<target name>.pex`.

    Args:
      name: prefix of the generated targets, and the name of the filegroup holding them all.
      pex: the py_pex_binary to build for each platform.
      platforms: platform labels, e.g. ["@crosspex//py/platforms:macos_arm64"].
      python_versions: CPython versions to build each platform for; empty: the current one.
      **kwargs: common attributes (tags, visibility, ...) for every generated target.
    """
    declare_cross_targets(py_pex_cross_binary, name, {"pex": pex}, platforms, python_versions, kwargs)
