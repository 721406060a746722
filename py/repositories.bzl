"""WORKSPACE setup for crosspex.

```starlark
load("@crosspex//py:repositories.bzl", "crosspex_dependencies", "crosspex_register_toolchains")
crosspex_dependencies()
crosspex_register_toolchains()
```

`pip_wheels` fetches hash-pinned wheels for several target platforms.
"""

load("//py/private:compat.bzl", "crosspex_compat")
load("//py/private:exec_python.bzl", "crosspex_exec_python", "crosspex_toolchains", "crosspex_uv")
load("//py/private:pip_wheels.bzl", _pip_wheels = "pip_wheels")
load("//py/private:toolchains.bzl", "TARGET_TOOLCHAINS")

pip_wheels = _pip_wheels

def crosspex_dependencies():
    """Defines the repositories crosspex needs.

    `@crosspex_exec_python`: the host Python that runs the assembler, with pex
    (`CROSSPEX_PYTHON` names another one); `@crosspex_toolchains`: its `toolchain()`;
    `@crosspex_compat`: what differs between Bazel versions; `@crosspex_uv`: uv for
    `pip_lock`, fetched only when a `pip_lock` target runs.
    """
    if "crosspex_exec_python" not in native.existing_rules():
        crosspex_exec_python(name = "crosspex_exec_python")
    if "crosspex_toolchains" not in native.existing_rules():
        crosspex_toolchains(name = "crosspex_toolchains")
    if "crosspex_compat" not in native.existing_rules():
        crosspex_compat(name = "crosspex_compat")
    if "crosspex_uv" not in native.existing_rules():
        crosspex_uv(name = "crosspex_uv")

def crosspex_register_toolchains():
    """Registers the host's assembler and the target toolchains of the built-in platforms."""
    native.register_toolchains("@crosspex_toolchains//:assembler_toolchain")
    native.register_toolchains(*TARGET_TOOLCHAINS)
