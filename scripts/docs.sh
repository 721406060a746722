#!/usr/bin/env bash
# Writes docs/rules.md again from the Starlark docstrings (stardoc), as //docs:rules_md_test
# expects it. --config=stardoc is the offline Bazel's way to stardoc (scripts/bazel7.sh).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
bazel="$(bash "$root/scripts/bazel7.sh")"
output_base="${CROSSPEX_CACHE:-$root/.cache}/docs/output_base"
cd "$root"
"$bazel" --output_base="$output_base" build --config=stardoc --color=no --curses=no --symlink_prefix=/ //docs:rules_generated
cp "$("$bazel" --output_base="$output_base" cquery --config=stardoc --output=files //docs:rules_generated 2>/dev/null)" \
  docs/rules.md
chmod 644 docs/rules.md
