"""Both PyInfo providers at once, as on Bazel 7 with rules_python 0.31 or later: rules_python's
own py_library requires its PyInfo from deps, Bazel's native one the builtin PyInfo. A
pex_wheel must satisfy both. Debian's rules_python still uses the builtin provider, so the
module here replaces it with a small one that has a PyInfo of its own, as new ones do."""

from __future__ import annotations

import shutil

from harness.app import run_pex
from harness.bazel import Bazel, pex_info
from harness.support import ROOT, find_python, find_wheel

RULES_PYTHON = {
    "MODULE.bazel": 'module(name = "rules_python", version = "1.7.0")\n',
    "BUILD.bazel": "",
    "python/BUILD.bazel": "",
    "python/defs.bzl": '''\
"""A py_library with a PyInfo of its own, as rules_python's since 0.31."""

def _init(transitive_sources = None, imports = None, **_kwargs):
    return {
        "transitive_sources": transitive_sources or depset(),
        "imports": imports or depset(),
    }

PyInfo, _ = provider(fields = ["transitive_sources", "imports"], init = _init)

def _py_library_impl(ctx):
    deps = [d[PyInfo].transitive_sources for d in ctx.attr.deps]
    sources = depset(ctx.files.srcs, transitive = deps)
    return [DefaultInfo(files = sources), PyInfo(transitive_sources = sources)]

py_library = rule(
    implementation = _py_library_impl,
    attrs = {
        "srcs": attr.label_list(allow_files = [".py"]),
        "deps": attr.label_list(providers = [PyInfo]),
    },
)

# What Bazel's own BUILD files load from rules_python.
def py_binary(**kwargs):
    native.py_binary(**kwargs)

def py_test(**kwargs):
    native.py_test(**kwargs)
''',
}

MODULE = f"""\
bazel_dep(name = "crosspex", version = "0.1.0")
local_path_override(module_name = "crosspex", path = "{ROOT}")
bazel_dep(name = "rules_python", version = "1.7.0")
"""

BUILD = """\
load("@crosspex//py:defs.bzl", "pex_wheel", "py_pex_binary")
load("@rules_python//python:defs.bzl", "py_library")
load(":builtin.bzl", "builtin_py_library")

pex_wheel(name = "six", whl = "six-1.17.0-py2.py3-none-any.whl")

py_library(name = "new_lib", srcs = ["new_lib.py"], deps = [":six"])

builtin_py_library(name = "builtin_lib", srcs = ["builtin_lib.py"], deps = [":six"])

py_pex_binary(
    name = "app",
    srcs = ["main.py"],
    main = "main.py",
    deps = [":new_lib", ":builtin_lib"],
)
"""


def test_pex_wheel_serves_rules_pythons_and_the_builtin_py_library(wheel_dir, tmp_path):
    stub = tmp_path / "rules_python"
    for name, text in RULES_PYTHON.items():
        (stub / name).parent.mkdir(parents=True, exist_ok=True)
        (stub / name).write_text(text)
    module = tmp_path / "module"
    module.mkdir()
    shutil.copy(find_wheel(wheel_dir, "linux_x86_64", "six"), module)
    shutil.copy(ROOT / "e2e" / "app" / ".bazelrc", module)
    files = {
        "MODULE.bazel": MODULE,
        "BUILD.bazel": BUILD,
        # Bazel 7's native rule, which only takes the builtin PyInfo from its deps.
        "builtin.bzl": "def builtin_py_library(**kwargs):\n    native.py_library(**kwargs)\n",
        "new_lib.py": "import six\nNEW = six.__version__\n",
        "builtin_lib.py": "import six\nBUILTIN = six.__version__\n",
        "main.py": (
            "from new_lib import NEW\nfrom builtin_lib import BUILTIN\nprint(NEW, BUILTIN)\n"
        ),
    }
    for name, text in files.items():
        (module / name).write_text(text)
    bazel = Bazel(module, tmp_path / "output_base")
    try:
        bazel.build(f"--override_module=rules_python={stub}", "//:app")
        pex = bazel.output("app.pex")
        assert list(pex_info(pex)["distributions"]) == ["six-1.17.0-py2.py3-none-any.whl"]
        done = run_pex(find_python("3.11"), pex, tmp_path)
        assert done.stdout == "1.17.0 1.17.0\n", done.stderr
    finally:
        bazel.shutdown()
