#!/usr/bin/env bash
# The whole test suite: linters, the assembler's tests, and real Bazel builds of e2e/ on
# Bazel 7.7.1 with bzlmod.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
bash "$root/scripts/setup.sh"
echo "--- bazel: $(bash "$root/scripts/bazel7.sh")"
cd "$root"

echo "--- ruff"
.venv/bin/ruff check .
.venv/bin/ruff format --check .
echo "--- buildifier"
# The project's own Starlark, not what benchmarks and Bazel leave in ignored directories.
git ls-files -z --cached --others --exclude-standard -- \
  '*.bzl' '*.bazel' '*BUILD' |
  xargs -0 npx --yes @bazel/buildifier@8.2.1 --config=.buildifier.json --mode=check
echo "--- pytest"
.venv/bin/python -m pytest -q "$@"
