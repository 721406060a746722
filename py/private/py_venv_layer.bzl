"""py_venv_layer: a virtualenv for the target platform as a tar layer, for container images."""

load(":assembler_action.bzl", "run_assembler")
load(":attributes.bzl", "PEX_CONTENT_ATTRS")
load(":errors.bzl", "crosspex_fail")
load(":pex_inputs.bzl", "input_arg")
load(":rule_helpers.bzl", "built_for", "check_entry_point", "dep_files", "manifest_target", "write_manifest")
load(":toolchain_types.bzl", "ASSEMBLER_TOOLCHAIN", "TARGET_TOOLCHAIN")
load(":transitions.bzl", "set_python_version")

def _absolute(ctx, name, value):
    parts = value.split("/")
    if not value.startswith("/") or "" in parts[1:] or "." in parts or ".." in parts:
        crosspex_fail(
            ctx.label,
            "%s %r is not an absolute, normalised path" % (name, value),
            "give the path it has in the image, e.g. /opt/venv or /usr/bin/python3.11",
        )

def _py_venv_layer_impl(ctx):
    check_entry_point(ctx)
    python_version, target_info, target = manifest_target(ctx)
    interpreter = ctx.attr.interpreter or "/usr/bin/python" + python_version
    _absolute(ctx, "prefix", ctx.attr.prefix)
    _absolute(ctx, "interpreter", interpreter)

    output = ctx.actions.declare_file(ctx.label.name + ".tar")
    files, imports = dep_files(ctx, ctx.attr.deps + ctx.attr.data)
    inputs = depset(ctx.files.srcs + ctx.files.main, transitive = [files])
    layer = {"prefix": ctx.attr.prefix, "interpreter": interpreter, "name": ctx.label.name}
    if ctx.attr.precompile:
        assembler = ctx.toolchains[ASSEMBLER_TOOLCHAIN].pex_assembler
        bytecode_interpreter = assembler.bytecode_interpreters.get(python_version)
        if not bytecode_interpreter:
            crosspex_fail(
                ctx.label,
                "precompile needs a CPython %s on the exec platform, and the assembler toolchain %s has none (bytecode_interpreters: %s)" % (
                    python_version,
                    assembler.toolchain_label,
                    assembler.bytecode_interpreters,
                ),
                "put python%s on PATH when Bazel fetches @crosspex_exec_python, or register a pex_assembler_toolchain with bytecode_interpreters = {\"%s\": \"/path/to/python%s\"}; or set precompile = False" % (
                    python_version,
                    python_version,
                    python_version,
                ),
            )
        layer.update(
            bytecode_interpreter = bytecode_interpreter,
            invalidation_mode = ctx.attr.precompile_invalidation_mode,
        )
    manifest = write_manifest(ctx, "venv", output, target, layer)
    args = ctx.actions.args()
    args.add("venv-layer")
    args.add("--manifest", manifest)
    args.add_all(inputs, map_each = input_arg)
    args.add_all(imports, format_each = "--import-root=%s")
    run_assembler(
        ctx,
        args = args,
        inputs = depset([manifest] + ctx.files.complete_platform, transitive = [inputs]),
        outputs = [output],
        mnemonic = "PexVenvLayer",
        progress_message = "Writing virtualenv layer %s for %s" % (output.short_path, target_info.name),
        uses_pex = False,
    )
    return [DefaultInfo(files = depset([output])), built_for(ctx, python_version)]

py_venv_layer = rule(
    implementation = _py_venv_layer_impl,
    attrs = dict(
        PEX_CONTENT_ATTRS,
        prefix = attr.string(
            default = "/opt/venv",
            doc = "The virtualenv's absolute path in the image.",
        ),
        interpreter = attr.string(
            doc = "The absolute path of the image's CPython; empty: `/usr/bin/pythonX.Y` for " +
                  "the target version.",
        ),
        precompile = attr.bool(
            doc = "Ship each module's .pyc (`__pycache__/*.cpython-XY.pyc`, in the RECORDs), " +
                  "written by the assembler toolchain's `bytecode_interpreters` entry for the " +
                  "target version, so that a fresh container compiles nothing, even on a " +
                  "read-only root. The build fails if the toolchain has no such interpreter.",
        ),
        precompile_invalidation_mode = attr.string(
            default = "checked_hash",
            values = ["checked_hash", "unchecked_hash"],
            doc = "How the .pyc are checked against their source (PEP 552): `checked_hash` " +
                  "hashes the source at each import, so an edited source is recompiled; " +
                  "`unchecked_hash` trusts the .pyc, for images whose sources never change.",
        ),
    ),
    cfg = set_python_version,
    toolchains = [ASSEMBLER_TOOLCHAIN, TARGET_TOOLCHAIN],
    doc = """Builds `<name>.tar`: a virtualenv for the target platform (`--platforms`) as a
container image layer, from the same sources and wheels as a `py_pex_binary`.

The layer holds `prefix/` as a virtualenv: `pyvenv.cfg`, `bin/python*` links to
`interpreter`, every wheel installed by its scheme and RECORD (console and GUI scripts in
`bin/`), the first-party files in `site-packages`, and `bin/<name>` running `main` or
`entry_point`; with `precompile`, each module's .pyc. Nothing is installed when the
container starts. The tar is deterministic: sorted members, mtime 0, owner 0:0 without names,
modes 0755 or 0644. Every wheel is checked against the target's tags, as for a PEX; Windows
targets fail (a POSIX virtualenv only).""",
)
