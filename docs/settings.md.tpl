## Platforms, flags, settings and toolchains

### `@crosspex//py/platforms`

{PLATFORMS}

`:is_<platform>` is a `config_setting` matching each. `:libc` is the constraint setting that tells Linux C libraries apart: `:glibc` (its default) or `:musl`. glibc targets accept manylinux wheels up to their `libc_version`, musl ones musllinux wheels up to theirs, macOS ones wheels for their `os_version` and older.

### `@crosspex//py/config`

`:python_version` is a string flag: the target CPython version, one of {PYTHON_VERSIONS}; default `{DEFAULT_PYTHON_VERSION}` (`--@crosspex//py/config:python_version=3.12`). It selects `pip_wheels` packages' wheels and the version a `py_pex_binary` without `python_version` targets.
`:is_python_<X.Y>` matches a version, `:is_<platform>_python_<X.Y>` a platform and a version.

### `@crosspex//py/toolchains`

| toolchain type | what it resolves |
|---|---|
| `:assembler_toolchain_type` | the assembler on the exec platform: a `pex_assembler_toolchain` (crosspex registers one for the host) |
| `:target_toolchain_type` | what a target platform means for wheels: a `pex_target_toolchain` (crosspex registers one per built-in platform, and a fallback for any other) |

`:assembler_libraries` is pex and packaging as installed for the host's assembler, for a `pex_assembler_toolchain` of your own.

### The exec Python

`CROSSPEX_PYTHON` names the CPython 3.8+ that runs the assembler (`--repo_env=CROSSPEX_PYTHON=/path/to/python3`); without it, `python3` on `PATH`.

### Targets of a `pip_wheels` repository

One per package, named by its normalized name with `-` and `.` spelled `_`: `python-dateutil` is `@wheels//:python_dateutil`. Each selects the wheel for the target platform and Python version, with the wheels it depends on there; a build for a platform or version the repository has no wheel for fails, naming both. `bazel query @wheels//:all` lists them; the wheel files themselves are `@wheels//:cp<XY>_<platform>/<file>.whl`.
