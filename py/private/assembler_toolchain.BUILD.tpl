# @crosspex_toolchains: the assembler's toolchain() for the host, pointing into
# @crosspex_exec_python, which only a build that resolves it fetches.
toolchain(
    name = "assembler_toolchain",
    exec_compatible_with = {EXEC_COMPATIBLE_WITH},
    toolchain = "@crosspex_exec_python//:assembler",
    toolchain_type = "{TOOLCHAIN_TYPE}",
)
