"""Public API of crosspex: cross-platform PEX binaries from pre-resolved wheels.

- `py_pex_binary`: writes `<name>.pex` for the target platform (`--platforms`).
- `py_pex_cross_binary`: one `py_pex_binary` built for another platform, as `<name>.pex`.
- `py_pex_cross_binaries`: a `py_pex_cross_binary` per platform (and Python version).
- `pex_wheel`: imports one `.whl` file, with the wheels it requires.
- `PexWheelInfo`: the provider `pex_wheel` returns, for rules that make wheels.
- `pip_lock`: a `bazel run` target that writes the hash-pinned lock `pip_wheels` reads.
- `py_venv_layer`: writes a virtualenv for the target platform as image layers, `<name>.deps.tar`
  then `<name>.app.tar` (and one per `layer_groups` group before them).
- `py_venv_cross_layer`, `py_venv_layers`: a `py_venv_layer` for other platforms, by name.
"""

load("//py/private:pex_wheel.bzl", _pex_wheel = "pex_wheel")
load("//py/private:pip_lock.bzl", _pip_lock = "pip_lock")
load("//py/private:providers.bzl", _PexWheelInfo = "PexWheelInfo")
load("//py/private:py_pex_binary.bzl", _py_pex_binary = "py_pex_binary")
load(
    "//py/private:py_pex_cross_binary.bzl",
    _py_pex_cross_binaries = "py_pex_cross_binaries",
    _py_pex_cross_binary = "py_pex_cross_binary",
)
load(
    "//py/private:py_venv_cross_layer.bzl",
    _py_venv_cross_layer = "py_venv_cross_layer",
    _py_venv_layers = "py_venv_layers",
)
load("//py/private:py_venv_layer.bzl", _py_venv_layer = "py_venv_layer")

py_pex_binary = _py_pex_binary
py_pex_cross_binary = _py_pex_cross_binary
py_pex_cross_binaries = _py_pex_cross_binaries
pex_wheel = _pex_wheel
PexWheelInfo = _PexWheelInfo
pip_lock = _pip_lock
py_venv_layer = _py_venv_layer
py_venv_cross_layer = _py_venv_cross_layer
py_venv_layers = _py_venv_layers
