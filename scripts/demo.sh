#!/usr/bin/env bash
# The main job: one Bazel invocation (Bazel 7.7.1, bzlmod) builds the example app's PEX for every platform (and
# the Linux x86_64 one for CPython 3.9 to 3.13); then the host's PEX runs, and the Linux
# aarch64 one runs under qemu-user.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
bash "$root/scripts/setup.sh"
bazel="$(bash "$root/scripts/bazel7.sh")"

cd "$root/e2e/app"
"$bazel" build --color=no --curses=no //app:all //packer:all
bin="$("$bazel" info bazel-bin)"
dist="$root/dist"
rm -rf "$dist"
mkdir -p "$dist"
cp "$bin"/app/app_{linux,macos,windows,by_python}_*.pex "$bin"/packer/packer_*.pex "$dist/"
ls -l "$dist"

echo "--- dist/app_linux_x86_64.pex, on this host's CPython 3.11"
python3.11 "$dist/app_linux_x86_64.pex"
echo "--- dist/app_linux_aarch64.pex, on Debian's arm64 CPython 3.11 under qemu-user"
"$(bash "$root/scripts/aarch64-python.sh")" "$dist/app_linux_aarch64.pex"
