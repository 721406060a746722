"""The target Python version as a build setting, and the transition that sets it."""

load(":errors.bzl", "crosspex_fail")
load(":platforms.bzl", "DEFAULT_PYTHON_VERSION", "PLATFORMS", "PYTHON_VERSIONS")

PythonVersionInfo = provider(
    doc = "The value of the python_version build setting.",
    fields = {"version": "str: MAJOR.MINOR"},
)

PYTHON_VERSION_FLAG = str(Label("//py/config:python_version"))

def _python_version_flag_impl(ctx):
    version = ctx.build_setting_value
    if version not in PYTHON_VERSIONS:
        crosspex_fail(ctx.label, "%r is not one of %s" % (version, PYTHON_VERSIONS), "set one of those")
    return [PythonVersionInfo(version = version)]

python_version_flag = rule(
    implementation = _python_version_flag_impl,
    build_setting = config.string(flag = True),
    doc = "The target CPython version (MAJOR.MINOR) that wheels are selected for.",
)

def _set_python_version_impl(settings, attr):
    asked = settings[PYTHON_VERSION_FLAG]
    pinned = attr.python_version

    # A pin wins over the flag's default; over any other version asked for, it would write a
    # PEX for another Python than the name or flag promises.
    if pinned and asked != pinned and asked != DEFAULT_PYTHON_VERSION:
        fail_python_version_conflict(attr.name, pinned, asked)
    return {PYTHON_VERSION_FLAG: pinned or asked}

def fail_python_version_conflict(name, pinned, asked):
    """Fails a py_pex_binary pinned to one Python version and built for another."""
    crosspex_fail(
        name,
        ("python_version = \"%s\" pins CPython %s, but this build asks for CPython %s (by " +
         "--@crosspex//py/config:python_version or a py_pex_cross_binary's python_version)") %
        (pinned, pinned, asked),
        "drop python_version from %s to build it for every version asked for, or ask only for %s" %
        (name, pinned),
    )

# A no-op when the attribute is empty or equal to the flag: outputs then stay in bazel-bin.
set_python_version = transition(
    implementation = _set_python_version_impl,
    inputs = [PYTHON_VERSION_FLAG],
    outputs = [PYTHON_VERSION_FLAG],
)

def declare_python_config_settings():
    """is_python_X.Y, and is_<platform>_python_X.Y for every built-in platform."""
    for version in PYTHON_VERSIONS:
        native.config_setting(
            name = "is_python_" + version,
            flag_values = {":python_version": version},
        )
        for name in sorted(PLATFORMS.keys()):
            native.config_setting(
                name = "is_%s_python_%s" % (name, version),
                constraint_values = PLATFORMS[name].constraints,
                flag_values = {":python_version": version},
            )
