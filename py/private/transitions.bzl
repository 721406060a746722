"""The transitions of crosspex rules: the target Python version, and another platform."""

load(":errors.bzl", "crosspex_fail")
load(":platforms.bzl", "DEFAULT_PYTHON_VERSION")

PYTHON_VERSION_FLAG = str(Label("//py/config:python_version"))
_PLATFORMS = "//command_line_option:platforms"

# The key of the deps built in the binary's own configuration, by to_targets.
POOL = "target"

def fail_python_version_conflict(name, pinned, asked):
    """Fails a target pinned to one Python version and built for another.

    Args:
      name: the pinned target, for the message.
      pinned: its python_version.
      asked: the version the build asks for.
    """
    crosspex_fail(
        name,
        ("python_version = \"%s\" pins CPython %s, but this build asks for CPython %s (by " +
         "--@crosspex//py/config:python_version or a py_pex_cross_binary's python_version)") %
        (pinned, pinned, asked),
        "drop python_version from %s to build it for every version asked for, or ask only for %s" %
        (name, pinned),
    )

def _set_python_version_impl(settings, attr):
    asked = settings[PYTHON_VERSION_FLAG]
    pinned = attr.python_version

    # A pin wins over the flag's default; over any other version asked for, it would write a
    # PEX for another Python than the name or flag promises.
    if pinned and asked != pinned and asked != DEFAULT_PYTHON_VERSION:
        fail_python_version_conflict(attr.name, pinned, asked)
    return {PYTHON_VERSION_FLAG: pinned or asked}

# A no-op when the attribute is empty or equal to the flag: outputs then stay in bazel-bin.
set_python_version = transition(
    implementation = _set_python_version_impl,
    inputs = [PYTHON_VERSION_FLAG],
    outputs = [PYTHON_VERSION_FLAG],
)

def _for_platform_impl(settings, attr):
    return {
        _PLATFORMS: [str(attr.platform)],
        PYTHON_VERSION_FLAG: attr.python_version or settings[PYTHON_VERSION_FLAG],
    }

# The platform (and Python version) a cross rule builds its target for.
for_platform = transition(
    implementation = _for_platform_impl,
    inputs = [PYTHON_VERSION_FLAG],
    outputs = [_PLATFORMS, PYTHON_VERSION_FLAG],
)

def _to_targets_impl(settings, attr):
    in_force = {_PLATFORMS: settings[_PLATFORMS], PYTHON_VERSION_FLAG: settings[PYTHON_VERSION_FLAG]}

    # One PEX for the platform and version in force, and the deps that complete platforms
    # share: built as the binary.
    branches = {POOL: in_force} if attr.complete_platforms or not attr.platforms else {}
    versions = attr.python_versions or [settings[PYTHON_VERSION_FLAG]]
    for platform in attr.platforms:
        for version in versions:
            branches["%s_py%s" % (platform.name, version)] = {
                _PLATFORMS: [str(platform)],
                PYTHON_VERSION_FLAG: version,
            }
    return branches

# A PEX for several targets (`platforms`, `python_versions`): its deps, once for each; and
# once as the binary, for one target or for `complete_platforms`.
to_targets = transition(
    implementation = _to_targets_impl,
    inputs = [_PLATFORMS, PYTHON_VERSION_FLAG],
    outputs = [_PLATFORMS, PYTHON_VERSION_FLAG],
)
