"""The same example with the flags Bazel 8 and 9 turn on, on Bazel 7.7.1: it writes the very
PEXes the primary build wrote, in another output base and workspace path: those of installed
trees, packed into wheels by the build, among them; and the same precompiled virtualenv
layer."""

from __future__ import annotations

from harness.app import EXPECTED_OUTPUT, copy_of_app, matrix_names, run_pex
from harness.bazel import FORWARD_FLAGS, Bazel
from harness.support import find_python

ADAPTERS = ("//adapters:rules_python_installed_pex", "//adapters:pycross_pex")
LAYER = "//layer:app_layer"


def test_the_forward_flags_write_the_same_pexes(matrix, app_bazel, tmp_path):
    app_bazel.build(*ADAPTERS, LAYER)
    bazel = Bazel(copy_of_app(tmp_path / "app"), tmp_path / "output_base", flags=FORWARD_FLAGS)
    try:
        bazel.build("//app:all", "//packer:all", "//adapters:all", "//regression:app_pex", LAYER)
        for name in matrix_names():
            built = bazel.output(f"{name}.pex")
            assert built.read_bytes() == matrix[name.split("/")[1]].read_bytes(), name
        for label in ADAPTERS:
            name = label[2:].replace(":", "/") + ".pex"
            assert bazel.output(name).read_bytes() == app_bazel.output(name).read_bytes(), name
        for layer in ("layer/app_layer.deps.tar", "layer/app_layer.app.tar"):
            assert bazel.output(layer).read_bytes() == app_bazel.output(layer).read_bytes()
        done = run_pex(find_python("3.11"), bazel.output("adapters/pycross_pex.pex"), tmp_path)
        assert done.returncode == 0, done.stderr
        done = run_pex(find_python("3.11"), bazel.output("app/app_linux_x86_64.pex"), tmp_path)
        assert done.stdout == EXPECTED_OUTPUT
    finally:
        bazel.shutdown()
