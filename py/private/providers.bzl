"""Providers shared by crosspex rules and toolchains."""

PexWheelInfo = provider(
    doc = "A wheel file for one target platform, with the wheels it depends on.",
    fields = {
        "wheel": "File: the .whl file.",
        "record": "File: what checking the wheel found (`<name>.crosspex.json`).",
        "transitive_wheels": "depset of File: this wheel, every wheel it depends on, and their records.",
    },
)

PexBinaryInfo = provider(
    doc = "What a py_pex_binary was built for.",
    fields = {
        "python_version": "str: the target CPython version, MAJOR.MINOR; None when a " +
                          "complete platform describes the target.",
        "targets": "list of str: the names of a PEX's several targets (platforms, " +
                   "complete_platforms); empty for a PEX of one target.",
    },
)

PexTargetInfo = provider(
    doc = "Describes a target platform for wheel selection: given by a pex_target_toolchain.",
    fields = {
        "name": "str: the platform's name, used in messages.",
        "spec": "dict of str: os, arch and libc/os version, turned into wheel tags and markers " +
                "by the assembler; None when the platform is unknown.",
    },
)

PexAssemblerInfo = provider(
    doc = "How to run the PEX assembler on an exec platform.",
    fields = {
        "interpreter_path": "str: absolute path of the exec platform's Python.",
        "toolchain_label": "str: the pex_assembler_toolchain's label, for messages.",
        "bytecode_interpreters": "dict of str to str: CPython interpreters on the exec " +
                                 "platform by MAJOR.MINOR, which compile .pyc for targets " +
                                 "of that version.",
        "files": "depset of File: the assembler's sources and libraries.",
        "files_without_pex": "depset of File: the part of `files` that completes a zipapp, " +
                             "checks wheels and writes venv layers, which never imports pex: " +
                             "fewer action inputs.",
        "worker_tools": "list of FilesToRunProvider: the assembler's sources and pins; a " +
                        "persistent worker is restarted when they change.",
        "python_path": "list of str: the import path for those files, relative to the execroot.",
    },
)

PexInputsInfo = provider(
    doc = "What a dependency adds to a PEX, as `pex_inputs_aspect` finds it.",
    fields = {
        "files": "depset of File: first-party files, wheels with their records, and " +
                 "installed trees packed as wheels (directories of wheels and records).",
    },
)

PythonVersionInfo = provider(
    doc = "The value of the python_version build setting.",
    fields = {"version": "str: MAJOR.MINOR"},
)
