#!/usr/bin/env bash
# The whole test suite: linters, the assembler's tests, and real Bazel builds of e2e/ on
# Bazel 7.7.1 (bzlmod) and Bazel 4.2.3 (WORKSPACE).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
bash "$root/scripts/setup.sh"
# The two Bazels the e2e tests run: 7.7.1 with bzlmod, and 4.2.3 in WORKSPACE mode.
echo "--- bazel: $(bash "$root/scripts/bazel7.sh"), $(bash "$root/scripts/bazel4.sh")"
cd "$root"

echo "--- ruff"
.venv/bin/ruff check .
.venv/bin/ruff format --check .
echo "--- buildifier"
# The project's own Starlark, not what benchmarks and Bazel leave in ignored directories.
git ls-files -z --cached --others --exclude-standard -- \
  '*.bzl' '*.bazel' '*BUILD' '*WORKSPACE' |
  xargs -0 npx --yes @bazel/buildifier@8.2.1 --config=.buildifier.json --mode=check
echo "--- pytest"
.venv/bin/python -m pytest -q "$@"
