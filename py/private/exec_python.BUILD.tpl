# @crosspex_exec_python: the host's Python and pex, and the assembler toolchain on them.
load("{ASSEMBLER_TOOLCHAIN}", "pex_assembler_toolchain")

package(default_visibility = ["//visibility:public"])

exports_files(["interpreter_path.txt"])

filegroup(
    name = "libraries",
    # Only what writing a PEX from wheels needs: pex's vendored pip (for resolving) and its
    # docs stay out, sparing each action ~450 inputs. Labels cannot name files with spaces.
    srcs = glob(
        ["site/**"],
        exclude = [
            "site/**/* *",
            "site/**/__pycache__/**",
            "site/pex/docs/**",
            "site/pex/vendor/_vendored/pip/**",
        ],
    ),
)

pex_assembler_toolchain(
    name = "assembler",
    bytecode_interpreters = {BYTECODE_INTERPRETERS},
    interpreter_path = "{EXECUTABLE}",
    libraries = ":libraries",
)
