"""pex's zipapp skeleton: written once per option set and configuration, shared by targets.

The skeleton (`pex-assembler skeleton`) is what pex writes for a zipapp with no code and no
distributions: its header, `.bootstrap/`, `__main__.py` and PEX-INFO. It depends on the
options and the target Python only. Every `py_pex_binary` whose options are the defaults
takes it from one target, `//py/private:default_skeleton`, built once per configuration
(platform and Python version); any other option set gets a skeleton of its own.
"""

load(":assembler_action.bzl", "ASSEMBLER_TOOLCHAIN", "run_assembler")
load(":python_version.bzl", "PythonVersionInfo")

TARGET_TOOLCHAIN = "@crosspex//py/toolchains:target_toolchain_type"

# The manifest fields the skeleton depends on, at the defaults of py_pex_binary's attributes.
SHARED_SKELETON_OPTIONS = {
    "python_shebang": None,
    "interpreter_constraints": [],
    "inject_env": {},
    "inject_args": [],
    "inherit_path": "false",
    "compress": True,
    "strip_pex_env": True,
    "layout": "zipapp",
    "execution_mode": "zipapp",
    "sh_boot": False,
    "pre_install_wheels": False,
    "max_install_jobs": -1,
}

def write_skeleton(ctx, manifest, inputs, output, progress_message):
    """Declares the PexSkeleton action writing `output` for `manifest`.

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

def _pex_skeleton_impl(ctx):
    spec = ctx.toolchains[TARGET_TOOLCHAIN].pex_target.spec
    if not spec:
        # No skeleton for a platform crosspex does not know: its binaries describe it with a
        # complete platform, and write their own.
        return [DefaultInfo(files = depset())]
    version = ctx.attr._python_version[PythonVersionInfo].version
    output = ctx.actions.declare_file(ctx.label.name + ".pex_skeleton")
    manifest = ctx.actions.declare_file(ctx.label.name + ".pex_manifest.json")
    fields = {
        "output": output.path,
        "target": {"platform": spec, "python_version": version},
    }
    fields.update(SHARED_SKELETON_OPTIONS)
    ctx.actions.write(manifest, json.encode(fields))
    write_skeleton(
        ctx,
        manifest,
        [manifest],
        output,
        "Writing pex's bootstrap for PEXes with the default options (CPython %s)" % version,
    )
    return [DefaultInfo(files = depset([output]))]

pex_skeleton = rule(
    implementation = _pex_skeleton_impl,
    attrs = {
        "_python_version": attr.label(default = Label("//py/config:python_version")),
    },
    toolchains = [ASSEMBLER_TOOLCHAIN, TARGET_TOOLCHAIN],
    doc = "pex's zipapp skeleton for py_pex_binary's default options, in this configuration.",
)
