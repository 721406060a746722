"""The toolchain types crosspex resolves, named once: rules and toolchain() targets read them here."""

# The exec platform's PEX assembler (pex_assembler_toolchain).
ASSEMBLER_TOOLCHAIN = Label("//py/toolchains:assembler_toolchain_type")

# What the target platform means for wheel selection (pex_target_toolchain).
TARGET_TOOLCHAIN = Label("//py/toolchains:target_toolchain_type")
