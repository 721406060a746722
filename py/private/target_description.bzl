"""pex_target_description: the target platform and Python version of its configuration."""

load(":providers.bzl", "PythonVersionInfo")
load(":toolchain_types.bzl", "TARGET_TOOLCHAIN")

def _pex_target_description_impl(ctx):
    return [
        ctx.toolchains[TARGET_TOOLCHAIN].pex_target,
        ctx.attr._python_version[PythonVersionInfo],
    ]

pex_target_description = rule(
    implementation = _pex_target_description_impl,
    doc = "What a configuration builds for: its target toolchain's PexTargetInfo and its " +
          "PythonVersionInfo. A PEX for several targets reads it once per target.",
    attrs = {"_python_version": attr.label(default = Label("//py/config:python_version"))},
    toolchains = [TARGET_TOOLCHAIN],
)
