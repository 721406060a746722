"""The platforms crosspex knows out of the box: Bazel constraints and wheel-tag specs."""

load(":errors.bzl", "crosspex_fail")

# The C library of Linux targets; platforms that do not say are glibc.
_GLIBC = "@crosspex//py/platforms:glibc"
_MUSL = "@crosspex//py/platforms:musl"

# What a spec leaves out, for built-in platforms and pex_target_toolchain alike: Linux targets
# are glibc, with manylinux wheels up to glibc 2.28 (musllinux up to musl 1.2); macOS targets
# take wheels for macOS 14.0 and older.
DEFAULT_LIBC = "glibc"
DEFAULT_LIBC_VERSIONS = {"glibc": "2.28", "musl": "1.2"}
DEFAULT_MACOS_VERSION = "14.0"

def complete_spec(spec):
    """A platform spec with what it leaves out filled in from the defaults above.

    Args:
      spec: a dict with `os` and `arch`, and optionally `libc` and `libc_version` (Linux) or
        `os_version` (macOS).

    Returns:
      A new dict: the assembler reads only complete specs.
    """
    spec = dict(spec)
    if spec["os"] == "linux":
        spec.setdefault("libc", DEFAULT_LIBC)
        spec.setdefault("libc_version", DEFAULT_LIBC_VERSIONS[spec["libc"]])
    elif spec["os"] == "macos":
        spec.setdefault("os_version", DEFAULT_MACOS_VERSION)
    return spec

def _platform(constraints, **spec):
    return struct(constraints = constraints, spec = complete_spec(spec))

# name -> the platform's constraint values and the spec the assembler turns into wheel tags
# and PEP 508 markers. `@platforms//cpu:aarch64` is used for every 64-bit ARM target: in new
# platforms releases `cpu:arm64` is an alias of it, in old ones a different value.
PLATFORMS = {
    "linux_x86_64": _platform(
        ["@platforms//os:linux", "@platforms//cpu:x86_64", _GLIBC],
        os = "linux",
        arch = "x86_64",
    ),
    "linux_aarch64": _platform(
        ["@platforms//os:linux", "@platforms//cpu:aarch64", _GLIBC],
        os = "linux",
        arch = "aarch64",
    ),
    "linux_x86_64_musl": _platform(
        ["@platforms//os:linux", "@platforms//cpu:x86_64", _MUSL],
        os = "linux",
        arch = "x86_64",
        libc = "musl",
    ),
    "linux_aarch64_musl": _platform(
        ["@platforms//os:linux", "@platforms//cpu:aarch64", _MUSL],
        os = "linux",
        arch = "aarch64",
        libc = "musl",
    ),
    "macos_x86_64": _platform(
        ["@platforms//os:osx", "@platforms//cpu:x86_64"],
        os = "macos",
        arch = "x86_64",
    ),
    "macos_arm64": _platform(
        ["@platforms//os:osx", "@platforms//cpu:aarch64"],
        os = "macos",
        arch = "arm64",
    ),
    "windows_x86_64": _platform(
        ["@platforms//os:windows", "@platforms//cpu:x86_64"],
        os = "windows",
        arch = "x86_64",
    ),
    "windows_arm64": _platform(
        ["@platforms//os:windows", "@platforms//cpu:aarch64"],
        os = "windows",
        arch = "arm64",
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
