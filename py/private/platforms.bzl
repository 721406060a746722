"""The platforms crosspex knows out of the box: Bazel constraints and wheel-tag specs."""

# name -> the platform's constraint values and the spec the assembler turns into wheel tags
# and PEP 508 markers. `@platforms//cpu:aarch64` is used for every 64-bit ARM target: in new
# platforms releases `cpu:arm64` is an alias of it, in old ones a different value.
PLATFORMS = {
    "linux_x86_64": struct(
        constraints = ["@platforms//os:linux", "@platforms//cpu:x86_64"],
        spec = {"os": "linux", "arch": "x86_64", "libc": "glibc", "libc_version": "2.28"},
    ),
    "linux_aarch64": struct(
        constraints = ["@platforms//os:linux", "@platforms//cpu:aarch64"],
        spec = {"os": "linux", "arch": "aarch64", "libc": "glibc", "libc_version": "2.28"},
    ),
    "macos_x86_64": struct(
        constraints = ["@platforms//os:osx", "@platforms//cpu:x86_64"],
        spec = {"os": "macos", "arch": "x86_64", "os_version": "14.0"},
    ),
    "macos_arm64": struct(
        constraints = ["@platforms//os:osx", "@platforms//cpu:aarch64"],
        spec = {"os": "macos", "arch": "arm64", "os_version": "14.0"},
    ),
    "windows_x86_64": struct(
        constraints = ["@platforms//os:windows", "@platforms//cpu:x86_64"],
        spec = {"os": "windows", "arch": "x86_64"},
    ),
    "windows_arm64": struct(
        constraints = ["@platforms//os:windows", "@platforms//cpu:aarch64"],
        spec = {"os": "windows", "arch": "arm64"},
    ),
}

def platform_spec(name):
    """The wheel-tag spec of a known platform, with its name."""
    spec = dict(PLATFORMS[name].spec)
    spec["name"] = name
    return spec

def declare_platforms():
    """A platform() and an is_<name> config_setting per built-in platform."""
    for name in sorted(PLATFORMS.keys()):
        native.platform(name = name, constraint_values = PLATFORMS[name].constraints)
        native.config_setting(name = "is_" + name, constraint_values = PLATFORMS[name].constraints)
