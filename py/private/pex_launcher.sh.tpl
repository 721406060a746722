#!/bin/sh
# Runs the directory PEX {PEX} from its runfiles: Bazel needs a file to execute.
exec "$0.runfiles/{PEX}/__main__.py" "$@"
