#!/usr/bin/env bash
# Writes docs/rules.md again from the Starlark docstrings (stardoc), and docs/platforms.json
# from the platforms' Starlark data, as //docs:rules_md_test and :platforms_json_test expect.
# --config=stardoc is the offline Bazel's way to stardoc (scripts/bazel7.sh).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
bazel="$(bash "$root/scripts/bazel7.sh")"
output_base="${CROSSPEX_CACHE:-$root/.cache}/docs/output_base"
cd "$root"
bazel=("$bazel" --output_base="$output_base")
execroot="$("${bazel[@]}" info --config=stardoc execution_root 2>/dev/null)"
for pair in rules_generated:rules.md platforms_generated:platforms.json; do
  target="//docs:${pair%%:*}" doc="docs/${pair#*:}"
  "${bazel[@]}" build --config=stardoc --color=no --curses=no --symlink_prefix=/ "$target"
  cp "$execroot/$("${bazel[@]}" cquery --config=stardoc --output=files "$target" 2>/dev/null)" "$doc"
  chmod 644 "$doc"
done
