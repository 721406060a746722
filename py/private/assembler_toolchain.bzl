"""The assembler toolchain: the Python program that writes PEXes, on the exec platform."""

load(":errors.bzl", "crosspex_fail")
load(":platforms.bzl", "PYTHON_VERSIONS")
load(":providers.bzl", "PexAssemblerInfo")

def _python_path_entry(files, marker):
    """The shortest directory holding `marker` (a package's __init__.py), from the execroot."""
    entry = None
    for f in files:
        if f.path.endswith("/" + marker):
            candidate = f.path[:-len(marker) - 1]
            if entry == None or len(candidate) < len(entry):
                entry = candidate
    if entry == None:
        crosspex_fail(
            "pex_assembler_toolchain",
            "no %s among its files" % marker,
            "give it the pex_assembler sources (assembler) and pex and packaging installed (libraries)",
        )
    return entry

def _pex_assembler_toolchain_impl(ctx):
    for version, path in ctx.attr.bytecode_interpreters.items():
        if version not in PYTHON_VERSIONS or not path.startswith("/"):
            crosspex_fail(
                ctx.label,
                "bytecode_interpreters has %r: %r" % (version, path),
                "map each of %s to an absolute path of that CPython on the exec platform" % PYTHON_VERSIONS,
            )
    assembler_files = ctx.files.assembler
    library_files = ctx.files.libraries
    site = _python_path_entry(library_files, "pex/__init__.py")

    # What the commands that never import pex need: packaging, and installer for venv layers.
    packaging = [
        f
        for f in library_files
        if [
            d
            for d in ("packaging", "installer")
            if f.path.startswith("%s/%s/" % (site, d)) or f.path.startswith("%s/%s-" % (site, d))
        ]
    ]
    info = PexAssemblerInfo(
        interpreter_path = ctx.attr.interpreter_path,
        toolchain_label = str(ctx.label),
        bytecode_interpreters = ctx.attr.bytecode_interpreters,
        files = depset(assembler_files + library_files),
        files_without_pex = depset(assembler_files + packaging),
        # The assembler's files_to_run: its files key the persistent worker.
        worker_tools = [ctx.attr.assembler[DefaultInfo].files_to_run],
        python_path = [_python_path_entry(assembler_files, "pex_assembler/__init__.py"), site],
    )
    return [platform_common.ToolchainInfo(pex_assembler = info)]

pex_assembler_toolchain = rule(
    implementation = _pex_assembler_toolchain_impl,
    doc = """The PEX assembler for one exec platform.

crosspex's module extension defines one for the host; register another with
`toolchain(toolchain_type = "@crosspex//py/toolchains:assembler_toolchain_type",
exec_compatible_with = [...])` for remote executors.""",
    attrs = {
        "interpreter_path": attr.string(
            mandatory = True,
            doc = "Absolute path of a CPython 3.8+ on the exec platform.",
        ),
        "bytecode_interpreters": attr.string_dict(
            doc = "CPython interpreters on the exec platform by version, e.g. " +
                  "`{\"3.11\": \"/usr/bin/python3.11\"}`: a `py_venv_layer` with `precompile` " +
                  "for a target of that version ships .pyc that one writes. Bytecode belongs to " +
                  "a CPython version, not to a platform; its bytes may differ between patch " +
                  "releases, so pin the interpreter where layers must be byte-identical.",
        ),
        "assembler": attr.label(
            default = Label("//tools/pex_assembler:srcs"),
            allow_files = [".py", ".txt"],
            doc = "The pex_assembler package sources, and the requirements file pinning its libraries.",
        ),
        "libraries": attr.label(
            mandatory = True,
            allow_files = True,
            doc = "The installed pex and packaging distributions.",
        ),
    },
)
