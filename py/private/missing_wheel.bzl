"""What a pip_wheels package resolves to where it has no wheel: an error naming the build."""

load(":errors.bzl", "crosspex_fail")
load(":providers.bzl", "PythonVersionInfo")
load(":toolchain_types.bzl", "TARGET_TOOLCHAIN")

def _missing_wheel_impl(ctx):
    # A select()'s no_match_error is fixed text; a rule can name the platform and version.
    platform = ctx.toolchains[TARGET_TOOLCHAIN].pex_target.name
    version = ctx.attr._python_version[PythonVersionInfo].version
    crosspex_fail(
        # The package's own target, whose select() led here.
        "@%s//:%s" % (ctx.label.workspace_name, ctx.label.name.rpartition("__")[0]),
        "%s has no wheel here for %s (CPython %s), the platform and Python version being " %
        (ctx.attr.package, platform, version) +
        "built; it has wheels for %s" % ctx.attr.available,
        "add the platform or version to this pip_wheels repository, or build for one of those",
    )

missing_wheel = rule(
    implementation = _missing_wheel_impl,
    doc = "Fails the analysis of whatever depends on it, naming the platform and version built.",
    attrs = {
        "package": attr.string(mandatory = True, doc = "The package's name."),
        "available": attr.string(mandatory = True, doc = "The platforms and versions it has wheels for."),
        "_python_version": attr.label(default = Label("//py/config:python_version")),
    },
    toolchains = [TARGET_TOOLCHAIN],
)
