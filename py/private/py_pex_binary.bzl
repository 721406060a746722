"""py_pex_binary: a PEX for the target platform, written by an exec-platform assembler."""

load("@crosspex_compat//:defs.bzl", "PY_INFOS")
load(":assembler_action.bzl", "ASSEMBLER_TOOLCHAIN", "run_assembler")
load(":errors.bzl", "crosspex_fail")
load(":pex_inputs.bzl", "check_wheels", "input_arg", "pex_inputs_aspect")
load(":pex_skeleton.bzl", "SHARED_SKELETON_OPTIONS", "TARGET_TOOLCHAIN", "write_skeleton")
load(":providers.bzl", "PexBinaryInfo", "PexInputsInfo")
load(":python_version.bzl", "PythonVersionInfo", "set_python_version")

def dep_files(ctx, deps):
    """Every file a PEX or virtualenv layer needs from `deps`, and their import roots.

    Each dependency's wheels come with their records and its installed trees as wheels, from
    pex_inputs_aspect's cached actions. Files listed directly are checked here.

    Args:
      ctx: the rule's context.
      deps: the targets of its `deps` and `data`.

    Returns:
      (depset of File, depset of import roots).
    """
    files = []
    imports = []
    direct_wheels = []
    for dep in deps:
        if PexInputsInfo in dep:
            files.append(dep[PexInputsInfo].files)
        else:
            for f in dep[DefaultInfo].files.to_list():
                if f.extension == "whl" and not f.is_directory:
                    direct_wheels.append(f)
            files.append(dep[DefaultInfo].files)
        for py_info in PY_INFOS:
            if py_info in dep:
                imports.append(dep[py_info].imports)
                break
    records = check_wheels(ctx, direct_wheels, ctx.label.name)
    return depset(records, transitive = files), depset(transitive = imports)

def manifest_target(ctx):
    """What a manifest says the target is, from `complete_platform` or the target toolchain.

    Args:
      ctx: the context of a rule with the content attributes and TARGET_TOOLCHAIN.

    Returns:
      (python_version, the target toolchain's PexTargetInfo, the manifest's `target`).
    """
    python_version = ctx.attr._python_version[PythonVersionInfo].version
    target_info = ctx.toolchains[TARGET_TOOLCHAIN].pex_target
    if not (ctx.file.complete_platform or target_info.spec):
        crosspex_fail(
            ctx.label,
            "the target platform is none crosspex knows, so it has no wheel tags for it",
            "set complete_platform on %s, or register a pex_target_toolchain for the platform" % ctx.label,
        )
    if ctx.file.complete_platform:
        target = {"complete_platform": ctx.file.complete_platform.path, "name": target_info.name}
    else:
        target = {"platform": target_info.spec, "python_version": python_version}
    return python_version, target_info, target

def _py_pex_binary_impl(ctx):
    if ctx.attr.main and ctx.attr.entry_point:
        crosspex_fail(ctx.label, "sets both main and entry_point", "keep one of them")
    if ctx.attr.interpreter_only and (ctx.attr.main or ctx.attr.entry_point):
        crosspex_fail(
            ctx.label,
            "sets interpreter_only and a main or entry_point",
            "drop interpreter_only to run the entry point, or the entry point for an interpreter",
        )
    if not (ctx.attr.main or ctx.attr.entry_point or ctx.attr.interpreter_only):
        crosspex_fail(
            ctx.label,
            "has neither main nor entry_point, so its PEX would start an interactive Python " +
            "prompt (and a job that runs it would wait forever)",
            "set main or entry_point, or interpreter_only = True for a PEX that is a Python " +
            "interpreter with the deps importable",
        )
    if ctx.attr.max_install_jobs < -1:
        crosspex_fail(
            ctx.label,
            "max_install_jobs = %d is no number of jobs" % ctx.attr.max_install_jobs,
            "set -1 (pex decides), 0 (one per core), 1 (one at a time) or more",
        )
    python_version, target_info, target = manifest_target(ctx)

    if ctx.attr.layout == "zipapp":
        output = ctx.actions.declare_file(ctx.label.name + ".pex")
    else:
        output = ctx.actions.declare_directory(ctx.label.name + ".pex")
    files, imports = dep_files(ctx, ctx.attr.deps + ctx.attr.data)
    inputs = depset(ctx.files.srcs + ctx.files.main, transitive = [files])

    options = {
        "python_shebang": ctx.attr.python_shebang or None,
        "interpreter_constraints": ctx.attr.interpreter_constraints,
        "inject_env": ctx.attr.inject_env,
        "inject_args": ctx.attr.inject_args,
        "inherit_path": ctx.attr.inherit_path,
        "compress": ctx.attr.compress,
        "strip_pex_env": ctx.attr.strip_pex_env,
        "layout": ctx.attr.layout,
        "execution_mode": ctx.attr.execution_mode,
        "sh_boot": ctx.attr.sh_boot,
        "pre_install_wheels": ctx.attr.pre_install_wheels,
        "max_install_jobs": ctx.attr.max_install_jobs,
    }
    manifest = ctx.actions.declare_file(ctx.label.name + ".pex_manifest.json")
    fields = {
        "output": output.path,
        "target": target,
        "workspace_name": ctx.workspace_name,
        "main": ctx.file.main.short_path if ctx.file.main else None,
        "entry_point": ctx.attr.entry_point or None,
    }
    fields.update(options)
    ctx.actions.write(manifest, json.encode(fields))

    target_files = [manifest] + ([ctx.file.complete_platform] if ctx.file.complete_platform else [])
    args = ctx.actions.args()
    args.add("build")
    args.add("--manifest", manifest)

    # pex writes packed, loose and pre-installed PEXes whole; any other zipapp is completed
    # from pex's skeleton.
    uses_pex = ctx.attr.layout != "zipapp" or ctx.attr.pre_install_wheels
    if not uses_pex:
        # pex's part of the zipapp depends on the options and the target Python only: written
        # once, then reused by every build after an edit, which then only copies bytes. With
        # the default options, one skeleton per configuration serves every target.
        if options == SHARED_SKELETON_OPTIONS and not ctx.file.complete_platform:
            (skeleton,) = ctx.files._default_skeleton
        else:
            skeleton = ctx.actions.declare_file(ctx.label.name + ".pex_skeleton")
            write_skeleton(
                ctx,
                manifest,
                list(target_files),
                skeleton,
                "Writing pex's bootstrap for %s" % output.short_path,
            )
        args.add("--skeleton", skeleton)
        target_files.append(skeleton)
    args.add_all(inputs, map_each = input_arg)
    args.add_all(imports, format_each = "--import-root=%s")

    run_assembler(
        ctx,
        args = args,
        inputs = depset(target_files, transitive = [inputs]),
        outputs = [output],
        mnemonic = "PexAssemble",
        progress_message = "Writing PEX %s for %s" % (output.short_path, target_info.name),
        uses_pex = uses_pex,
    )
    built_for = PexBinaryInfo(python_version = None if ctx.file.complete_platform else python_version)
    if ctx.attr.layout == "zipapp":
        return [DefaultInfo(files = depset([output]), executable = output), built_for]

    # A directory PEX runs through its __main__.py; Bazel needs a file to execute.
    launcher = ctx.actions.declare_file(ctx.label.name)
    ctx.actions.write(
        launcher,
        _LAUNCHER.format(pex = "%s/%s" % (ctx.workspace_name, output.short_path)),
        is_executable = True,
    )
    return [
        DefaultInfo(
            files = depset([output]),
            executable = launcher,
            runfiles = ctx.runfiles([output]),
        ),
        built_for,
    ]

_LAUNCHER = """\
#!/bin/sh
exec "$0.runfiles/{pex}/__main__.py" "$@"
"""

# What goes into a PEX or a virtualenv layer, for which target: py_pex_binary and
# py_venv_layer share these attributes, and the meaning of each.
PEX_CONTENT_ATTRS = {
    "srcs": attr.label_list(allow_files = [".py"], doc = "First-party Python files of the binary itself."),
    "main": attr.label(
        allow_single_file = [".py"],
        doc = "The file run as `__main__`; it goes into the PEX at its runfiles path, whether or not `srcs` or a dependency list it. Excludes `entry_point`.",
    ),
    "entry_point": attr.string(doc = "`module` or `module:function` to run, as pex's --entry-point. Excludes `main`."),
    "deps": attr.label_list(
        # Any target: py_library and pex_wheel targets, plain .whl files, filegroups of wheels.
        allow_files = True,
        aspects = [pex_inputs_aspect],
        doc = "py_library targets, pex_wheel targets, .whl files, and installed wheel trees (rules_python, pycross).",
    ),
    "data": attr.label_list(allow_files = True, aspects = [pex_inputs_aspect], doc = "Other files placed in the PEX at their runfiles paths."),
    "python_version": attr.string(
        doc = "Target CPython version, MAJOR.MINOR: sets `@crosspex//py/config:python_version` " +
              "for the deps (which wheels are selected) and picks wheel tags, markers, shebang " +
              "and interpreter constraints. Empty: the flag's value (default 3.11).",
    ),
    "complete_platform": attr.label(
        allow_single_file = [".json"],
        doc = "A pex complete-platform JSON file (`pex3 interpreter inspect --markers --tags`); replaces the target toolchain's description and `python_version`.",
    ),
    "_python_version": attr.label(default = Label("//py/config:python_version")),
    "_allowlist_function_transition": attr.label(
        default = "@bazel_tools//tools/allowlists/function_transition_allowlist",
    ),
}

PY_PEX_BINARY_ATTRS = dict(PEX_CONTENT_ATTRS, **{
    "interpreter_only": attr.bool(
        doc = "A PEX with neither `main` nor `entry_point`: it starts a Python interpreter " +
              "with the deps importable (`app.pex script.py`, or a prompt). Without it, a " +
              "binary with neither fails the build.",
    ),
    "python_shebang": attr.string(doc = "The PEX's shebang; default `#!/usr/bin/env pythonX.Y` for the target version."),
    "interpreter_constraints": attr.string_list(
        doc = "pex interpreter constraints; default `CPython==X.Y.*` for the target version. " +
              "`{major}`, `{minor}` and `{patch}` are replaced by the target version's parts.",
    ),
    "inject_env": attr.string_dict(doc = "Environment variables the PEX sets when it starts (pex --inject-env)."),
    "inject_args": attr.string_list(doc = "Arguments passed to the entry point before the user's (pex --inject-args)."),
    "inherit_path": attr.string(
        default = "false",
        values = ["false", "fallback", "prefer"],
        doc = "Whether the PEX sees the interpreter's site-packages (pex --inherit-path).",
    ),
    "compress": attr.bool(default = True, doc = "Deflate first-party files and pex's bootstrap; wheels are stored as they are."),
    "strip_pex_env": attr.bool(default = True, doc = "Remove PEX_* variables from the environment of the running app."),
    "layout": attr.string(
        default = "zipapp",
        values = ["zipapp", "packed", "loose"],
        doc = "`zipapp`: one `<name>.pex` file. `packed`: a `<name>.pex` directory whose wheels " +
              "each stay a file of their own, so caches and rsync reuse them. `loose`: a plain " +
              "directory tree. A zipapp that CPython before 3.13 cannot import (over 65535 " +
              "entries or 2 GiB) fails the build.",
    ),
    "execution_mode": attr.string(
        default = "zipapp",
        values = ["zipapp", "venv"],
        doc = "`venv`: on its first run the PEX installs itself as a virtualenv in PEX_ROOT, " +
              "and later runs start from it (pex --venv).",
    ),
    "sh_boot": attr.bool(
        doc = "Start through /bin/sh, which finds the interpreter and runs a warm PEX_ROOT " +
              "install directly (pex --sh-boot).",
    ),
    "pre_install_wheels": attr.bool(
        doc = "Install each wheel at build time and embed the installed tree, as pex does by " +
              "default, instead of embedding the `.whl` file to be installed on first run. " +
              "Slower builds (every wheel is unpacked and zipped again, in the PEX action) " +
              "and far more zip entries; see docs/performance.md for what each costs.",
    ),
    "max_install_jobs": attr.int(
        default = -1,
        doc = "How many wheels the PEX installs at once on its first run (pex's " +
              "max_install_jobs): `1` one at a time, `N` in N processes, `0` one per core, " +
              "`-1` pex decides from the wheels' sizes (in parallel when they average 1 MB " +
              "or more). Chosen by measurement: see docs/performance.md.",
    ),
    "_default_skeleton": attr.label(default = Label("//py/private:default_skeleton")),
})

py_pex_binary = rule(
    implementation = _py_pex_binary_impl,
    attrs = PY_PEX_BINARY_ATTRS,
    executable = True,
    cfg = set_python_version,
    toolchains = [ASSEMBLER_TOOLCHAIN, TARGET_TOOLCHAIN],
    doc = """Builds `<name>.pex` for the target platform (`--platforms`) from sources and wheels.

The target platform only selects wheels: the assembler runs on the exec platform and never
runs anything built for the target. Every wheel is checked against the target's tags.""",
)
