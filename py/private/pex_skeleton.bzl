"""pex's zipapp skeleton: written once per option set and configuration, shared by targets.

The skeleton (`pex-assembler skeleton`) is what pex writes for a zipapp with no code and no
distributions: its header, `.bootstrap/`, `__main__.py` and PEX-INFO. It depends on the
options and the target Python only. Every `py_pex_binary` whose options are the defaults
takes it from one target, `//py/private:default_skeleton`, built once per configuration
(platform and Python version); any other option set gets a skeleton of its own.
"""

load(":pex_options.bzl", "DEFAULT_PEX_OPTIONS")
load(":providers.bzl", "PythonVersionInfo")
load(":rule_helpers.bzl", "write_manifest", "write_skeleton")
load(":toolchain_types.bzl", "ASSEMBLER_TOOLCHAIN", "TARGET_TOOLCHAIN")

def _pex_skeleton_impl(ctx):
    spec = ctx.toolchains[TARGET_TOOLCHAIN].pex_target.spec
    if not spec:
        # No skeleton for a platform crosspex does not know: its binaries describe it with a
        # complete platform, and write their own.
        return [DefaultInfo(files = depset())]
    version = ctx.attr._python_version[PythonVersionInfo].version
    output = ctx.actions.declare_file(ctx.label.name + ".pex_skeleton")
    target = {"platform": spec, "python_version": version}
    manifest = write_manifest(ctx, "pex", output, target, DEFAULT_PEX_OPTIONS)
    write_skeleton(
        ctx,
        manifest,
        [manifest],
        output,
        "Writing pex's bootstrap for PEXes with the default options (CPython %s)" % version,
    )
    return [DefaultInfo(files = depset([output]))]

pex_skeleton = rule(
    implementation = _pex_skeleton_impl,
    attrs = {
        "_python_version": attr.label(default = Label("//py/config:python_version")),
    },
    toolchains = [ASSEMBLER_TOOLCHAIN, TARGET_TOOLCHAIN],
    doc = "pex's zipapp skeleton for py_pex_binary's default options, in this configuration.",
)
