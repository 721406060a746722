"""The PEX options: one table, from which come py_pex_binary's attributes, the fields of the
manifest the assembler reads, and the defaults the shared skeleton is written for.

Adding an option is one entry here, its field in the assembler's `PexOptions` and its use in
the writer.
"""

def _option(kind, default, doc, values = []):
    return struct(kind = kind, default = default, doc = doc, values = values)

PEX_OPTIONS = {
    "python_shebang": _option(
        "string",
        "",
        "The PEX's shebang; default `#!/usr/bin/env pythonX.Y` for the target version.",
    ),
    "interpreter_constraints": _option(
        "string_list",
        [],
        "pex interpreter constraints; default `CPython==X.Y.*` for the target version. " +
        "`{major}`, `{minor}` and `{patch}` are replaced by the target version's parts.",
    ),
    "inject_env": _option(
        "string_dict",
        {},
        "Environment variables the PEX sets when it starts (pex --inject-env).",
    ),
    "inject_args": _option(
        "string_list",
        [],
        "Arguments passed to the entry point before the user's (pex --inject-args).",
    ),
    "inherit_path": _option(
        "string",
        "false",
        "Whether the PEX sees the interpreter's site-packages (pex --inherit-path).",
        values = ["false", "fallback", "prefer"],
    ),
    "compress": _option(
        "bool",
        True,
        "Deflate first-party files and pex's bootstrap; wheels are stored as they are.",
    ),
    "strip_pex_env": _option(
        "bool",
        True,
        "Remove PEX_* variables from the environment of the running app.",
    ),
    "layout": _option(
        "string",
        "zipapp",
        "`zipapp`: one `<name>.pex` file. `packed`: a `<name>.pex` directory whose wheels " +
        "each stay a file of their own, so caches and rsync reuse them. `loose`: a plain " +
        "directory tree. A zipapp that CPython before 3.13 cannot import (over 65535 " +
        "entries or 2 GiB) fails the build.",
        values = ["zipapp", "packed", "loose"],
    ),
    "execution_mode": _option(
        "string",
        "zipapp",
        "`venv`: on its first run the PEX installs itself as a virtualenv in PEX_ROOT, " +
        "and later runs start from it (pex --venv).",
        values = ["zipapp", "venv"],
    ),
    "sh_boot": _option(
        "bool",
        False,
        "Start through /bin/sh, which finds the interpreter and runs a warm PEX_ROOT " +
        "install directly (pex --sh-boot).",
    ),
    "pre_install_wheels": _option(
        "bool",
        False,
        "Install each wheel at build time and embed the installed tree, as pex does by " +
        "default, instead of embedding the `.whl` file to be installed on first run. " +
        "Each wheel is installed and compressed in a cached action of its own, which " +
        "costs a clean build far more than copying the file; the PEX has far more zip " +
        "entries, which its first run extracts instead of installing wheels. See " +
        "docs/performance.md for what each costs.",
    ),
    "max_install_jobs": _option(
        "int",
        -1,
        "How many wheels the PEX installs at once on its first run (pex's " +
        "max_install_jobs): `1` one at a time, `N` in N processes, `0` one per core, " +
        "`-1` pex decides from the wheels' sizes (in parallel when they average 1 MB " +
        "or more). Chosen by measurement: see docs/performance.md.",
    ),
    "exclude": _option(
        "string_list",
        [],
        "Requirements whose distributions stay out of the PEX, with every distribution only " +
        "they require (pex --exclude), e.g. `[\"torch\"]` for an image whose Python has it. " +
        "The PEX starts without them: give it an interpreter that provides them " +
        "(`inherit_path`).",
    ),
}

_ATTR_KINDS = {
    "bool": attr.bool,
    "int": attr.int,
    "string": attr.string,
    "string_dict": attr.string_dict,
    "string_list": attr.string_list,
}

def _attr(option):
    kwargs = {"default": option.default, "doc": option.doc}
    if option.values:
        kwargs["values"] = option.values

        # Stardoc does not show an attribute's values.
        kwargs["doc"] = "One of %s. %s" % (", ".join(["`%s`" % v for v in option.values]), option.doc)
    return _ATTR_KINDS[option.kind](**kwargs)

PEX_OPTION_ATTRS = {name: _attr(option) for name, option in PEX_OPTIONS.items()}

# The options of a py_pex_binary that sets none: the shared skeleton is written for them.
DEFAULT_PEX_OPTIONS = {name: option.default for name, option in PEX_OPTIONS.items()}

def pex_options(ctx):
    """The manifest's options: the values of a rule's PEX option attributes.

    Args:
      ctx: the context of a rule with PEX_OPTION_ATTRS.

    Returns:
      dict of option name to value.
    """
    return {name: getattr(ctx.attr, name) for name in PEX_OPTIONS}
