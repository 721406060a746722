"""py_pex_binary: a PEX for the target platform, written by an exec-platform assembler."""

load(":assembler_action.bzl", "run_assembler")
load(":attributes.bzl", "PEX_CONTENT_ATTRS", "content_deps")
load(":errors.bzl", "crosspex_fail")
load(":pex_inputs.bzl", "input_arg", "installable_parts")
load(":pex_options.bzl", "DEFAULT_PEX_OPTIONS", "PEX_OPTION_ATTRS", "pex_options")
load(":providers.bzl", "PexTargetInfo", "PythonVersionInfo")
load(":rule_helpers.bzl", "built_for", "check_entry_point", "dep_files", "manifest_target", "write_manifest", "write_skeleton")
load(":toolchain_types.bzl", "ASSEMBLER_TOOLCHAIN", "TARGET_TOOLCHAIN")
load(":transitions.bzl", "POOL", "set_python_version", "to_targets")

def _input_value(f):
    return "%s=%s" % (f.short_path, f.path)

def _branch_inputs(ctx, key, args):
    """Adds the files and import roots the deps built for target `key` bring; returns them."""
    files, imports = dep_files(
        ctx,
        ctx.split_attr.deps.get(key, []) + ctx.split_attr.data.get(key, []),
        "%s/%s" % (ctx.label.name, key),
    )
    args.add_all(files, map_each = _input_value, format_each = "--target-input=" + key + "=%s")
    args.add_all(imports, format_each = "--target-import-root=" + key + "=%s")
    return files

def _branch_target(ctx, key):
    """The manifest's description of target `key`, from its own configuration."""
    description = ctx.split_attr._target_description[key]
    target_info = description[PexTargetInfo]
    if not target_info.spec:
        crosspex_fail(
            ctx.label,
            "lists a platform crosspex knows no wheel tags for (%s)" % target_info.name,
            "register a pex_target_toolchain for it, or drop it from platforms",
        )
    return {
        "key": key,
        "platform": target_info.spec,
        "python_version": description[PythonVersionInfo].version,
    }

def _twice(names):
    """The first name that `names` lists twice, or None."""
    seen = {}
    for name in names:
        if name in seen:
            return name
        seen[name] = True
    return None

def _complete_platform_target(f):
    """The manifest's description of a complete platform: it chooses from the shared deps."""
    key = f.basename[:-len(".json")]
    return {"key": key, "complete_platform": f.path, "name": key, "inputs_of": POOL}

def _targets(ctx):
    """Checks a PEX for several targets' attributes; returns its targets and deps' builds.

    Returns:
      (the manifest's targets, the keys of the deps' builds they take inputs from).
    """
    if ctx.attr.python_version or ctx.file.complete_platform:
        crosspex_fail(
            ctx.label,
            "sets platforms or complete_platforms, and %s: a PEX for several targets takes " %
            ("python_version" if ctx.attr.python_version else "complete_platform") +
            "its Python versions from python_versions and its targets from platforms and " +
            "complete_platforms",
            "list the versions in python_versions and the files in complete_platforms, or " +
            "build a PEX of one target",
        )
    for kind, names in [
        ("platforms", [p.label.name for p in ctx.attr.platforms]),
        ("python_versions", ctx.attr.python_versions),
    ]:
        twice = _twice(names)
        if twice:
            crosspex_fail(
                ctx.label,
                "lists %s twice in %s: each platform's name and version name a target" %
                (twice, kind),
                "list each once, and each platform under a name of its own",
            )
    keys = sorted([k for k in ctx.split_attr._target_description if k != POOL])
    targets = [_branch_target(ctx, key) for key in keys]
    targets += [_complete_platform_target(f) for f in ctx.files.complete_platforms]
    twice = _twice([t["key"] for t in targets])
    if twice:
        crosspex_fail(
            ctx.label,
            "has two targets named %s: each complete platform is named after its file" % twice,
            "rename one of the files",
        )
    return targets, keys + ([POOL] if ctx.files.complete_platforms else [])

def _install_wheels(ctx, part, record):
    """Declares the PexInstallWheels action of one wheel (or directory of wheels).

    The wheel is installed as pex installs it and zipped as its entries in the PEX, once per
    wheel and compression.
    """
    name = part.basename if not part.is_directory else part.short_path.replace("/", "_")
    output = ctx.actions.declare_file("%s.pex_installed/%s.zip" % (ctx.label.name, name))
    args = ctx.actions.args()
    args.add("install-wheels")
    args.add("--wheel", part.path)
    args.add("--output", output)
    if not ctx.attr.compress:
        args.add("--no-compress")
    run_assembler(
        ctx,
        args = args,
        # The record: the wheel passed its check before pex reads it.
        inputs = depset([part] + ([record] if record else [])),
        outputs = [output],
        mnemonic = "PexInstallWheels",
        progress_message = "Installing %s for %s" % (part.basename, ctx.label),
    )
    return output

def _py_pex_binary_impl(ctx):
    check_entry_point(ctx)
    if ctx.attr.python_versions and not ctx.attr.platforms:
        crosspex_fail(
            ctx.label,
            "sets python_versions without platforms: it lists the versions each of platforms " +
            "is built for, and a complete platform names its own",
            "list platforms, or drop python_versions",
        )
    if ctx.attr.interpreter_only and (ctx.attr.main or ctx.attr.entry_point or ctx.attr.script):
        crosspex_fail(
            ctx.label,
            "sets interpreter_only and a main, entry_point or script",
            "drop interpreter_only to run the entry point, or the entry point for an interpreter",
        )
    if not (ctx.attr.main or ctx.attr.entry_point or ctx.attr.script or ctx.attr.interpreter_only):
        crosspex_fail(
            ctx.label,
            "has neither main nor entry_point nor script, so its PEX would start an " +
            "interactive Python prompt (and a job that runs it would wait forever)",
            "set main, entry_point or script, or interpreter_only = True for a PEX that is a " +
            "Python interpreter with the deps importable",
        )
    if ctx.attr.max_install_jobs < -1:
        crosspex_fail(
            ctx.label,
            "max_install_jobs = %d is no number of jobs" % ctx.attr.max_install_jobs,
            "set -1 (pex decides), 0 (one per core), 1 (one at a time) or more",
        )
    if ctx.attr.layout == "zipapp":
        output = ctx.actions.declare_file(ctx.label.name + ".pex")
    else:
        output = ctx.actions.declare_directory(ctx.label.name + ".pex")
    options = pex_options(ctx)
    args = ctx.actions.args()
    args.add("build")
    if ctx.attr.platforms or ctx.attr.complete_platforms:
        python_version = None
        targets, built = _targets(ctx)
        several = [t["key"] for t in targets]
        target_names = ", ".join(several)
        inputs = depset(ctx.files.srcs + ctx.files.main, transitive = [
            _branch_inputs(ctx, key, args)
            for key in built
        ])
        manifest = write_manifest(ctx, "pex", output, None, dict(options, targets = targets))
    else:
        python_version, target_info, target = manifest_target(ctx)
        several = []
        target_names = target_info.name
        files, imports = dep_files(ctx, ctx.attr.deps + ctx.attr.data)
        inputs = depset(ctx.files.srcs + ctx.files.main, transitive = [files])
        args.add_all(imports, format_each = "--import-root=%s")
        manifest = write_manifest(ctx, "pex", output, target, options)

    target_files = [manifest] + ctx.files.complete_platform + ctx.files.complete_platforms
    args.add("--manifest", manifest)

    # pex writes packed and loose PEXes whole; a zipapp is completed from pex's skeleton.
    uses_pex = ctx.attr.layout != "zipapp"
    if not uses_pex:
        # pex's part of the zipapp depends on the options and the target Python only: written
        # once, then reused by every build after an edit, which then only copies bytes. With
        # the default options, one skeleton per configuration serves every target.
        if options == DEFAULT_PEX_OPTIONS and not (target_files[1:] or ctx.attr.platforms):
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
    if not uses_pex and ctx.attr.pre_install_wheels and python_version != None:
        # Each wheel installed in an action of its own, which an edit to the app or another
        # wheel's change leaves alone (so the depset is flattened here, to declare them).
        for part, record in installable_parts(inputs.to_list()):
            installed = _install_wheels(ctx, part, record)
            args.add("--installed", installed)
            target_files.append(installed)
    args.add_all(depset(ctx.files.srcs + ctx.files.main) if python_version == None else inputs, map_each = input_arg)

    run_assembler(
        ctx,
        args = args,
        inputs = depset(target_files, transitive = [inputs]),
        outputs = [output],
        mnemonic = "PexAssemble",
        progress_message = "Writing PEX %s for %s" % (output.short_path, target_names),
        uses_pex = uses_pex,
    )
    info = built_for(ctx, python_version, several)
    if ctx.attr.layout == "zipapp":
        return [DefaultInfo(files = depset([output]), executable = output), info]

    # A directory PEX runs through its __main__.py; Bazel needs a file to execute.
    launcher = ctx.actions.declare_file(ctx.label.name)
    ctx.actions.expand_template(
        template = ctx.file._launcher_template,
        output = launcher,
        substitutions = {"{PEX}": "%s/%s" % (ctx.workspace_name, output.short_path)},
        is_executable = True,
    )
    return [
        DefaultInfo(
            files = depset([output]),
            executable = launcher,
            runfiles = ctx.runfiles([output]),
        ),
        info,
    ]

PY_PEX_BINARY_ATTRS = dict(PEX_CONTENT_ATTRS, **dict(content_deps(to_targets), **dict(PEX_OPTION_ATTRS, **{
    "platforms": attr.label_list(
        doc = "Target platforms of one PEX for all of them, as pex's repeated `--platform`: " +
              "`deps` and `data` are built for each (and each of `python_versions`), and the " +
              "PEX holds every one's wheels, each file once, with requirements whose markers " +
              "pick each platform's own when it boots. First-party files must be the same for " +
              "every one. A zipapp of embedded wheels only. Empty, with no " +
              "`complete_platforms`: one PEX for the platform in force.",
    ),
    "complete_platforms": attr.label_list(
        allow_files = [".json"],
        doc = "pex complete-platform JSON files (`pex3 interpreter inspect --markers " +
              "--tags`), as pex's repeated `--complete-platform`: more targets of one PEX, " +
              "for platforms crosspex ships no description of. Each is named after its file. " +
              "Their `deps` are built once, in the binary's configuration, and each takes " +
              "from them the wheel of each project that fits it best, as pex does from a " +
              "`--find-links` directory: list every platform's wheel files. Excludes " +
              "`complete_platform`.",
    ),
    "python_versions": attr.string_list(
        doc = "With `platforms`: the CPython versions (MAJOR.MINOR) to build each for; " +
              "empty: the version in force. Excludes `python_version`.",
    ),
    "_target_description": attr.label(
        default = Label("//py/private:target_description"),
        cfg = to_targets,
    ),
    "interpreter_only": attr.bool(
        doc = "A PEX with neither `main` nor `entry_point`: it starts a Python interpreter " +
              "with the deps importable (`app.pex script.py`, or a prompt). Without it, a " +
              "binary with neither fails the build.",
    ),
    "_default_skeleton": attr.label(default = Label("//py/private:default_skeleton")),
    "_launcher_template": attr.label(
        default = Label("//py/private:pex_launcher.sh.tpl"),
        allow_single_file = True,
    ),
})))

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
