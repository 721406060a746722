#!/usr/bin/env bash
# The main job: one Bazel invocation (Bazel 7.7.1, bzlmod) builds examples/app, the module
# README.md shows, for every platform and CPython it names; then the host's PEX runs, and the
# Linux aarch64 one runs under qemu-user.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
bash "$root/scripts/setup.sh"
bazel="$(bash "$root/scripts/bazel7.sh")"

cd "$root/examples/app"
"$bazel" build --color=no --curses=no //app:all
bin="$("$bazel" info bazel-bin)"
dist="$root/dist"
rm -rf "$dist"
mkdir -p "$dist"
cp "$bin"/app/app_*_py3*.pex "$bin"/app/app_layer_for_*.tar "$dist/"
ls -l "$dist"

echo "--- dist/app_linux_x86_64_py311.pex, on this host's CPython 3.11"
python3.11 "$dist/app_linux_x86_64_py311.pex"
echo "--- dist/app_linux_aarch64_py311.pex, on Debian's arm64 CPython 3.11 under qemu-user"
"$(bash "$root/scripts/aarch64-python.sh")" "$dist/app_linux_aarch64_py311.pex"
