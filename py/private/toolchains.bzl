"""Declares the default target toolchains: one per built-in platform, and the fallback."""

load(":platforms.bzl", "PLATFORMS")
load(":target_toolchain.bzl", "pex_target_toolchain")
load(":toolchain_types.bzl", "TARGET_TOOLCHAIN")

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
            toolchain_type = TARGET_TOOLCHAIN,
            target_compatible_with = PLATFORMS[name].constraints,
        )

def declare_fallback_toolchain():
    """Called from py/toolchains/fallback/BUILD.bazel: the toolchain of every other platform.

    It matches any platform, so it is registered after the built-in ones, from a package of
    its own: `register_toolchains` can then name each package with `:all`.
    """
    pex_target_toolchain(name = "unknown_platform", platform_name = "an unknown platform")
    native.toolchain(
        name = "unknown_platform_toolchain",
        toolchain = ":unknown_platform",
        toolchain_type = TARGET_TOOLCHAIN,
    )
