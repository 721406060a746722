#!/bin/sh
# Resolves {REQUIREMENTS_IN} with uv and writes {OUTPUT} into the source tree.
set -eu
if [ -z "${BUILD_WORKSPACE_DIRECTORY:-}" ]; then
  echo "crosspex: {TARGET} writes into the source tree: run it with bazel run {TARGET}" >&2
  exit 2
fi
here="$(pwd)"
PYTHONPATH="{PYTHON_PATH}" exec {COMMAND} -- "$@"
