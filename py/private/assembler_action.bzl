"""Runs the PEX assembler in an action: the one way every crosspex rule calls it."""

load(":errors.bzl", "error_message")
load(":toolchain_types.bzl", "ASSEMBLER_TOOLCHAIN")

def shell_quote(text):
    """`text` as one word of a POSIX shell command.

    Args:
      text: any string.

    Returns:
      `text` in single quotes, each of its own single quotes escaped.
    """
    return "'" + text.replace("'", "'\\''") + "'"

def interpreter_command(assembler):
    """The executable and first arguments that start the exec platform's Python.

    `/bin/sh` checks the interpreter is there before starting it: on a remote executor the
    toolchain's path may not exist, and the worker's own message would name neither the
    toolchain nor the fix. Every exec platform crosspex runs on (Linux, macOS) has it.

    Args:
      assembler: the toolchain's PexAssemblerInfo.

    Returns:
      (executable, arguments): the interpreter's arguments follow them.
    """
    message = error_message(
        assembler.toolchain_label,
        "its interpreter_path %s is not an executable on the exec platform running this action" %
        assembler.interpreter_path,
        "register a pex_assembler_toolchain whose interpreter_path is the exec platform's Python " +
        "(for a remote executor: the worker's), with exec_compatible_with naming that platform",
    )
    check = 'if [ -x "$0" ]; then exec "$0" "$@"; fi; printf "%%s\\n" %s >&2; exit 127' % shell_quote(message)
    return "/bin/sh", ["-c", check, assembler.interpreter_path]

def run_assembler(ctx, args, inputs, outputs, mnemonic, progress_message, uses_pex = True):
    """Runs `pex-assembler <args>` with the exec platform's assembler toolchain.

    Commands that never import pex run in a persistent worker where Bazel's worker strategy
    is available: one Python process then serves every such action, without paying for
    Python's start-up and imports each time. Elsewhere (sandboxed, remote) they run as
    plain processes, from the same command line.

    Args:
      ctx: the rule context; the rule must declare ASSEMBLER_TOOLCHAIN.
      args: an Args object: the subcommand and its flags.
      inputs: depset of the files it reads, besides the assembler itself.
      outputs: the files it writes.
      mnemonic: the action's mnemonic.
      progress_message: what Bazel shows while it runs.
      uses_pex: False when the command never imports pex (checking a wheel, completing a
        zipapp): pex's ~600 files then stay out of the action's inputs, and the command
        may run in a persistent worker.
    """
    assembler = ctx.toolchains[ASSEMBLER_TOOLCHAIN].pex_assembler

    # Workers take their arguments from a flag file, which must be the last argument.
    args.use_param_file("@%s", use_always = True)
    args.set_param_file_format("multiline")
    requirements = {"block-network": ""}
    if not uses_pex:
        # pex keeps process-wide state (PEX_ROOT, caches): only pex-free commands reuse a
        # process. It speaks the worker protocol's JSON form (tools/pex_assembler/worker.py).
        requirements["supports-workers"] = "1"
        requirements["requires-worker-protocol"] = "json"
    executable, interpreter = interpreter_command(assembler)
    ctx.actions.run(
        executable = executable,
        # -B: no .pyc beside the assembler's sources; -s/-S: nothing from the host's site.
        arguments = interpreter + ["-B", "-s", "-S", "-m", "pex_assembler", args],
        inputs = depset(transitive = [
            inputs,
            assembler.files if uses_pex else assembler.files_without_pex,
        ]),
        # Tools make up a worker's key: a changed assembler or pin gets a new worker.
        tools = [] if uses_pex else assembler.worker_tools,
        outputs = outputs,
        env = {
            "PYTHONPATH": ":".join(assembler.python_path),
            "PYTHONHASHSEED": "0",
            "PYTHONUTF8": "1",
            "LC_ALL": "C.UTF-8",
        },
        mnemonic = mnemonic,
        progress_message = progress_message,
        # Everything it reads is an input: no network, in sandboxes that can block it.
        execution_requirements = requirements,
        # Where the interpreter and the assembler come from: with automatic exec groups
        # (Bazel 8's default) the action runs on that toolchain's exec platform.
        toolchain = ASSEMBLER_TOOLCHAIN,
    )
