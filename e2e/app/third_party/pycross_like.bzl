"""Rules shaped like rules_pycross v1's, so that the example needs no rules_pycross.

`pycross_wheel` returns a provider with a `wheel_file` field (pycross' PycrossWheelInfo);
`pycross_wheel_library` installs a wheel into a `site-packages` directory artifact and returns
PyInfo with that tree, as pycross does. crosspex knows neither provider: it takes the wheel
from the target's files and the tree from PyInfo.
"""

load("@rules_python//python:defs.bzl", "PyInfo")

PycrossWheelInfo = provider(
    doc = "Shaped like pycross' provider of the same name.",
    fields = ["wheel_file", "name_file"],
)

def _pycross_wheel_impl(ctx):
    return [
        PycrossWheelInfo(wheel_file = ctx.file.wheel, name_file = None),
        DefaultInfo(files = depset([ctx.file.wheel])),
    ]

pycross_wheel = rule(
    implementation = _pycross_wheel_impl,
    attrs = {"wheel": attr.label(mandatory = True, allow_single_file = [".whl"])},
)

_EXTRACT = "import sys, zipfile; zipfile.ZipFile(sys.argv[1]).extractall(sys.argv[2])"

def _pycross_wheel_library_impl(ctx):
    tree = ctx.actions.declare_directory(ctx.label.name + "/site-packages")
    python = ctx.toolchains["@crosspex//py/toolchains:assembler_toolchain_type"].pex_assembler
    ctx.actions.run(
        executable = python.interpreter_path,
        arguments = ["-c", _EXTRACT, ctx.file.wheel.path, tree.path],
        inputs = [ctx.file.wheel],
        outputs = [tree],
        mnemonic = "PycrossInstall",
    )
    workspace = ctx.label.workspace_name or ctx.workspace_name
    site = "/".join([p for p in [workspace, ctx.label.package, ctx.label.name, "site-packages"] if p])
    return [
        DefaultInfo(files = depset([tree])),
        PyInfo(
            transitive_sources = depset([tree], transitive = [d[PyInfo].transitive_sources for d in ctx.attr.deps]),
            imports = depset([site], transitive = [d[PyInfo].imports for d in ctx.attr.deps]),
        ),
    ]

pycross_wheel_library = rule(
    implementation = _pycross_wheel_library_impl,
    attrs = {
        "wheel": attr.label(mandatory = True, allow_single_file = [".whl"]),
        "deps": attr.label_list(providers = [PyInfo]),
    },
    toolchains = ["@crosspex//py/toolchains:assembler_toolchain_type"],
)
