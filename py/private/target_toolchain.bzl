"""The target toolchain: what a Bazel target platform means for wheel selection."""

load(":providers.bzl", "PexTargetInfo")

def _pex_target_toolchain_impl(ctx):
    spec = None
    if ctx.attr.os:
        spec = {
            "name": ctx.attr.platform_name or ctx.label.name,
            "os": ctx.attr.os,
            "arch": ctx.attr.arch,
        }
        if ctx.attr.libc:
            spec["libc"] = ctx.attr.libc
        if ctx.attr.libc_version:
            spec["libc_version"] = ctx.attr.libc_version
        if ctx.attr.os_version:
            spec["os_version"] = ctx.attr.os_version
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
        "libc": attr.string(doc = "Linux only: glibc or musl.", values = ["", "glibc", "musl"]),
        "libc_version": attr.string(doc = "Linux only: the newest glibc (manylinux) or musl version the target has, e.g. 2.28."),
        "os_version": attr.string(doc = "macOS only: the oldest macOS version the PEX must run on, e.g. 14.0."),
    },
)
