"""The platforms crosspex knows out of the box: Bazel constraints and wheel-tag specs."""

load(":errors.bzl", "crosspex_fail")

# The C library of Linux targets; platforms that do not say are glibc.
_GLIBC = "@crosspex//py/platforms:glibc"
_MUSL = "@crosspex//py/platforms:musl"

# name -> the platform's constraint values and the spec the assembler turns into wheel tags
# and PEP 508 markers. `@platforms//cpu:aarch64` is used for every 64-bit ARM target: in new
# platforms releases `cpu:arm64` is an alias of it, in old ones a different value.
PLATFORMS = {
    "linux_x86_64": struct(
        constraints = ["@platforms//os:linux", "@platforms//cpu:x86_64", _GLIBC],
        spec = {"os": "linux", "arch": "x86_64", "libc": "glibc", "libc_version": "2.28"},
    ),
    "linux_aarch64": struct(
        constraints = ["@platforms//os:linux", "@platforms//cpu:aarch64", _GLIBC],
        spec = {"os": "linux", "arch": "aarch64", "libc": "glibc", "libc_version": "2.28"},
    ),
    "linux_x86_64_musl": struct(
        constraints = ["@platforms//os:linux", "@platforms//cpu:x86_64", _MUSL],
        spec = {"os": "linux", "arch": "x86_64", "libc": "musl", "libc_version": "1.2"},
    ),
    "linux_aarch64_musl": struct(
        constraints = ["@platforms//os:linux", "@platforms//cpu:aarch64", _MUSL],
        spec = {"os": "linux", "arch": "aarch64", "libc": "musl", "libc_version": "1.2"},
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

# CPython versions crosspex can select wheels for, by the `//py/config:python_version` flag.
PYTHON_VERSIONS = ["3.8", "3.9", "3.10", "3.11", "3.12", "3.13", "3.14"]

DEFAULT_PYTHON_VERSION = "3.11"

def check_targets(subject, platforms, python_versions):
    """Fails naming `subject` unless every platform and Python version is one crosspex knows.

    Args:
      subject: what asks for them, for the error.
      platforms: names of built-in platforms.
      python_versions: MAJOR.MINOR versions.
    """
    for name in platforms:
        if name not in PLATFORMS:
            crosspex_fail(
                subject,
                "platform %r is not one of %s" % (name, sorted(PLATFORMS.keys())),
                "use the names @crosspex//py/platforms defines",
            )
    for version in python_versions:
        if version not in PYTHON_VERSIONS:
            crosspex_fail(
                subject,
                "python version %r is not one of %s" % (version, PYTHON_VERSIONS),
                "use one of those MAJOR.MINOR versions",
            )

def platform_spec(name):
    """The wheel-tag spec of a known platform, with its name."""
    spec = dict(PLATFORMS[name].spec)
    spec["name"] = name
    return spec

def declare_platforms():
    """The libc constraint, and a platform() and is_<name> config_setting per built-in platform."""
    native.constraint_setting(name = "libc", default_constraint_value = ":glibc")
    native.constraint_value(name = "glibc", constraint_setting = ":libc")
    native.constraint_value(name = "musl", constraint_setting = ":libc")
    for name in sorted(PLATFORMS.keys()):
        native.platform(name = name, constraint_values = PLATFORMS[name].constraints)
        native.config_setting(name = "is_" + name, constraint_values = PLATFORMS[name].constraints)
