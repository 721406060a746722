"""The target Python version as a build setting, and config settings that read it."""

load(":errors.bzl", "crosspex_fail")
load(":platforms.bzl", "PLATFORMS", "PYTHON_VERSIONS")
load(":providers.bzl", "PythonVersionInfo")

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
