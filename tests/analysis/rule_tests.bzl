"""Analysis tests of crosspex's rules: their failures, their actions and their transitions.

Each test analyses a target under test in a configuration of its own (the platform or Python
version it sets), without building anything.
"""

load("@bazel_skylib//lib:unittest.bzl", "analysistest", "asserts")

_PLATFORMS = "//command_line_option:platforms"
_PYTHON_VERSION = str(Label("//py/config:python_version"))

def _failure_test_impl(ctx):
    env = analysistest.begin(ctx)
    asserts.expect_failure(env, ctx.attr.message)
    return analysistest.end(env)

def _failure_test(config_settings = {}):
    return analysistest.make(
        _failure_test_impl,
        expect_failure = True,
        attrs = {"message": attr.string(mandatory = True, doc = "A part of the error.")},
        config_settings = config_settings,
    )

# A target's analysis fails with `message`.
failure_test = _failure_test()
failure_on_freebsd_test = _failure_test({_PLATFORMS: str(Label(":freebsd_x86_64"))})
failure_for_python_27_test = _failure_test({_PYTHON_VERSION: "2.7"})
failure_without_bytecode_test = _failure_test({
    "//command_line_option:extra_toolchains": [str(Label(":no_bytecode_toolchain"))],
})

def _action(env, mnemonic):
    found = [a for a in analysistest.target_actions(env) if a.mnemonic == mnemonic]
    asserts.equals(env, 1, len(found), "%s actions" % mnemonic)
    return found[0] if found else None

def _written(env, suffix):
    """The JSON content of the file the target writes whose name ends in `suffix`."""
    for action in analysistest.target_actions(env):
        if action.mnemonic == "FileWrite" and action.outputs.to_list()[0].path.endswith(suffix):
            return json.decode(action.content)
    asserts.true(env, False, "no written file ends in " + suffix)
    return {}

def _assembler_argv(env, action):
    """The assembler's own arguments: what follows `-m pex_assembler`, with the param file."""
    argv = action.argv
    asserts.equals(env, ["/bin/sh", "-c"], argv[:2], "the interpreter is checked by /bin/sh")
    asserts.true(env, argv[3].startswith("/"), "the exec interpreter is an absolute path")
    asserts.equals(env, ["-B", "-s", "-S", "-m", "pex_assembler"], argv[4:9])
    return argv[9:]

def _flag(argv, name):
    return argv[argv.index(name) + 1] if name in argv else None

def _pex_action_test_impl(ctx):
    env = analysistest.begin(ctx)
    action = _action(env, "PexAssemble")
    if not action:
        return analysistest.end(env)
    argv = _assembler_argv(env, action)
    asserts.equals(env, "build", argv[0])
    asserts.true(env, _flag(argv, "--manifest").endswith(".pex_manifest.json"))
    skeleton = _flag(argv, "--skeleton")
    if ctx.attr.shared_skeleton:
        asserts.true(env, skeleton.endswith("py/private/default_skeleton.pex_skeleton"), skeleton)
        asserts.equals(env, [], [a for a in analysistest.target_actions(env) if a.mnemonic == "PexSkeleton"])
    elif ctx.attr.own_skeleton:
        asserts.true(env, skeleton.endswith(ctx.attr.own_skeleton), skeleton)
        _action(env, "PexSkeleton")
    else:
        asserts.equals(env, None, skeleton, "pex writes this layout whole")

    # Each wheel pre-installed on its own, after its check; the PEX only copies the entries.
    installs = [a for a in analysistest.target_actions(env) if a.mnemonic == "PexInstallWheels"]
    asserts.equals(env, ctx.attr.installs, len(installs), "PexInstallWheels actions")
    given = [argv[i + 1] for i, flag in enumerate(argv) if flag == "--installed"]
    for install in installs:
        install_argv = _assembler_argv(env, install)
        asserts.equals(env, "install-wheels", install_argv[0])
        asserts.true(env, _flag(install_argv, "--output") in given, "the PEX takes it in")
        asserts.true(env, [f for f in install.inputs.to_list() if f.basename.endswith(".whl.crosspex.json")], "the wheel's record is an input")
    asserts.equals(env, len(installs), len(given))

    # The target's description is the target platform's, while the interpreter is the exec
    # platform's: nothing target-configured runs.
    manifest = _written(env, ".pex_manifest.json")
    asserts.equals(env, json.decode(ctx.attr.target_spec), manifest["target"])
    for name, value in ctx.attr.options.items():
        asserts.equals(env, json.decode(value), manifest[name], name)
    asserts.equals(env, "0", action.env["PYTHONHASHSEED"])
    return analysistest.end(env)

_PEX_ACTION_ATTRS = {
    "target_spec": attr.string(mandatory = True, doc = "The manifest's target, as JSON."),
    "options": attr.string_dict(doc = "Manifest options and their values, as JSON."),
    "shared_skeleton": attr.bool(doc = "The zipapp is completed from the shared skeleton."),
    "own_skeleton": attr.string(doc = "The zipapp is completed from a skeleton of its own."),
    "installs": attr.int(doc = "How many PexInstallWheels actions."),
}

# The PexAssemble action of a py_pex_binary built for macOS on arm64, CPython 3.12.
pex_action_on_macos_test = analysistest.make(
    _pex_action_test_impl,
    attrs = _PEX_ACTION_ATTRS,
    config_settings = {
        _PLATFORMS: str(Label("//py/platforms:macos_arm64")),
        _PYTHON_VERSION: "3.12",
    },
)

def _layer_action_test_impl(ctx):
    env = analysistest.begin(ctx)
    action = _action(env, "PexVenvLayer")
    if not action:
        return analysistest.end(env)
    argv = _assembler_argv(env, action)
    asserts.equals(env, "venv-layer", argv[0])
    asserts.true(env, _flag(argv, "--manifest").endswith(".venv_manifest.json"))

    # The layer's place in the image is in its manifest, beside its target.
    manifest = _written(env, ".venv_manifest.json")
    asserts.equals(env, json.decode(ctx.attr.target_spec), manifest["target"])
    asserts.equals(env, ctx.attr.prefix, manifest["prefix"])
    asserts.equals(env, ctx.attr.interpreter, manifest["interpreter"])
    asserts.equals(env, analysistest.target_under_test(env).label.name, manifest["name"])
    asserts.equals(env, ctx.attr.bytecode_interpreter or None, manifest.get("bytecode_interpreter"))
    asserts.equals(env, ctx.attr.invalidation_mode or None, manifest.get("invalidation_mode"))
    asserts.true(env, "--app-only" in argv)

    # Each wheel installed on its own, at the prefix, for the target's version.
    installs = [a for a in analysistest.target_actions(env) if a.mnemonic == "PexVenvInstall"]
    asserts.equals(env, ctx.attr.installs, len(installs))
    for install in installs:
        install_argv = _assembler_argv(env, install)
        asserts.equals(env, ctx.attr.prefix, _flag(install_argv, "--prefix"))
        asserts.equals(env, "3.11", _flag(install_argv, "--python-version"))
        asserts.equals(env, ctx.attr.bytecode_interpreter or None, _flag(install_argv, "--bytecode-interpreter"))
    outputs = analysistest.target_under_test(env)[DefaultInfo].files.to_list()
    asserts.equals(env, ctx.attr.tars, [f.basename for f in outputs])
    return analysistest.end(env)

_LAYER_ACTION_ATTRS = {
    "tars": attr.string_list(mandatory = True, doc = "The default outputs, in order."),
    "installs": attr.int(doc = "How many PexVenvInstall actions."),
    "target_spec": attr.string(mandatory = True, doc = "The manifest's target, as JSON."),
    "prefix": attr.string(mandatory = True, doc = "The virtualenv's path in the image."),
    "interpreter": attr.string(mandatory = True, doc = "The image's CPython."),
    "bytecode_interpreter": attr.string(doc = "Empty: the manifest names none."),
    "invalidation_mode": attr.string(doc = "Empty: the manifest names none."),
}

# The PexVenvLayer action of a py_venv_layer built for Linux on aarch64.
layer_action_on_linux_aarch64_test = analysistest.make(
    _layer_action_test_impl,
    attrs = _LAYER_ACTION_ATTRS,
    config_settings = {_PLATFORMS: str(Label("//py/platforms:linux_aarch64"))},
)

# The same, with an assembler toolchain that has a CPython 3.11 to write bytecode.
layer_action_with_bytecode_test = analysistest.make(
    _layer_action_test_impl,
    attrs = _LAYER_ACTION_ATTRS,
    config_settings = {
        _PLATFORMS: str(Label("//py/platforms:linux_aarch64")),
        "//command_line_option:extra_toolchains": [str(Label(":with_bytecode_toolchain"))],
    },
)

def _multi_target_action_test_impl(ctx):
    """A PEX for several targets: one manifest target and one set of inputs per target.

    Each wheel is checked once per target, and the PEX has a skeleton of its own.
    """
    env = analysistest.begin(ctx)
    action = _action(env, "PexAssemble")
    if not action:
        return analysistest.end(env)
    argv = _assembler_argv(env, action)
    manifest = _written(env, ".pex_manifest.json")
    asserts.equals(env, None, manifest["target"])
    described = ["%s %s %s" % (t["key"], t["platform"]["name"], t["python_version"]) for t in manifest["targets"]]
    asserts.equals(env, ctx.attr.targets, described)
    for key in [t.split(" ")[0] for t in ctx.attr.targets]:
        given = [a for a in argv if a.startswith("--target-input=%s=" % key) and a.endswith(".whl")]
        asserts.equals(env, 1, len(given), "the wheel given for " + key)
    checks = [a for a in analysistest.target_actions(env) if a.mnemonic == "PexWheelCheck"]
    asserts.equals(env, len(ctx.attr.targets), len(checks), "one wheel check per target")
    asserts.true(env, _flag(argv, "--skeleton").endswith(".pex_skeleton"))
    _action(env, "PexSkeleton")
    return analysistest.end(env)

# The PexAssemble action of a py_pex_binary with platforms and python_versions.
multi_target_action_test = analysistest.make(
    _multi_target_action_test_impl,
    attrs = {"targets": attr.string_list(mandatory = True, doc = "`key platform version` each.")},
)

def _complete_platforms_action_test_impl(ctx):
    """Complete platforms choose from the deps built in the binary's configuration, given once."""
    env = analysistest.begin(ctx)
    action = _action(env, "PexAssemble")
    if not action:
        return analysistest.end(env)
    argv = _assembler_argv(env, action)
    targets = _written(env, ".pex_manifest.json")["targets"]
    asserts.equals(env, ["linux_x86_64_py3.11", "freebsd_amd64"], [t["key"] for t in targets])
    asserts.equals(env, [None, "target"], [t.get("inputs_of") for t in targets])
    asserts.true(env, targets[1]["complete_platform"].endswith("complete/freebsd_amd64.json"))
    for key in ["linux_x86_64_py3.11", "target"]:
        given = [a for a in argv if a.startswith("--target-input=%s=" % key) and a.endswith(".whl")]
        asserts.equals(env, 1, len(given), "the wheel given for " + key)
    asserts.equals(env, [], [a for a in argv if a.startswith("--target-input=freebsd")])
    asserts.true(env, "freebsd_amd64.json" in [f.basename for f in action.inputs.to_list()])
    return analysistest.end(env)

# The PexAssemble action of a py_pex_binary with platforms and complete_platforms.
complete_platforms_action_test = analysistest.make(_complete_platforms_action_test_impl)

def _cross_files_test_impl(ctx):
    """The cross macros' filegroup holds one output per platform and version."""
    env = analysistest.begin(ctx)
    files = analysistest.target_under_test(env)[DefaultInfo].files.to_list()
    asserts.equals(env, ctx.attr.basenames, [f.basename for f in files])
    return analysistest.end(env)

cross_files_test = analysistest.make(
    _cross_files_test_impl,
    attrs = {"basenames": attr.string_list(mandatory = True)},
)

def _cross_link_test_impl(ctx):
    env = analysistest.begin(ctx)
    links = [a for a in analysistest.target_actions(env) if a.mnemonic == "Symlink"]
    asserts.equals(env, 1, len(links))
    if links:
        (source,) = links[0].inputs.to_list()
        (link,) = links[0].outputs.to_list()
        asserts.equals(env, ctx.attr.basename, link.basename)

        # The linked PEX was built in the platform's configuration, not the link's.
        asserts.true(env, source.root.path != link.root.path, source.root.path)
        asserts.equals(env, ctx.attr.directory, source.is_directory)
    return analysistest.end(env)

cross_link_test = analysistest.make(
    _cross_link_test_impl,
    attrs = {
        "basename": attr.string(mandatory = True),
        "directory": attr.bool(),
    },
)

def _lock_script_test_impl(ctx):
    env = analysistest.begin(ctx)
    (script,) = [a for a in analysistest.target_actions(env) if a.mnemonic == "TemplateExpand"]
    substitutions = script.substitutions
    asserts.equals(env, "//tests/analysis:lock", substitutions["{TARGET}"])
    asserts.equals(env, "tests/analysis/requirements.txt", substitutions["{OUTPUT}"])
    command = substitutions["{COMMAND}"]
    for part in ctx.attr.command_parts:
        asserts.true(env, part in command, "the command has %s: %s" % (part, command))
    return analysistest.end(env)

# pip_lock's `bazel run` script: what it resolves, for which targets, and where it writes.
lock_script_test = analysistest.make(
    _lock_script_test_impl,
    attrs = {"command_parts": attr.string_list(mandatory = True)},
)

def _target_spec_test_impl(ctx):
    env = analysistest.begin(ctx)
    toolchain = analysistest.target_under_test(env)[platform_common.ToolchainInfo]
    asserts.equals(env, json.decode(ctx.attr.spec), toolchain.pex_target.spec)
    return analysistest.end(env)

# A pex_target_toolchain's spec, with what it leaves out filled in: the assembler has no
# defaults of its own.
target_spec_test = analysistest.make(
    _target_spec_test_impl,
    attrs = {"spec": attr.string(mandatory = True, doc = "The complete spec, as JSON.")},
)
