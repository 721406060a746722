"""Declares the default target toolchains, one per built-in platform, and an unknown fallback."""

load(":platforms.bzl", "PLATFORMS")
load(":target_toolchain.bzl", "pex_target_toolchain")

_TOOLCHAIN_TYPE = "@crosspex//py/toolchains:target_toolchain_type"

def declare_target_toolchains():
    """Called from py/toolchains/BUILD.bazel."""
    for name in sorted(PLATFORMS.keys()):
        spec = PLATFORMS[name].spec
        pex_target_toolchain(
            name = name,
            platform_name = name,
            os = spec["os"],
            arch = spec["arch"],
            libc = spec.get("libc", ""),
            libc_version = spec.get("libc_version", ""),
            os_version = spec.get("os_version", ""),
        )
        native.toolchain(
            name = name + "_toolchain",
            toolchain = ":" + name,
            toolchain_type = _TOOLCHAIN_TYPE,
            target_compatible_with = PLATFORMS[name].constraints,
        )
    pex_target_toolchain(name = "unknown_platform", platform_name = "an unknown platform")
    native.toolchain(
        name = "unknown_platform_toolchain",
        toolchain = ":unknown_platform",
        toolchain_type = _TOOLCHAIN_TYPE,
    )
