"""The platforms and Python versions of a lock and of its wheel repository.

`pip_lock` and `pip_wheels` take the same two attributes, with the same meaning: give them
the same values.
"""

load(":platforms.bzl", "DEFAULT_PYTHON_VERSION")

WHEEL_TARGET_ATTRS = {
    "platforms": attr.string_list(
        mandatory = True,
        doc = "Names of @crosspex//py/platforms platforms: every package needs a wheel for each.",
    ),
    "python_versions": attr.string_list(
        default = [DEFAULT_PYTHON_VERSION],
        doc = "Target CPython versions, MAJOR.MINOR: every package needs a wheel for each; " +
              "the `@crosspex//py/config:python_version` flag selects among them.",
    ),
}
