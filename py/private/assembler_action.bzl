"""Runs the PEX assembler in an action: the one way every crosspex rule calls it."""

load("@crosspex_compat//:defs.bzl", "ASSEMBLER_ACTION")

ASSEMBLER_TOOLCHAIN = "@crosspex//py/toolchains:assembler_toolchain_type"

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
        # process.
        requirements["supports-workers"] = "1"
    ctx.actions.run(
        executable = assembler.interpreter_path,
        # -B: no .pyc beside the assembler's sources; -s/-S: nothing from the host's site.
        arguments = ["-B", "-s", "-S", "-m", "pex_assembler", args],
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
        **ASSEMBLER_ACTION
    )
