"""Toolchain rules, to teach crosspex other platforms or exec environments.

- `pex_target_toolchain`: what a Bazel target platform means for wheel selection (OS, CPU,
  libc or macOS version), registered with `target_compatible_with`.
- `pex_assembler_toolchain`: the Python that runs the assembler on an exec platform, e.g. a
  remote executor, registered with `exec_compatible_with`.
"""

load("//py/private:assembler_toolchain.bzl", _pex_assembler_toolchain = "pex_assembler_toolchain")
load("//py/private:target_toolchain.bzl", _pex_target_toolchain = "pex_target_toolchain")

pex_target_toolchain = _pex_target_toolchain
pex_assembler_toolchain = _pex_assembler_toolchain
