"""Bazel's builtin PyInfo under another name: defs.bzl cannot read a global it redefines."""

BUILTIN_PY_INFO = PyInfo
