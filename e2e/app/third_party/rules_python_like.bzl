"""A wheel repository laid out the way rules_python's whl_library lays it out (0.10+).

So that the example needs no rules_python pip hub, it lays the repository out here: the wheel
installed under `site-packages/` with its `*.dist-info` (RECORD kept, as rules_python 2.1+
keeps it), a `:pkg` py_library with `imports = ["site-packages"]`, and a `:whl` filegroup
whose runfiles carry its deps' wheels. A real rules_python hub (0.22.1, Bazel 7.7.1) is built
in tests/e2e/test_rules_python_hub.py.
"""

_BUILD = """\
load("@rules_python//python:defs.bzl", "py_library")

package(default_visibility = ["//visibility:public"])

py_library(
    name = "pkg",
    srcs = glob(["site-packages/**/*.py"]),
    data = glob(["site-packages/**"], exclude = ["site-packages/**/*.py"]),
    imports = ["site-packages"],
    deps = {pkg_deps},
)

filegroup(
    name = "whl",
    srcs = ["{wheel}"],
    data = {whl_deps},
)

filegroup(
    name = "dist_info",
    srcs = glob(["site-packages/*.dist-info/**"]),
)
"""

def _installed_wheel_impl(rctx):
    wheel = rctx.path(rctx.attr.wheel)
    rctx.symlink(wheel, wheel.basename)
    rctx.symlink(wheel, "wheel.zip")
    rctx.extract("wheel.zip", output = "site-packages")
    rctx.delete("wheel.zip")
    rctx.file("BUILD.bazel", _BUILD.format(
        wheel = wheel.basename,
        pkg_deps = repr(["@%s//:pkg" % d for d in rctx.attr.deps]),
        whl_deps = repr(["@%s//:whl" % d for d in rctx.attr.deps]),
    ))

installed_wheel = repository_rule(
    implementation = _installed_wheel_impl,
    attrs = {
        "wheel": attr.label(mandatory = True, allow_single_file = [".whl"]),
        "deps": attr.string_list(doc = "Names of the installed_wheel repositories it requires."),
    },
)
