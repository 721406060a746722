#!/usr/bin/env bash
# The main job: build the example app's PEX for every platform, then run the host's one.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
bash "$root/scripts/setup.sh"

platforms=(linux_x86_64 linux_aarch64 macos_arm64 macos_x86_64 windows_x86_64)
dist="$root/dist"
rm -rf "$dist"
mkdir -p "$dist"
cd "$root/e2e/app"
for platform in "${platforms[@]}"; do
  bazel build --color=no --curses=no "--platforms=@crosspex//py/platforms:$platform" //app:app_pex
  cp "$(bazel info bazel-bin)/app/app_pex.pex" "$dist/app_pex-$platform.pex"
done
ls -l "$dist"

echo "--- running dist/app_pex-linux_x86_64.pex with python3.11"
python3.11 "$dist/app_pex-linux_x86_64.pex"
