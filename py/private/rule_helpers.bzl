"""What the rules that write PEXes and layers share: their inputs, the target they resolve,
the manifest they write, the skeleton action and the checks."""

load("@crosspex_compat//:defs.bzl", "PY_INFOS")
load(":assembler_action.bzl", "run_assembler")
load(":errors.bzl", "crosspex_fail")
load(":pex_inputs.bzl", "check_wheels")
load(":providers.bzl", "PexBinaryInfo", "PexInputsInfo", "PythonVersionInfo")
load(":toolchain_types.bzl", "TARGET_TOOLCHAIN")
load(":transitions.bzl", "fail_python_version_conflict")

def dep_files(ctx, deps, prefix = None):
    """Every file a PEX or virtualenv layer needs from `deps`, and their import roots.

    Each dependency's wheels come with their records and its installed trees as wheels, from
    pex_inputs_aspect's cached actions. Files listed directly are checked here.

    Args:
      ctx: the rule's context.
      deps: the targets of its `deps` and `data`.
      prefix: where the checks of wheels listed directly go (`<prefix>.crosspex/`); default
        the rule's name. Each target of a PEX for several has its own.

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
    records = check_wheels(ctx, direct_wheels, prefix or ctx.label.name)
    return depset(records, transitive = files), depset(transitive = imports)

def check_entry_point(ctx):
    """Fails a rule with PEX_CONTENT_ATTRS that sets two of main, entry_point and script."""
    given = [n for n in ("main", "entry_point", "script") if getattr(ctx.attr, n)]
    if len(given) > 1:
        crosspex_fail(ctx.label, "sets both %s and %s" % (given[0], given[1]), "keep one of them")

def manifest_target(ctx):
    """What a manifest says the target is, from `complete_platform` or the target toolchain.

    Args:
      ctx: the context of a rule with PEX_CONTENT_ATTRS and TARGET_TOOLCHAIN.

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

def write_manifest(ctx, kind, output, target, fields = {}):
    """Writes `<name>.<kind>_manifest.json`: what the assembler writes, and from what.

    Args:
      ctx: the rule context. With PEX_CONTENT_ATTRS, its main and entry point are added.
      kind: the manifest's kind, in its name: "pex", "venv".
      output: the File the assembler writes.
      target: the manifest's `target`, as manifest_target returns it; None for a PEX for
        several targets, which `fields` lists as `targets`.
      fields: further fields: a PEX's options, a layer's place in the image.

    Returns:
      The manifest File.
    """
    manifest = ctx.actions.declare_file("%s.%s_manifest.json" % (ctx.label.name, kind))
    content = {"output": output.path, "target": target}
    if hasattr(ctx.attr, "entry_point"):
        content.update(
            workspace_name = ctx.workspace_name,
            main = ctx.file.main.short_path if ctx.file.main else None,
            entry_point = ctx.attr.entry_point or None,
            script = ctx.attr.script or None,
        )
    content.update(fields)
    ctx.actions.write(manifest, json.encode(content))
    return manifest

def write_skeleton(ctx, manifest, inputs, output, progress_message):
    """Declares the PexSkeleton action writing pex's zipapp skeleton `output` for `manifest`.

    Args:
      ctx: the rule context; the rule must declare ASSEMBLER_TOOLCHAIN.
      manifest: the manifest file: the target and the options.
      inputs: list of File: the manifest and any file it names (a complete platform).
      output: the skeleton file to write.
      progress_message: what Bazel shows while it runs.
    """
    args = ctx.actions.args()
    args.add("skeleton")
    args.add("--manifest", manifest)
    args.add("--output", output)
    run_assembler(
        ctx,
        args = args,
        inputs = depset(inputs),
        outputs = [output],
        mnemonic = "PexSkeleton",
        progress_message = progress_message,
    )

def built_for(ctx, python_version, targets = []):
    """The PexBinaryInfo of a PEX or layer.

    Args:
      ctx: the rule context.
      python_version: the version it is written for; None: a complete platform's.
      targets: the names of a PEX's several targets.

    Returns:
      PexBinaryInfo.
    """
    return PexBinaryInfo(
        python_version = None if ctx.file.complete_platform else python_version,
        targets = targets,
    )

def check_built_for(ctx, built):
    """Fails a cross rule whose target is pinned to another python_version, or to several targets.

    Args:
      ctx: the cross rule's context, with a python_version attribute.
      built: the target it builds for another platform.
    """
    if PexBinaryInfo in built and built[PexBinaryInfo].targets:
        crosspex_fail(
            ctx.label,
            "builds %s for one platform, but it is one PEX for %s: it would be the same PEX " %
            (built.label, ", ".join(built[PexBinaryInfo].targets)) +
            "under this platform's name",
            "build %s itself, or drop its platforms and complete_platforms to build one PEX " %
            built.label + "per platform",
        )
    pinned = built[PexBinaryInfo].python_version if PexBinaryInfo in built else None
    if ctx.attr.python_version and pinned and pinned != ctx.attr.python_version:
        fail_python_version_conflict(str(built.label), pinned, ctx.attr.python_version)
