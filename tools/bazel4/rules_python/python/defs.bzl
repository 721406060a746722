"""Bazel's native Python rules and PyInfo under the names rules_python gives them."""

load(":builtins.bzl", "BUILTIN_PY_INFO")

PyInfo = BUILTIN_PY_INFO

def py_binary(**kwargs):
    native.py_binary(**kwargs)

def py_library(**kwargs):
    native.py_library(**kwargs)

def py_test(**kwargs):
    native.py_test(**kwargs)
