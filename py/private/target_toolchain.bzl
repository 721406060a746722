"""The target toolchain: what a Bazel target platform means for wheel selection."""

load(":platforms.bzl", "DEFAULT_LIBC", "DEFAULT_LIBC_VERSIONS", "DEFAULT_MACOS_VERSION", "complete_spec")
load(":providers.bzl", "PexTargetInfo")

def _pex_target_toolchain_impl(ctx):
    spec = None
    if ctx.attr.os:
        given = {
            "name": ctx.attr.platform_name or ctx.label.name,
            "os": ctx.attr.os,
            "arch": ctx.attr.arch,
            "libc": ctx.attr.libc,
            "libc_version": ctx.attr.libc_version,
            "os_version": ctx.attr.os_version,
        }
        spec = complete_spec({key: value for key, value in given.items() if value})
    target = PexTargetInfo(name = ctx.attr.platform_name or ctx.label.name, spec = spec)
    return [platform_common.ToolchainInfo(pex_target = target)]

pex_target_toolchain = rule(
    implementation = _pex_target_toolchain_impl,
    doc = """Describes a target platform for crosspex: its OS, CPU and libc or OS version.

Register it with `toolchain(toolchain_type = "@crosspex//py/toolchains:target_toolchain_type",
target_compatible_with = [...])` to teach crosspex a platform it does not know. An empty
`os` describes no platform: a `py_pex_binary` then needs `complete_platform`.""",
    attrs = {
        "platform_name": attr.string(doc = "Name used in messages; defaults to the target name."),
        "os": attr.string(
            doc = "Target OS; empty means unknown.",
            values = ["", "linux", "macos", "windows"],
        ),
        "arch": attr.string(doc = "CPU as wheel tags spell it: x86_64, aarch64 (Linux), arm64 (macOS, Windows)."),
        "libc": attr.string(
            doc = "Linux only: glibc or musl; empty means %s." % DEFAULT_LIBC,
            values = ["", "glibc", "musl"],
        ),
        "libc_version": attr.string(
            doc = "Linux only: the newest glibc (manylinux) or musl version the target has; empty means %s." % (
                " or ".join(["%s for %s" % (version, libc) for libc, version in DEFAULT_LIBC_VERSIONS.items()])
            ),
        ),
        "os_version": attr.string(
            doc = "macOS only: the oldest macOS version the PEX must run on; empty means %s." % DEFAULT_MACOS_VERSION,
        ),
    },
)
