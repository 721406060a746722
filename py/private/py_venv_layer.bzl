"""py_venv_layer: a virtualenv for the target platform as a tar layer, for container images."""

load(":assembler_action.bzl", "run_assembler")
load(":attributes.bzl", "PEX_CONTENT_ATTRS")
load(":errors.bzl", "crosspex_fail")
load(":pex_inputs.bzl", "input_arg", "installable_parts")
load(":rule_helpers.bzl", "built_for", "check_entry_point", "dep_files", "manifest_target", "write_manifest")
load(":toolchain_types.bzl", "ASSEMBLER_TOOLCHAIN", "TARGET_TOOLCHAIN")
load(":transitions.bzl", "set_python_version")

# The layers every virtualenv has: its other distributions, then its own part.
_DEPS = "deps"
_APP = "app"

def _absolute(ctx, name, value):
    parts = value.split("/")
    if not value.startswith("/") or "" in parts[1:] or "." in parts or ".." in parts:
        crosspex_fail(
            ctx.label,
            "%s %r is not an absolute, normalised path" % (name, value),
            "give the path it has in the image, e.g. /opt/venv or /usr/bin/python3.11",
        )

def _normalized(name):
    return name.lower().replace("-", "_").replace(".", "_")

def _matches(pattern, name):
    """Whether `name` matches `pattern`, where `*` stands for any run of characters."""
    parts = pattern.split("*")
    if len(parts) == 1:
        return name == pattern
    if len(name) < len(parts[0]) + len(parts[-1]):
        return False
    if not (name.startswith(parts[0]) and name.endswith(parts[-1])):
        return False
    position, end = len(parts[0]), len(name) - len(parts[-1])
    for part in parts[1:-1]:
        found = name.find(part, position, end)
        if found < 0:
            return False
        position = found + len(part)
    return True

def _group_of(ctx, part):
    """The layer group a wheel goes into by its distribution name; installed trees: deps."""
    if part.is_directory:
        return _DEPS
    project = _normalized(part.basename.split("-")[0])
    for group, patterns in ctx.attr.layer_groups.items():
        for pattern in patterns:
            if _matches(_normalized(pattern), project):
                return group
    return _DEPS

def _install(ctx, part, record, python_version, bytecode):
    """Declares the PexVenvInstall of one wheel (or directory of wheels) at the prefix."""
    name = part.basename if not part.is_directory else part.short_path.replace("/", "_")
    output = ctx.actions.declare_file("%s.venv/%s.tar" % (ctx.label.name, name))
    files = ctx.actions.declare_file("%s.venv/%s.files.json" % (ctx.label.name, name))
    args = ctx.actions.args()
    args.add("venv-install")
    args.add("--prefix", ctx.attr.prefix)
    args.add("--python-version", python_version)
    if bytecode:
        args.add("--bytecode-interpreter", bytecode)
        args.add("--invalidation-mode", ctx.attr.precompile_invalidation_mode)
    args.add("--wheel", part.path)
    args.add("--output", output)
    args.add("--files", files)
    run_assembler(
        ctx,
        # The record: the wheel passed its check before it is installed.
        args = args,
        inputs = depset([part] + ([record] if record else [])),
        outputs = [output, files],
        mnemonic = "PexVenvInstall",
        progress_message = "Installing %s at %s" % (part.basename, ctx.attr.prefix),
        uses_pex = False,
    )
    return output, files

def _merge(ctx, parts, output, mnemonic, progress_message):
    args = ctx.actions.args()
    args.add("venv-merge")
    args.add("--prefix", ctx.attr.prefix)
    args.add_all(parts, format_each = "--part=%s")
    args.add("--output", output)
    run_assembler(
        ctx,
        args = args,
        inputs = depset(parts),
        outputs = [output],
        mnemonic = mnemonic,
        progress_message = progress_message,
        uses_pex = False,
    )

def _py_venv_layer_impl(ctx):
    check_entry_point(ctx)
    python_version, target_info, target = manifest_target(ctx)
    interpreter = ctx.attr.interpreter or "/usr/bin/python" + python_version
    _absolute(ctx, "prefix", ctx.attr.prefix)
    _absolute(ctx, "interpreter", interpreter)
    for group in ctx.attr.layer_groups:
        if group in (_DEPS, _APP) or not group.replace("_", "").replace("-", "").isalnum():
            crosspex_fail(
                ctx.label,
                "layer_groups names a group %r: a group is named by letters, digits, - and _, " % group +
                "and not %s or %s, the layers every virtualenv has" % (_DEPS, _APP),
                "rename the group",
            )

    files, imports = dep_files(ctx, ctx.attr.deps + ctx.attr.data)
    inputs = depset(ctx.files.srcs + ctx.files.main, transitive = [files])
    layer = {"prefix": ctx.attr.prefix, "interpreter": interpreter, "name": ctx.label.name}
    bytecode = None
    if ctx.attr.precompile:
        assembler = ctx.toolchains[ASSEMBLER_TOOLCHAIN].pex_assembler
        bytecode = assembler.bytecode_interpreters.get(python_version)
        if not bytecode:
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
            bytecode_interpreter = bytecode,
            invalidation_mode = ctx.attr.precompile_invalidation_mode,
        )

    # Each wheel installed in an action of its own, which a first-party edit or another
    # wheel's change leaves alone (so the depset is flattened here, to declare them).
    grouped = {group: [] for group in ctx.attr.layer_groups}
    grouped[_DEPS] = []
    listed = []
    for part, record in installable_parts(inputs.to_list()):
        tar, listing = _install(ctx, part, record, python_version, bytecode)
        grouped[_group_of(ctx, part)].append(tar)
        listed.append(listing)
    tars = []
    for group, parts in grouped.items():
        if not parts and group != _DEPS:
            crosspex_fail(
                ctx.label,
                "layer_groups[%r] matches none of the wheels (%s)" % (group, ctx.attr.layer_groups[group]),
                "match a wheel's distribution name, e.g. \"torch\" or \"nvidia_*\", or drop " +
                "the group (installed trees, as rules_python's, go into deps: their names are " +
                "only known when they are packed)",
            )
        tar = ctx.actions.declare_file("%s.%s.tar" % (ctx.label.name, group))
        _merge(ctx, parts, tar, "PexVenvGroup", "Writing layer %s" % tar.short_path)
        tars.append(tar)

    app = ctx.actions.declare_file("%s.%s.tar" % (ctx.label.name, _APP))
    manifest = write_manifest(ctx, "venv", app, target, layer)
    args = ctx.actions.args()
    args.add("venv-layer")
    args.add("--manifest", manifest)
    args.add("--app-only")
    args.add_all(listed, format_each = "--installed=%s")
    args.add_all(inputs, map_each = input_arg)
    args.add_all(imports, format_each = "--import-root=%s")
    run_assembler(
        ctx,
        args = args,
        inputs = depset([manifest] + ctx.files.complete_platform + listed, transitive = [inputs]),
        outputs = [app],
        mnemonic = "PexVenvLayer",
        progress_message = "Writing virtualenv layer %s for %s" % (app.short_path, target_info.name),
        uses_pex = False,
    )
    tars.append(app)

    single = ctx.actions.declare_file(ctx.label.name + ".tar")
    _merge(ctx, tars, single, "PexVenvMerge", "Writing virtualenv layer %s" % single.short_path)
    return [
        DefaultInfo(files = depset(tars)),
        OutputGroupInfo(single_tar = depset([single])),
        built_for(ctx, python_version),
    ]

py_venv_layer = rule(
    implementation = _py_venv_layer_impl,
    attrs = dict(
        PEX_CONTENT_ATTRS,
        prefix = attr.string(
            default = "/opt/venv",
            doc = "The virtualenv's absolute path in the image.",
        ),
        layer_groups = attr.string_list_dict(
            doc = "Tars of their own for some distributions, as rules_py's `py_image_layer` " +
                  "groups them: group name -> distribution names, where `*` stands for " +
                  "any characters (`{\"torch\": [\"torch\", \"nvidia_*\", \"triton\"]}`), " +
                  "compared with `-`, `_` and `.` alike and case ignored. A wheel goes into " +
                  "the first group that names it; each group must name one.",
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
    doc = """Builds a virtualenv for the target platform (`--platforms`) as container image
layers, from the same sources and wheels as a `py_pex_binary`.

The default outputs are tars to unpack in this order over one root (rules_oci's
`oci_image(tars = [...])`, rules_pkg's `pkg_tar(deps = [...])`): `<name>.<group>.tar` for
each of `layer_groups`, in its order; `<name>.deps.tar`, every other distribution; and
`<name>.app.tar`, the virtualenv's own part: `pyvenv.cfg`, `bin/python*` links to
`interpreter`, the first-party files in `site-packages`, and `bin/<name>` running `main` or
`entry_point`. Each wheel is installed at `prefix` (by its scheme and RECORD, console and GUI
scripts in `bin/`; with `precompile`, each module's .pyc) in a cached action of its own, so
an edit of a first-party file rewrites the app tar alone, and a new release of one
distribution its group's tar and the app tar. The output group `single_tar` is
`<name>.tar`: the same virtualenv in one tar.

Nothing is installed when the container starts. Each tar holds `prefix` and what is below
it, never its ancestors (the base image's `/opt`, `/tmp`, with their modes). The tars are
deterministic: sorted members, mtime 0, owner 0:0 without names, modes 0755 or 0644. Every
wheel is checked against the target's tags, as for a PEX; Windows targets fail (a POSIX
virtualenv only).""",
)
