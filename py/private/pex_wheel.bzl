"""pex_wheel: one .whl file, and the wheels it depends on."""

load("@crosspex_compat//:defs.bzl", "PY_INFOS")
load(":pex_inputs.bzl", "check_wheels")
load(":providers.bzl", "PexWheelInfo")
load(":toolchain_types.bzl", "ASSEMBLER_TOOLCHAIN")

def _pex_wheel_impl(ctx):
    # Checked once here (RECORD hashes, entries, metadata), in an action Bazel caches: a PEX
    # build then reads the record instead of the whole wheel again.
    (record,) = check_wheels(ctx, [ctx.file.whl], ctx.label.name)
    transitive = depset(
        [ctx.file.whl, record],
        transitive = [dep[PexWheelInfo].transitive_wheels for dep in ctx.attr.deps],
    )
    return [
        DefaultInfo(
            files = depset([ctx.file.whl]),
            runfiles = ctx.runfiles(transitive_files = transitive),
        ),
        PexWheelInfo(wheel = ctx.file.whl, record = record, transitive_wheels = transitive),
    ] + [
        # Lets any py_library list the wheel in its deps (Bazel's native one requires the
        # builtin PyInfo, rules_python's its own); the wheel reaches a PEX through runfiles.
        py_info(transitive_sources = depset())
        for py_info in PY_INFOS
    ]

pex_wheel = rule(
    implementation = _pex_wheel_impl,
    doc = """Imports one wheel file for use in `py_pex_binary` (directly or through `py_library` deps).

The wheel must be built for the platform it is selected for; crosspex checks its tags
against the target when the PEX is built.""",
    attrs = {
        "whl": attr.label(mandatory = True, allow_single_file = [".whl"], doc = "The .whl file."),
        "deps": attr.label_list(providers = [PexWheelInfo], doc = "Wheels this wheel requires on the same platform."),
    },
    provides = [PexWheelInfo],
    toolchains = [ASSEMBLER_TOOLCHAIN],
)
