"""py_pex_cross_binary: one py_pex_binary built for another platform, under a name of its own."""

load(":errors.bzl", "crosspex_fail")
load(":providers.bzl", "PexBinaryInfo")
load(":python_version.bzl", "PYTHON_VERSION_FLAG", "fail_python_version_conflict")

def _for_platform_impl(settings, attr):
    return {
        "//command_line_option:platforms": [str(attr.platform)],
        PYTHON_VERSION_FLAG: attr.python_version or settings[PYTHON_VERSION_FLAG],
    }

for_platform = transition(
    implementation = _for_platform_impl,
    inputs = [PYTHON_VERSION_FLAG],
    outputs = ["//command_line_option:platforms", PYTHON_VERSION_FLAG],
)

def _py_pex_cross_binary_impl(ctx):
    pex = ctx.attr.pex[0][DefaultInfo].files.to_list()
    if len(pex) != 1:
        crosspex_fail(ctx.label, "pex names no single py_pex_binary output", "name one py_pex_binary")
    built_for = ctx.attr.pex[0][PexBinaryInfo].python_version if PexBinaryInfo in ctx.attr.pex[0] else None
    if ctx.attr.python_version and built_for and built_for != ctx.attr.python_version:
        fail_python_version_conflict(str(ctx.attr.pex[0].label), built_for, ctx.attr.python_version)

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
    attrs = {
        "pex": attr.label(mandatory = True, cfg = for_platform, doc = "The py_pex_binary to build."),
        "platform": attr.label(mandatory = True, doc = "The target platform, e.g. @crosspex//py/platforms:macos_arm64."),
        "python_version": attr.string(doc = "Target CPython version, MAJOR.MINOR; empty keeps the current one. A py_pex_binary pinned to another version fails the build."),
        "_allowlist_function_transition": attr.label(
            default = "@bazel_tools//tools/allowlists/function_transition_allowlist",
        ),
    },
)

def _platform_name(label):
    return label.split(":")[-1] if ":" in label else label.split("/")[-1]

def declare_cross_targets(kind, name, built, platforms, python_versions, kwargs):
    """Declares a `kind` target per platform (and Python version), and a filegroup of them all.

    Args:
      kind: the rule, e.g. py_pex_cross_binary.
      name: the macro's name: the prefix of every target and the filegroup's name.
      built: the attribute naming what is built for each platform, e.g. {"pex": ":app_pex"}.
      platforms: platform labels.
      python_versions: CPython versions; empty: one target per platform, the current version.
      kwargs: common attributes (tags, visibility, ...) for every generated target.
    """
    targets = []
    for platform in platforms:
        for version in python_versions or [""]:
            target = "%s_%s" % (name, _platform_name(platform))
            if version:
                target += "_py" + version.replace(".", "")
            kind(name = target, platform = platform, python_version = version, **dict(built, **kwargs))
            targets.append(":" + target)
    native.filegroup(name = name, srcs = targets, **kwargs)

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
